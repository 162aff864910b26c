// A wallet session over a private key held by this process, for the CLI's transactions on any chain:
// the EIP-1193 provider src/chain/coordinator.ts writes through (as the page's wallet), signing locally
// and sending raw transactions to the RPC. Unlike the page's dev wallet it funds nothing itself.
import {
  createWalletClient,
  hexToBigInt,
  http,
  numberToHex,
  type Address,
  type EIP1193Provider,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { chainOf } from '../chain/client.ts'
import type { ChainConfig } from '../chain/config.ts'
import type { WalletSession } from '../chain/wallet.ts'

interface TxRequest {
  to?: Address
  data?: Hex
  value?: Hex
  gas?: Hex
}

export function keyWallet(key: Hex, config: ChainConfig): WalletSession {
  const account = privateKeyToAccount(key)
  const wallet = createWalletClient({
    account,
    chain: chainOf(config),
    transport: http(config.rpcUrl, { retryCount: 0, timeout: 30_000 }),
  })
  const request = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    const args = (params ?? []) as unknown[]
    switch (method) {
      case 'eth_chainId':
        return numberToHex(config.chainId)
      case 'eth_accounts':
      case 'eth_requestAccounts':
        return [account.address]
      case 'eth_sendTransaction': {
        const tx = args[0] as TxRequest
        return wallet.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? hexToBigInt(tx.value) : undefined,
          gas: tx.gas ? hexToBigInt(tx.gas) : undefined,
        })
      }
      default:
        return wallet.request({ method, params: args } as never)
    }
  }
  const provider = { request, on: () => undefined, removeListener: () => undefined }
  return {
    provider: provider as unknown as EIP1193Provider,
    address: account.address,
    chainId: config.chainId,
    label: 'key',
  }
}
