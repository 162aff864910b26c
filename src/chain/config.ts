// Which chain receipts are anchored on. The defaults are the local dev chain that `npm start` runs
// (scripts/chain.mjs); any EVM chain works by setting VITE_CHAIN_* at build time or `rpc`, `chainId`,
// `registry`, `swarmRegistry`, `swarmCoordinator`, `marketFactory`, `collateral`, `disputeGame` in the page's URL
// (docs/chain.md), with no code change.
import { getAddress, isAddress, type Address } from 'viem'
import { ChainConfigError } from '../errors/chain.ts'

export interface ChainConfig {
  chainId: number
  name: string
  rpcUrl: string
  /** ReceiptRegistry: where anchors live and the EIP-712 verifyingContract receipts are signed for. */
  receiptRegistry: Address
  swarmRegistry: Address
  /**
   * SwarmCoordinator: where a tab with no relay of its own reads its swarm's relays. Optional off the dev
   * chain (an older deployment has none): without it a tab needs `?relay=` or a built-in relay.
   */
  swarmCoordinator?: Address
  /** MarketFactory (docs/markets.md): optional off the dev chain, where markets need a deployment. */
  marketFactory?: Address
  /** The ERC-20 a new market takes by default: the dev chain's TestToken, or whatever is configured. */
  marketCollateral?: Address
  /** DisputeGame (docs/disputes.md, "The game"): optional off the dev chain, where it needs a deployment. */
  disputeGame?: Address
  /** Base URL of a block explorer, for links to transactions; none on the dev chain. */
  explorer?: string
}

export const DEV_CHAIN_ID = 31337

/**
 * anvil on loopback with the registries and the coordinator at anvil's first three deployment addresses,
 * the TestToken and the market factory at its fourth and seventh, the dispute game at its twelfth
 * (scripts/chain.mjs DEV_ADDRESSES).
 */
export const devChain: ChainConfig = {
  chainId: DEV_CHAIN_ID,
  name: 'Local dev chain (anvil)',
  rpcUrl: 'http://127.0.0.1:8545',
  receiptRegistry: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  swarmRegistry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  swarmCoordinator: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
  marketFactory: '0x0165878A594ca255338adfa4d48449f69242Eb8F',
  marketCollateral: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
  disputeGame: '0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0',
}

type Settings = Partial<
  Record<
    | 'rpc'
    | 'chainId'
    | 'registry'
    | 'swarmRegistry'
    | 'swarmCoordinator'
    | 'marketFactory'
    | 'collateral'
    | 'disputeGame'
    | 'name'
    | 'explorer',
    string
  >
>

/** Build-time settings (VITE_CHAIN_RPC, …), then URL parameters over them, over the dev chain. */
export function chainConfig(search = '', env: Record<string, string | undefined> = viteEnv()): ChainConfig {
  const q = new URLSearchParams(search)
  const pick = (param: keyof Settings, envName: string) => q.get(param) ?? env[envName] ?? undefined
  return resolveChain({
    rpc: pick('rpc', 'VITE_CHAIN_RPC'),
    chainId: pick('chainId', 'VITE_CHAIN_ID'),
    registry: pick('registry', 'VITE_RECEIPT_REGISTRY'),
    swarmRegistry: pick('swarmRegistry', 'VITE_SWARM_REGISTRY'),
    swarmCoordinator: pick('swarmCoordinator', 'VITE_SWARM_COORDINATOR'),
    marketFactory: pick('marketFactory', 'VITE_MARKET_FACTORY'),
    collateral: pick('collateral', 'VITE_MARKET_COLLATERAL'),
    disputeGame: pick('disputeGame', 'VITE_DISPUTE_GAME'),
    name: pick('name', 'VITE_CHAIN_NAME'),
    explorer: pick('explorer', 'VITE_CHAIN_EXPLORER'),
  })
}

export function resolveChain(s: Settings): ChainConfig {
  const chainId = s.chainId === undefined ? DEV_CHAIN_ID : Number(s.chainId)
  if (!Number.isSafeInteger(chainId) || chainId < 1)
    throw new ChainConfigError(`The chain id must be a positive integer (got ${s.chainId}).`)
  const onDev = chainId === DEV_CHAIN_ID
  const address = (value: string | undefined, name: string, fallback: Address): Address => {
    if (value === undefined) {
      if (onDev) return fallback
      throw new ChainConfigError(`Chain ${chainId} needs the ${name} address (no default off the dev chain).`)
    }
    if (!isAddress(value, { strict: false }))
      throw new ChainConfigError(`The ${name} address is not an address: ${value}.`)
    return getAddress(value)
  }
  const rpcUrl = s.rpc ?? (onDev ? devChain.rpcUrl : undefined)
  if (!rpcUrl) throw new ChainConfigError(`Chain ${chainId} needs an RPC URL (rpc=…).`)
  if (!URL.canParse(rpcUrl) || !['http:', 'https:'].includes(new URL(rpcUrl).protocol))
    throw new ChainConfigError(`The RPC URL must be an http(s) URL (got ${rpcUrl}).`)
  return {
    chainId,
    name: s.name ?? (onDev ? devChain.name : `Chain ${chainId}`),
    rpcUrl,
    receiptRegistry: address(s.registry, 'receipt registry', devChain.receiptRegistry),
    swarmRegistry: address(s.swarmRegistry, 'swarm registry', devChain.swarmRegistry),
    // Optional off the dev chain; given, it must be an address like the others.
    ...(s.swarmCoordinator !== undefined || onDev
      ? { swarmCoordinator: address(s.swarmCoordinator, 'swarm coordinator', devChain.swarmCoordinator!) }
      : {}),
    ...(s.marketFactory !== undefined || onDev
      ? { marketFactory: address(s.marketFactory, 'market factory', devChain.marketFactory!) }
      : {}),
    ...(s.collateral !== undefined || onDev
      ? { marketCollateral: address(s.collateral, 'market collateral', devChain.marketCollateral!) }
      : {}),
    ...(s.disputeGame !== undefined || onDev
      ? { disputeGame: address(s.disputeGame, 'dispute game', devChain.disputeGame!) }
      : {}),
    ...(s.explorer ? { explorer: s.explorer } : {}),
  }
}

function viteEnv(): Record<string, string | undefined> {
  return (import.meta as { env?: Record<string, string | undefined> }).env ?? {}
}
