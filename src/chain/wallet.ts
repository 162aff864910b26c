// A connected wallet (any EIP-1193 provider): connect, check and switch chain, sign receipts with
// EIP-712, and map wallet errors to ones the anchor queue can act on.
import {
  BaseError as ViemError,
  ContractFunctionRevertedError,
  numberToHex,
  type Address,
  type EIP1193Provider,
} from 'viem'
import type { ReceiptSigner } from '../receipts/training.ts'
import {
  ChainMismatchError,
  RevertedError,
  RpcUnavailableError,
  UserRejectedError,
  WalletError,
  WalletUnavailableError,
} from '../errors/chain.ts'
import { walletClient } from './client.ts'
import type { ChainConfig } from './config.ts'

export interface WalletSession {
  provider: EIP1193Provider
  address: Address
  chainId: number
  /** What the visitor sees: the wallet's EIP-6963 name, or "Local dev wallet". */
  label: string
}

const codeOf = (e: unknown): number | undefined => {
  for (let x = e as { code?: unknown; cause?: unknown } | undefined; x; x = x.cause as typeof x)
    if (typeof x.code === 'number') return x.code
  return undefined
}

/** Wallet and RPC failures as Lockstep errors: rejected by the visitor, wrong chain, or unreachable. */
export function walletError(e: unknown, what: string): Error {
  if (e instanceof UserRejectedError || e instanceof ChainMismatchError) return e
  const code = codeOf(e)
  if (code === 4001) return new UserRejectedError(what, { cause: e })
  const revert = e instanceof ViemError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null
  if (revert instanceof ContractFunctionRevertedError)
    return new RevertedError(
      `The contract refused ${what}${revert.data ? ` (${revert.data.errorName})` : ''}.`,
      {
        details: (e as ViemError).shortMessage,
        metaMessages: ['Sending it again would be refused the same way.'],
        cause: e,
      },
    )
  const text = e instanceof ViemError ? e.shortMessage : e instanceof Error ? e.message : String(e)
  if (
    /fetch|network|timed? ?out|ECONNREFUSED|HTTP request failed|Failed to fetch/i.test(text) ||
    code === -32603
  )
    return new RpcUnavailableError(`The chain did not answer while ${what}.`, { details: text, cause: e })
  return e instanceof Error ? e : new WalletError(text, { cause: e })
}

export async function connectWallet(provider: EIP1193Provider, label: string): Promise<WalletSession> {
  try {
    const [address] = (await provider.request({ method: 'eth_requestAccounts' })) as Address[]
    if (!address) throw new WalletUnavailableError(`${label} gave no account.`)
    const chainId = Number(await provider.request({ method: 'eth_chainId' }))
    return { provider, address, chainId, label }
  } catch (e) {
    throw walletError(e, 'connecting')
  }
}

/** Asks the wallet to switch to the configured chain, adding it first if the wallet does not know it. */
export async function ensureChain(session: WalletSession, config: ChainConfig): Promise<void> {
  const read = async () => Number(await session.provider.request({ method: 'eth_chainId' }))
  try {
    session.chainId = await read()
    if (session.chainId === config.chainId) return
    const chainId = numberToHex(config.chainId)
    try {
      await session.provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] })
    } catch (e) {
      if (codeOf(e) !== 4902) throw e // 4902: the wallet does not know this chain yet
      await session.provider.request({
        method: 'wallet_addEthereumChain',
        params: [
          {
            chainId,
            chainName: config.name,
            nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
            rpcUrls: [config.rpcUrl],
            ...(config.explorer ? { blockExplorerUrls: [config.explorer] } : {}),
          },
        ],
      })
    }
    session.chainId = await read()
  } catch (e) {
    const err = walletError(e, `switching to chain ${config.chainId}`)
    if (err instanceof UserRejectedError || err instanceof RpcUnavailableError) throw err
    throw new ChainMismatchError(config.chainId, session.chainId, { cause: e })
  }
  if (session.chainId !== config.chainId) throw new ChainMismatchError(config.chainId, session.chainId)
}

/** Signs receipts in the wallet (eth_signTypedData_v4): the visitor sees kind and receipt hash. */
export function walletSigner(session: WalletSession, config: ChainConfig): ReceiptSigner {
  const client = walletClient(session.provider, session.address, config)
  return {
    address: session.address,
    async signTypedData(typedData) {
      try {
        return await client.signTypedData({ account: session.address, ...typedData })
      } catch (e) {
        throw walletError(e, 'signing the receipt')
      }
    },
  }
}
