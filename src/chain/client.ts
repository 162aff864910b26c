// viem clients for one configured chain: reads go straight to its RPC (a verifier needs no wallet),
// writes go through the visitor's wallet.
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  type Address,
  type EIP1193Provider,
  type PublicClient,
} from 'viem'
import type { ChainConfig } from './config.ts'

export function chainOf(config: ChainConfig) {
  return defineChain({
    id: config.chainId,
    name: config.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
    ...(config.explorer ? { blockExplorers: { default: { name: 'Explorer', url: config.explorer } } } : {}),
  })
}

/** No retries inside viem: the anchor queue owns retrying, with backoff it can show. */
export function publicClient(config: ChainConfig): PublicClient {
  return createPublicClient({
    chain: chainOf(config),
    transport: http(config.rpcUrl, { retryCount: 0, timeout: 10_000 }),
  })
}

export function walletClient(provider: EIP1193Provider, account: Address, config: ChainConfig) {
  return createWalletClient({
    account,
    chain: chainOf(config),
    transport: custom(provider, { retryCount: 0 }),
  })
}
