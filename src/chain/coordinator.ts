// The swarm coordinator (contracts/SwarmCoordinator.sol) from TypeScript: reads go straight to the RPC,
// writes through the visitor's wallet, as src/chain/swarm.ts does for the registry. The chain cannot
// re-execute anything: a reward is "verified" when `quorum` other peers attested that its receipts
// re-executed to it, and "refuted" when one peer said they did not (docs/chain.md#swarm-coordinator).
import {
  BaseError as ViemError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  encodeAbiParameters,
  type ContractFunctionArgs,
  type ContractFunctionName,
  keccak256,
  toBytes,
  type Address,
  type Hex,
  type PublicClient,
  zeroAddress,
} from 'viem'
import { swarmCoordinatorAbi } from './contracts/SwarmCoordinator.ts'
import { walletClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { walletError, type WalletSession } from './wallet.ts'
import type { PeerProof, PeerSigner } from './peerProof.ts'
import { ContractMissingError } from '../errors/chain.ts'

/** A deployed coordinator on a configured chain. */
export interface Coordinator {
  config: ChainConfig
  address: Address
}

/** One swarm in a coordinator. */
export interface SwarmRef extends Coordinator {
  swarm: Hex
}

/** The contract's LEADERBOARD_SIZE: how many ranks each leaderboard keeps. */
export const LEADERBOARD_SIZE = 100

export interface SwarmState {
  id: Hex
  name: string
  creator: Address
  round: number
  stage: number
  stageCount: number
  quorum: number
  peers: number
  voters: number
  bootnodes: number
}

/** A peer's totals in one swarm: claimed, of which verified, and refuted rewards; wins; votes cast. */
export interface PeerTotals {
  peerId: string
  eoa: Address
  claimed: bigint
  verified: bigint
  refuted: bigint
  wins: bigint
  votes: bigint
}

export type ClaimStatus = 'pending' | 'verified' | 'refuted'

export interface ClaimState {
  id: Hex
  round: number
  stage: number
  reward: bigint
  receiptsRoot: Hex
  status: ClaimStatus
  confirmations: number
  refutations: number
}

export interface RewardCall {
  round: number
  stage: number
  reward: bigint
  peerId: string
  /** Root of the receipts the reward re-executes from; never zero. */
  receiptsRoot: Hex
}

export interface AttestCall {
  round: number
  stage: number
  claimant: string
  /** The sender's own peer id in the swarm. */
  attester: string
  confirmed: boolean
  /** keccak256 of the evidence file (the re-execution) anyone can re-check. */
  evidenceHash: Hex
}

export const swarmId = (name: string): Hex => keccak256(toBytes(name))

/** The id the contract files a claim under: keccak256(abi.encode(swarm, round, stage, keccak256(peerId))). */
export function claimId(swarm: Hex, round: number, stage: number, peerId: string): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes32' }],
      [swarm, BigInt(round), BigInt(stage), keccak256(toBytes(peerId))],
    ),
  )
}

const at = (ref: Coordinator) => ({ address: ref.address, abi: swarmCoordinatorAbi }) as const

/**
 * A read, its failures as Lockstep errors: no contract at the address (`ContractMissingError`), an RPC
 * that did not answer (`RpcUnavailableError`), or the contract's named refusal (`RevertedError`).
 */
async function reading<T>(ref: Coordinator, what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (e) {
    // No code answers with empty data; another contract reverts with none (every refusal of the
    // coordinator's is a named error).
    if (e instanceof ViemError) {
      const revert = e.walk((x) => x instanceof ContractFunctionRevertedError)
      const bare = revert instanceof ContractFunctionRevertedError && !revert.data && revert.raw === '0x'
      if (bare || e.walk((x) => x instanceof ContractFunctionZeroDataError))
        throw new ContractMissingError(
          `No swarm coordinator answers at ${ref.address} on chain ${ref.config.chainId}.`,
          { details: e.shortMessage, cause: e },
        )
    }
    throw walletError(e, what)
  }
}

const revertName = (e: unknown) => {
  const revert = e instanceof ViemError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined
}

/** The swarm's round, stage and counts, or null when no swarm has that id. */
export function readSwarm(client: PublicClient, ref: SwarmRef): Promise<SwarmState | null> {
  return reading(ref, 'reading the swarm', async () => {
    const s = await client
      .readContract({ ...at(ref), functionName: 'swarmInfo', args: [ref.swarm] })
      .catch((e: unknown) => {
        if (revertName(e) === 'NoSuchSwarm') return null
        throw e
      })
    if (!s) return null
    return {
      id: ref.swarm,
      name: s.name,
      creator: s.creator,
      round: Number(s.round),
      stage: Number(s.stage),
      stageCount: Number(s.stageCount),
      quorum: Number(s.quorum),
      peers: Number(s.peers),
      voters: Number(s.voters),
      bootnodes: Number(s.bootnodes),
    }
  })
}

/** Ranks [start, start + count) of the verified-reward leaderboard, best first. */
export async function readLeaderboard(
  client: PublicClient,
  ref: SwarmRef,
  { start = 0, count = LEADERBOARD_SIZE } = {},
): Promise<PeerTotals[]> {
  const args = [ref.swarm, BigInt(start), BigInt(start + count)] as const
  return reading(ref, 'reading the leaderboard', async () => [
    ...(await client.readContract({ ...at(ref), functionName: 'rewardLeaderboard', args })),
  ])
}

/** Ranks of the wins leaderboard, best first. */
export async function readWinners(
  client: PublicClient,
  ref: SwarmRef,
  { start = 0, count = LEADERBOARD_SIZE } = {},
): Promise<{ peerId: string; wins: bigint }[]> {
  const args = [ref.swarm, BigInt(start), BigInt(start + count)] as const
  const [ids, wins] = await reading(ref, 'reading the winners', () =>
    client.readContract({ ...at(ref), functionName: 'winnerLeaderboard', args }),
  )
  return ids.map((peerId, i) => ({ peerId, wins: wins[i] }))
}

/** Each peer's totals (zeros and the zero address for a peer the swarm does not know). */
export async function readPeers(
  client: PublicClient,
  ref: SwarmRef,
  peerIds: string[],
): Promise<PeerTotals[]> {
  const args = [ref.swarm, peerIds] as const
  return reading(ref, 'reading the peers', async () => [
    ...(await client.readContract({ ...at(ref), functionName: 'getPeers', args })),
  ])
}

/** The swarm's relay/bootnode multiaddrs, in the order to try them. */
export function readBootnodes(client: PublicClient, ref: SwarmRef): Promise<string[]> {
  return reading(ref, 'reading the bootnodes', async () => [
    ...(await client.readContract({ ...at(ref), functionName: 'getBootnodes', args: [ref.swarm] })),
  ])
}

const STATUS: Record<number, ClaimStatus | undefined> = { 1: 'pending', 2: 'verified', 3: 'refuted' }

/** `peerId`'s claim for (round, stage), or null when it made none. */
export async function readClaim(
  client: PublicClient,
  ref: SwarmRef,
  round: number,
  stage: number,
  peerId: string,
): Promise<ClaimState | null> {
  const id = claimId(ref.swarm, round, stage, peerId)
  const c = await reading(ref, 'reading the claim', () =>
    client.readContract({ ...at(ref), functionName: 'getClaim', args: [id] }),
  )
  const status = STATUS[c.status]
  if (!status) return null
  return {
    id,
    round: Number(c.round),
    stage: c.stage,
    reward: c.reward,
    receiptsRoot: c.receiptsRoot,
    status,
    confirmations: c.confirmations,
    refutations: c.refutations,
  }
}

/** The peer key's proof that `eoa` may register it in this swarm (and no other, nor another contract). */
export function proveForSwarm(peer: PeerSigner, eoa: Address, ref: SwarmRef): Promise<PeerProof> {
  return peer.prove({ eoa, chainId: ref.config.chainId, registry: ref.address, swarm: ref.swarm })
}

type Write = ContractFunctionName<typeof swarmCoordinatorAbi, 'nonpayable'>

async function send<F extends Write>(
  session: WalletSession,
  ref: Coordinator,
  what: string,
  functionName: F,
  args: ContractFunctionArgs<typeof swarmCoordinatorAbi, 'nonpayable', F>,
): Promise<Hex> {
  try {
    const wallet = walletClient(session.provider, session.address, ref.config)
    // Typed by F above; viem's own overloads cannot follow a generic function name.
    return await wallet.writeContract({ ...at(ref), functionName, args } as never)
  } catch (e) {
    throw walletError(e, what)
  }
}

/** Creates the swarm `name`; the sender becomes its owner, stage manager and bootnode manager. */
export function createSwarm(
  session: WalletSession,
  ref: Coordinator,
  s: { name: string; stages: number; quorum: number },
): Promise<Hex> {
  const args = [s.name, BigInt(s.stages), BigInt(s.quorum)] as const
  return send(session, ref, 'creating the swarm', 'createSwarm', args)
}

export function registerPeer(session: WalletSession, ref: SwarmRef, p: PeerProof): Promise<Hex> {
  const args = [ref.swarm, p.peerId, p.publicKey, p.r, p.s] as const
  return send(session, ref, 'registering the peer', 'registerPeer', args)
}

/** Moves the swarm to its next stage (or round); the sender needs the stage-manager role. */
export function advanceStage(session: WalletSession, ref: SwarmRef): Promise<Hex> {
  return send(session, ref, 'advancing the stage', 'updateStageAndRound', [ref.swarm])
}

export function submitReward(session: WalletSession, ref: SwarmRef, r: RewardCall): Promise<Hex> {
  const args = [ref.swarm, BigInt(r.round), BigInt(r.stage), r.reward, r.peerId, r.receiptsRoot] as const
  return send(session, ref, 'submitting the reward', 'submitReward', args)
}

export function attest(session: WalletSession, ref: SwarmRef, a: AttestCall): Promise<Hex> {
  const id = claimId(ref.swarm, a.round, a.stage, a.claimant)
  const args = [id, a.attester, a.confirmed, a.evidenceHash] as const
  return send(session, ref, 'attesting the reward', 'attest', args)
}

export function submitWinners(
  session: WalletSession,
  ref: SwarmRef,
  v: { round: number; winners: string[]; peerId: string },
): Promise<Hex> {
  const args = [ref.swarm, BigInt(v.round), v.winners, v.peerId] as const
  return send(session, ref, 'submitting the winners', 'submitWinners', args)
}

/** Appends relay multiaddrs; the sender needs the bootnode-manager role. */
export function addBootnodes(session: WalletSession, ref: SwarmRef, multiaddrs: string[]): Promise<Hex> {
  const args = [ref.swarm, multiaddrs] as const
  return send(session, ref, 'adding bootnodes', 'addBootnodes', args)
}

/**
 * The reward agent's view of a swarm (RewardChain in src/rl/sapo/rewards.ts): its round and stage, a
 * peer's claim, and which peer ids are registered. The page and `lockstep swarm --claim` share it.
 */
export function rewardChainOf(client: PublicClient, ref: SwarmRef) {
  return {
    chainId: ref.config.chainId,
    coordinator: ref.address,
    async position() {
      const s = await readSwarm(client, ref)
      return s && { round: s.round, stage: s.stage, stageCount: s.stageCount }
    },
    claim: (round: number, stage: number, peerId: string) => readClaim(client, ref, round, stage, peerId),
    registered: async (ids: readonly string[]) =>
      (await readPeers(client, ref, [...ids])).map((r) => r.eoa !== zeroAddress),
  }
}
