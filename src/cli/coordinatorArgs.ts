// Which coordinator the swarm commands (leaderboard, evidence --rpc, submit) talk to: the chain is the one
// the RPC serves (--chain-id, when given, must agree), the address --coordinator, else deploy's file
// (--contracts), else the command's own default (an evidence file's), else the dev chain's. Reads time
// out in seconds, so an RPC that is down is named at once rather than waited on.
import { readFileSync } from 'node:fs'
import {
  createPublicClient,
  getAddress,
  http,
  isAddress,
  zeroAddress,
  type Address,
  type PublicClient,
} from 'viem'
import { chainOf } from '../chain/client.ts'
import { DEV_CHAIN_ID, devChain, type ChainConfig } from '../chain/config.ts'
import type { Coordinator } from '../chain/coordinator.ts'
import { walletError } from '../chain/wallet.ts'
import { ChainConfigError, RpcUnavailableError } from '../errors/chain.ts'
import { UsageError } from '../errors/cli.ts'
import { flag } from './args.ts'
import type { Deployments } from './deploy.ts'

/** How long one read may take: a verifier's terminal is not a place to wait on a dead RPC. */
const READ_TIMEOUT_MS = 5_000

export interface ChainAccess {
  client: PublicClient
  coordinator: Coordinator
}

/** The RPC's chain id, or RpcUnavailableError naming the URL. */
export async function chainIdAt(rpc: string): Promise<number> {
  const probe = createPublicClient({ transport: http(rpc, { retryCount: 0, timeout: READ_TIMEOUT_MS }) })
  try {
    return await probe.getChainId()
  } catch (e) {
    const err = walletError(e, `reading the chain id at ${rpc}`)
    if (err instanceof RpcUnavailableError) throw err
    throw new RpcUnavailableError(`No chain answers at ${rpc}.`, { details: err.message, cause: e })
  }
}

function fromDeployments(file: string, chainId: number): Address {
  let d: Deployments
  try {
    d = JSON.parse(readFileSync(file, 'utf8')) as Deployments
  } catch (e) {
    throw new UsageError(`--contracts ${file} is not deploy's JSON (${e instanceof Error ? e.message : e})`)
  }
  if (d?.chainId !== chainId)
    throw new ChainConfigError(`${file} records chain ${d?.chainId}, but the RPC serves chain ${chainId}.`)
  const address = d.contracts?.swarmCoordinator
  if (!address || !isAddress(address, { strict: false }))
    throw new ChainConfigError(`${file} records no swarmCoordinator address.`)
  return getAddress(address)
}

/** The chain at --rpc and the coordinator on it; `fallback` is the command's own default address. */
export async function chainAccess(args: string[], fallback?: Address): Promise<ChainAccess> {
  const rpc = flag(args, 'rpc')
  if (!rpc || !/^https?:\/\//.test(rpc)) throw new UsageError('--rpc takes the chain’s http(s) JSON-RPC URL')
  const chainId = await chainIdAt(rpc)
  const wanted = flag(args, 'chain-id')
  if (wanted !== undefined && Number(wanted) !== chainId)
    throw new ChainConfigError(`${rpc} serves chain ${chainId}, not ${wanted}.`)
  const given = flag(args, 'coordinator')
  if (given !== undefined && !isAddress(given, { strict: false }))
    throw new UsageError(`--coordinator ${given} is not an address`)
  const contracts = flag(args, 'contracts')
  const address = given
    ? getAddress(given)
    : contracts
      ? fromDeployments(contracts, chainId)
      : (fallback ?? (chainId === DEV_CHAIN_ID ? devChain.swarmCoordinator : undefined))
  if (!address)
    throw new UsageError(
      `chain ${chainId} has no default coordinator: pass --coordinator ADDR or --contracts FILE`,
    )
  // These commands use the coordinator alone; the registries' addresses are not needed here.
  const config: ChainConfig = {
    chainId,
    name: chainId === DEV_CHAIN_ID ? devChain.name : `Chain ${chainId}`,
    rpcUrl: rpc,
    receiptRegistry: zeroAddress,
    swarmRegistry: zeroAddress,
    swarmCoordinator: address,
  }
  const client = createPublicClient({
    chain: chainOf(config),
    transport: http(rpc, { retryCount: 0, timeout: READ_TIMEOUT_MS }),
    // Waiting for a transaction polls once a second (viem's default is four).
    pollingInterval: 1_000,
  }) as PublicClient
  return { client, coordinator: { config, address } }
}
