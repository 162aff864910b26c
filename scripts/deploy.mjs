// Deploys Lockstep's contracts, in order, from one account. Shared by scripts/chain.mjs (`npm start` and
// the tests: artifacts compiled by solc) and `lockstep deploy` (src/cli/deploy.ts: the generated
// src/chain/contracts modules, which a unit test keeps equal to solc's output).
import { createPublicClient, createWalletClient, http } from 'viem'

/**
 * What is deployed, in this order; `key` names the address in deployments.json and in the app's settings.
 * The coordinator and market contracts go here as they land, after the registries, so that `args` can
 * hand them the addresses already deployed. On a fresh anvil, its first account's first two deployments
 * land at the addresses the app defaults to (src/chain/config.ts): keep the registries first.
 * @type {{ name: string, key: string, args: (deployed: Record<string, `0x${string}`>) => unknown[] }[]}
 */
export const CONTRACTS = [
  { name: 'ReceiptRegistry', key: 'receiptRegistry', args: () => [] },
  { name: 'SwarmRegistry', key: 'swarmRegistry', args: () => [] },
  { name: 'SwarmCoordinator', key: 'swarmCoordinator', args: () => [] },
]

/**
 * Deploys every contract in CONTRACTS that `existing` does not already name with code on the chain, and
 * calls `onDeployed` as each lands (so a caller can record it before the next one is sent).
 * @param {string} rpcUrl
 * @param {{ account: import('viem').Account, chainId: number,
 *   artifacts: Record<string, { abi: readonly unknown[], bytecode: `0x${string}` }>,
 *   existing?: Record<string, `0x${string}`>,
 *   onDeployed?: (key: string, address: `0x${string}`, tx: `0x${string}` | null) => void }} options
 * @returns {Promise<Record<string, `0x${string}`>>}
 */
export async function deployAll(rpcUrl, { account, chainId, artifacts, existing = {}, onDeployed }) {
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
  for (const { name, key, args } of CONTRACTS) {
    const { abi, bytecode } = artifacts[name] ?? {}
    if (!bytecode) throw new Error(`no compiled ${name} to deploy`)
    const there = existing[key]
    if (there && (await client.getCode({ address: there }))?.length > 2) {
      deployed[key] = there
      onDeployed?.(key, there, null)
      continue
    }
    const hash = await wallet.deployContract({ abi, bytecode, args: args(deployed) })
    const receipt = await client.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success' || !receipt.contractAddress)
      throw new Error(`${name} deployment failed (transaction ${hash})`)
    deployed[key] = receipt.contractAddress
    onDeployed?.(key, receipt.contractAddress, hash)
  }
  return deployed
}
