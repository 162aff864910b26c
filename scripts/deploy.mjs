// Deploys Lockstep's contracts, in order, from one account. Shared by scripts/chain.mjs (`npm start` and
// the tests: artifacts compiled by solc) and `lockstep deploy` (src/cli/deploy.ts: the generated
// src/chain/contracts modules, which a unit test keeps equal to solc's output).
import { readFileSync } from 'node:fs'
import { createPublicClient, createWalletClient, http, parseEther } from 'viem'

/**
 * What is deployed, in this order; `key` names the address in deployments.json and in the app's settings.
 * The coordinator and market contracts go here as they land, after the registries, so that `args` can
 * hand them the addresses already deployed (and the deployer's). On a fresh anvil, its first account's first
 * two deployments land at the addresses the app defaults to (src/chain/config.ts): keep the registries first.
 * @typedef {{ name: string, key: string,
 *   args: (deployed: Record<string, `0x${string}`>, deployer: `0x${string}`) => unknown[] }} Deployment
 * @type {Deployment[]}
 */
export const CONTRACTS = [
  { name: 'ReceiptRegistry', key: 'receiptRegistry', args: () => [] },
  { name: 'SwarmRegistry', key: 'swarmRegistry', args: () => [] },
  { name: 'SwarmCoordinator', key: 'swarmCoordinator', args: () => [] },
]

/**
 * The markets (docs/markets.md): the market implementation the factory clones, the interim referee and the
 * factory. `treasury` takes the protocol's fee share and `refereeOwner` rules disputes until the on-chain
 * referee lands: on a real chain both are chosen on purpose (`lockstep deploy --markets`); left out, the
 * deployer (the dev chain's).
 * @param {{ treasury?: `0x${string}`, refereeOwner?: `0x${string}` }} [roles]
 * @returns {Deployment[]}
 */
export const marketContracts = ({ treasury, refereeOwner } = {}) => [
  { name: 'Market', key: 'marketImplementation', args: () => [] },
  { name: 'InterimReferee', key: 'interimReferee', args: (_, deployer) => [refereeOwner ?? deployer] },
  {
    name: 'MarketFactory',
    key: 'marketFactory',
    args: (d, deployer) => [
      d.marketImplementation,
      d.receiptRegistry,
      treasury ?? deployer,
      d.interimReferee,
    ],
  },
]

/**
 * The markets on the dev chain, after CONTRACTS: collateral anyone mints first, then the markets with the
 * deployer as treasury and referee owner.
 * @type {Deployment[]}
 */
export const DEV_MARKET_CONTRACTS = [
  { name: 'TestToken', key: 'testToken', args: () => [] },
  ...marketContracts(),
]

/** Seconds each move of a dev-chain dispute game may take (DisputeGame's window). */
export const DEV_GAME_WINDOW = 300n

/**
 * The on-chain referee on the dev chain (docs/disputes.md), after the markets so that no earlier address
 * moves: the Referee, RefereeRows, RefereeNorm and RefereeGrad that recompute one element (RefereeGrad forwards
 * the row ops to RefereeRows and the statistics to RefereeNorm), then GameOperands (which input elements a
 * disputed element reads) and the DisputeGame that calls GameOperands, Referee and RefereeGrad.
 * @type {Deployment[]}
 */
export const DEV_GAME_CONTRACTS = [
  { name: 'Referee', key: 'referee', args: () => [] },
  { name: 'RefereeRows', key: 'refereeRows', args: () => [] },
  { name: 'RefereeNorm', key: 'refereeNorm', args: () => [] },
  { name: 'RefereeGrad', key: 'refereeGrad', args: (d) => [d.refereeRows, d.refereeNorm] },
  { name: 'GameOperands', key: 'gameOperands', args: () => [] },
  {
    name: 'DisputeGame',
    key: 'disputeGame',
    args: (d) => [d.referee, d.refereeGrad, d.gameOperands, DEV_GAME_WINDOW],
  },
]

/** Seconds in which a settlement game's roots are committed after a challenge, and every bound game's bond. */
export const DEV_COMMIT_WINDOW = 3600n
export const DEV_GAME_BOND = parseEther('0.01')

/**
 * The dev chain's trustless market referee (docs/markets.md, "Ruling by the game"), after the dispute game so
 * that no earlier address moves: a SettlementReferee for the trained settlement model, deployed with the
 * constants public/rl/settlement-referee.json holds (src/disputes/gameOfSettlement.test.ts re-derives them
 * from the checkpoint), and a second MarketFactory whose markets it rules.
 * @type {Deployment[]}
 */
export const DEV_SETTLEMENT_CONTRACTS = [
  {
    name: 'SettlementReferee',
    key: 'settlementReferee',
    args: (d) => {
      const k = JSON.parse(
        readFileSync(new URL('../public/rl/settlement-referee.json', import.meta.url), 'utf8'),
      )
      return [
        d.disputeGame,
        k.modelHash,
        k.shape,
        k.weightRoots,
        k.siblings,
        DEV_COMMIT_WINDOW,
        DEV_GAME_BOND,
      ]
    },
  },
  {
    name: 'MarketFactory',
    key: 'gameMarketFactory',
    args: (d, deployer) => [d.marketImplementation, d.receiptRegistry, deployer, d.settlementReferee],
  },
]

/**
 * Deploys every contract in `contracts` (CONTRACTS unless named) that `existing` does not already name
 * with code on the chain, and calls `onDeployed` as each lands (so a caller can record it before the
 * next one is sent).
 * @param {string} rpcUrl
 * @param {{ account: import('viem').Account, chainId: number,
 *   artifacts: Record<string, { abi: readonly unknown[], bytecode: `0x${string}` }>,
 *   existing?: Record<string, `0x${string}`>, contracts?: Deployment[],
 *   onDeployed?: (key: string, address: `0x${string}`, tx: `0x${string}` | null) => void }} options
 * @returns {Promise<Record<string, `0x${string}`>>}
 */
export async function deployAll(
  rpcUrl,
  { account, chainId, artifacts, existing = {}, onDeployed, contracts = CONTRACTS },
) {
  const chain = {
    id: chainId,
    name: `Chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  }
  const wallet = createWalletClient({ account, chain, transport: http(rpcUrl) })
  const client = createPublicClient({ chain, transport: http(rpcUrl) })
  /** @type {Record<string, `0x${string}`>} */
  const deployed = {}
  // Earlier deployments are visible to later `args` (the market factory takes the registry's address).
  const seen = { ...existing }
  for (const { name, key, args } of contracts) {
    const { abi, bytecode } = artifacts[name] ?? {}
    if (!bytecode) throw new Error(`no compiled ${name} to deploy`)
    const there = existing[key]
    if (there && (await client.getCode({ address: there }))?.length > 2) {
      deployed[key] = seen[key] = there
      onDeployed?.(key, there, null)
      continue
    }
    const hash = await wallet.deployContract({ abi, bytecode, args: args(seen, account.address) })
    const receipt = await client.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success' || !receipt.contractAddress)
      throw new Error(`${name} deployment failed (transaction ${hash})`)
    deployed[key] = seen[key] = receipt.contractAddress
    onDeployed?.(key, receipt.contractAddress, hash)
  }
  return deployed
}
