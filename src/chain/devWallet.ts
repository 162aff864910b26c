// The embedded wallet for a browser with none injected: an EIP-1193 provider over this browser's
// local dev key (src/receipts/devkey.ts). It exists for the local dev chain only: it refuses any other
// chain, and it funds itself with anvil's `anvil_setBalance`, which no real chain offers.
import {
  createWalletClient,
  hexToBigInt,
  http,
  numberToHex,
  parseEther,
  type Address,
  type EIP1193Provider,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ChainConfigError, ProviderRpcError } from '../errors/chain.ts'
import { chainOf } from './client.ts'
import { DEV_CHAIN_ID, type ChainConfig } from './config.ts'

export const DEV_WALLET_LABEL = 'Local dev wallet (this browser’s dev key, dev chain only)'

interface TxRequest {
  to?: Address
  data?: Hex
  value?: Hex
  gas?: Hex
}

export function devWalletProvider(key: Hex, config: ChainConfig): EIP1193Provider {
  if (config.chainId !== DEV_CHAIN_ID)
    throw new ChainConfigError(
      `The local dev wallet only works on the dev chain (${DEV_CHAIN_ID}), not chain ${config.chainId}.`,
      { details: 'Connect a real wallet to anchor on this chain.' },
    )
  const account = privateKeyToAccount(key)
  const wallet = createWalletClient({ account, chain: chainOf(config), transport: http(config.rpcUrl) })
  let id = 0
  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const res = await fetch(config.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    })
    const json = (await res.json()) as { result?: unknown; error?: { code: number; message: string } }
    if (json.error) throw new ProviderRpcError(json.error.code, json.error.message)
    return json.result
  }
  const fund = async () => {
    const balance = hexToBigInt((await rpc('eth_getBalance', [account.address, 'latest'])) as Hex)
    if (balance < parseEther('1'))
      await rpc('anvil_setBalance', [account.address, numberToHex(parseEther('10'))])
  }
  const request = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    const args = (params ?? []) as unknown[]
    switch (method) {
      case 'eth_chainId':
        return numberToHex(config.chainId)
      case 'eth_accounts':
      case 'eth_requestAccounts':
        return [account.address]
      case 'wallet_switchEthereumChain': {
        const wanted = Number((args[0] as { chainId: Hex }).chainId)
        if (wanted !== config.chainId)
          throw new ProviderRpcError(4902, `The dev wallet has no chain ${wanted}.`)
        return null
      }
      case 'eth_signTypedData_v4': {
        const typed = JSON.parse(args[1] as string)
        delete typed.types.EIP712Domain // viem derives the domain type itself
        return account.signTypedData(typed)
      }
      case 'personal_sign':
        return account.signMessage({ message: { raw: args[0] as Hex } })
      case 'eth_sendTransaction': {
        const tx = args[0] as TxRequest
        await fund()
        return wallet.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? hexToBigInt(tx.value) : undefined,
          gas: tx.gas ? hexToBigInt(tx.gas) : undefined,
        })
      }
      default:
        return rpc(method, args)
    }
  }
  return { request, on: () => undefined, removeListener: () => undefined } as unknown as EIP1193Provider
}
