// SwarmCoordinator writes as anchor-queue jobs (src/chain/queue.ts): a peer's registration in a swarm,
// its reward claims, its attestations of others' claims and its winner votes. A job's `registry` is the
// coordinator and its `receipt` the swarm and the call, so a reload sends exactly what was queued. Each
// kind asks the chain whether its write already holds before anything is sent (exactly once), waits
// for the peer's registration, and a claim whose stage the chain has left ends as `missed`: the contract
// takes claims for the current round and stage only, so sending it later could never land.
import { zeroAddress, zeroHash, type Address, type Hex, type PublicClient } from 'viem'
import { hashJson } from '../receipts/training.ts'
import {
  ChainConfigError,
  ClaimWindowClosedError,
  InvalidWriteError,
  NotYetOnChainError,
  NotYourPeerError,
  PeerNotRegisteredError,
} from '../errors/chain.ts'
import type { ChainConfig } from './config.ts'
import { swarmCoordinatorAbi } from './contracts/SwarmCoordinator.ts'
import {
  attest,
  claimId,
  readClaim,
  readPeers,
  readSwarm,
  registerPeer,
  submitReward,
  submitWinners,
  type AttestCall,
  type RewardCall,
  type SwarmRef,
} from './coordinator.ts'
import type { PeerProof } from './peerProof.ts'
import type { AnchorJob } from './store.ts'
import type { Landed } from './swarm.ts'
import type { Writer } from './writer.ts'

export const COORDINATOR_REGISTRATION = 'lockstep/coordinator-registration'
export const REWARD_CLAIM = 'lockstep/reward-claim'
export const ATTESTATION = 'lockstep/attestation'
export const WINNERS_VOTE = 'lockstep/winners'
export const COORDINATOR_KINDS: readonly string[] = [
  COORDINATOR_REGISTRATION,
  REWARD_CLAIM,
  ATTESTATION,
  WINNERS_VOTE,
]

/** `submitWinners`' call: `peerId` (the sender's) names the round's winners. */
export interface WinnersVote {
  round: number
  winners: string[]
  peerId: string
}

/** A coordinator write to queue, and the address it must come from. */
export type CoordinatorWrite =
  | { kind: typeof COORDINATOR_REGISTRATION; from: Address; proof: PeerProof }
  | { kind: typeof REWARD_CLAIM; from: Address; claim: RewardCall }
  | { kind: typeof ATTESTATION; from: Address; attestation: AttestCall }
  | { kind: typeof WINNERS_VOTE; from: Address; vote: WinnersVote }

/** What a coordinator job keeps as its `receipt`: JSON, so a reward is a decimal string. */
export interface CoordinatorJobCall {
  swarm: Hex
  call: PeerProof | (Omit<RewardCall, 'reward'> & { reward: string }) | AttestCall | WinnersVote
}

export const isCoordinatorJob = (job: AnchorJob) => COORDINATOR_KINDS.includes(job.kind)

/** The swarm a coordinator job writes to. */
export const jobSwarm = (job: AnchorJob): Hex => (job.receipt as CoordinatorJobCall).swarm

/**
 * The job's fields for a write (AnchorQueue.addCoordinator). Its id names the chain, coordinator, kind,
 * swarm, what it writes and the sender, so queuing the same write twice finds the first job.
 */
export function coordinatorJob(config: ChainConfig, ref: SwarmRef, write: CoordinatorWrite) {
  if (ref.config.chainId !== config.chainId)
    throw new ChainConfigError(
      `This coordinator is on chain ${ref.config.chainId}; this page writes to chain ${config.chainId}.`,
    )
  const [call, key] = describe(ref.swarm, write)
  const receipt: CoordinatorJobCall = { swarm: ref.swarm, call }
  return {
    id: [config.chainId, ref.address, write.kind, ref.swarm, key, write.from].join(':').toLowerCase(),
    kind: write.kind,
    receiptHash: hashJson(receipt),
    root: zeroHash,
    uri: '',
    signer: write.from,
    registry: ref.address,
    receipt,
  }
}

const MAX_REWARD = 2n ** 128n - 1n // the contract's

/** Rounds and stages are uint256 on the chain but counters in the page: whole, not negative, exact. */
function counters(what: string, values: Record<string, number>) {
  for (const [name, v] of Object.entries(values))
    if (!Number.isSafeInteger(v) || v < 0)
      throw new InvalidWriteError(`The ${what}'s ${name} must be a whole number ≥ 0 (got ${v}).`)
}

function describe(swarm: Hex, w: CoordinatorWrite): [CoordinatorJobCall['call'], string] {
  if (w.kind === REWARD_CLAIM) {
    counters('claim', { round: w.claim.round, stage: w.claim.stage })
    if (typeof w.claim.reward !== 'bigint' || w.claim.reward < 0n || w.claim.reward > MAX_REWARD)
      throw new InvalidWriteError(
        `The claim's reward must be a bigint in [0, 2^128) (got ${w.claim.reward}).`,
      )
  }
  if (w.kind === ATTESTATION)
    counters('attestation', { round: w.attestation.round, stage: w.attestation.stage })
  if (w.kind === WINNERS_VOTE) counters('vote', { round: w.vote.round })
  switch (w.kind) {
    case COORDINATOR_REGISTRATION:
      return [w.proof, w.proof.peerId]
    case REWARD_CLAIM: {
      const c = w.claim
      return [{ ...c, reward: c.reward.toString() }, `${c.round}-${c.stage}-${c.peerId}`]
    }
    case ATTESTATION: {
      // The contract takes one attestation per address and claim, whichever of its peers signs it.
      const a = w.attestation
      return [a, claimId(swarm, a.round, a.stage, a.claimant)]
    }
    case WINNERS_VOTE:
      return [w.vote, `${w.vote.round}-${w.vote.peerId}`]
  }
}

const tail = (peerId: string) => (peerId.length > 14 ? `…${peerId.slice(-8)}` : peerId)

/** A coordinator job in words, for the queue's list: "reward claim, round 3 stage 0 (…Xk2f9aBc)". */
export function coordinatorJobText(job: AnchorJob): string {
  switch (job.kind) {
    case COORDINATOR_REGISTRATION:
      return `registration of ${tail(callOf<PeerProof>(job).peerId)} in the swarm`
    case REWARD_CLAIM: {
      const c = callOf<RewardCall>(job)
      return `reward claim, round ${c.round} stage ${c.stage} (${tail(c.peerId)})`
    }
    case ATTESTATION: {
      const a = callOf<AttestCall>(job)
      const verdict = a.confirmed ? 'confirming' : 'refuting'
      return `attestation ${verdict} ${tail(a.claimant)}'s claim, round ${a.round} stage ${a.stage}`
    }
    case WINNERS_VOTE: {
      const v = callOf<WinnersVote>(job)
      return `winners vote for round ${v.round} (${v.winners.length} named)`
    }
  }
  return job.kind
}

const refOf = (config: ChainConfig, job: AnchorJob): SwarmRef => ({
  config,
  address: job.registry,
  swarm: jobSwarm(job),
})
const callOf = <T>(job: AnchorJob) => (job.receipt as CoordinatorJobCall).call as T
const rewardOf = (job: AnchorJob): RewardCall => {
  const c = callOf<Omit<RewardCall, 'reward'> & { reward: string }>(job)
  return { ...c, reward: BigInt(c.reward) }
}
const same = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase()

async function ownerOf(client: PublicClient, ref: SwarmRef, peerId: string): Promise<Address> {
  const [row] = await readPeers(client, ref, [peerId])
  return row.eoa
}

/** The peer must be registered to the job's sender; until its registration lands the job waits. */
async function ownPeer(client: PublicClient, ref: SwarmRef, job: AnchorJob, peerId: string) {
  const owner = await ownerOf(client, ref, peerId)
  if (owner === zeroAddress)
    throw new PeerNotRegisteredError(`Peer ${peerId} is not registered in the swarm yet.`, {
      metaMessages: ['Its registration is in the queue; this write follows it.'],
    })
  if (!same(owner, job.signer))
    throw new NotYourPeerError(`Peer ${peerId} is registered to ${owner}, not ${job.signer}.`, {
      details: 'The coordinator takes a peer’s writes only from the address it is registered to.',
    })
}

/** Where the swarm is now; a swarm the coordinator does not have (yet) is waited for. */
async function position(client: PublicClient, ref: SwarmRef) {
  const s = await readSwarm(client, ref)
  if (!s) throw new NotYetOnChainError(`The coordinator at ${ref.address} has no swarm ${ref.swarm}.`)
  return s
}

const order = (p: { round: number; stage: number }) => p.round * 256 + p.stage // stages < 256

/** The claim's window, against where the chain is: closed for good, not open yet, or open. */
async function claimWindow(client: PublicClient, ref: SwarmRef, c: RewardCall, cause?: unknown) {
  const here = await position(client, ref)
  if (order(here) > order(c)) throw new ClaimWindowClosedError(c, here, { cause })
  if (order(here) < order(c))
    throw new NotYetOnChainError(
      `The claim is for round ${c.round} stage ${c.stage}; the chain is at round ${here.round} stage ${here.stage}.`,
    )
}

const revertName = (e: unknown): string | undefined => {
  for (
    let x = e as { cause?: unknown; data?: { errorName?: string } } | undefined;
    x;
    x = x.cause as typeof x
  )
    if (x.data?.errorName) return x.data.errorName
  return undefined
}

type Log = { blockNumber: bigint | null; transactionHash: Hex | null }

/**
 * Where a write that the chain holds landed: its event's block and transaction, or, when the RPC finds
 * no event (one that keeps little log history), the latest block, which it landed at or before.
 */
async function landed(client: PublicClient, logs: Promise<Log[]>, match: (l: Log) => boolean = () => true) {
  const log = (await logs.catch(() => [] as Log[])).find((l) => l.blockNumber !== null && match(l))
  const block = log ? await client.getBlock({ blockNumber: log.blockNumber! }) : await client.getBlock()
  const found: Landed = {
    blockNumber: block.number,
    timestamp: Number(block.timestamp),
    txHash: log?.transactionHash ?? null,
  }
  return found
}

const logsAt = (ref: SwarmRef) => ({ address: ref.address, abi: swarmCoordinatorAbi, fromBlock: 0n }) as const

export const coordinatorWriters: Record<string, Writer> = {
  [COORDINATOR_REGISTRATION]: {
    async read(client, config, job) {
      const ref = refOf(config, job)
      const { peerId } = callOf<PeerProof>(job)
      if (!same(await ownerOf(client, ref, peerId), job.signer)) return null
      const logs = client.getContractEvents({
        ...logsAt(ref),
        eventName: 'PeerRegistered',
        args: { swarm: ref.swarm, eoa: job.signer },
      })
      return landed(client, logs, (l) => (l as { args?: { peerId?: string } }).args?.peerId === peerId)
    },
    send: (session, config, job) => registerPeer(session, refOf(config, job), callOf<PeerProof>(job)),
  },

  [REWARD_CLAIM]: {
    async read(client, config, job) {
      const ref = refOf(config, job)
      const c = rewardOf(job)
      const claim = await readClaim(client, ref, c.round, c.stage, c.peerId)
      // A claim is made only from its peer's address, which never changes: the sender's, or not ours.
      if (!claim || !same(await ownerOf(client, ref, c.peerId), job.signer)) return null
      const args = { swarm: ref.swarm, claim: claim.id, eoa: job.signer }
      return landed(client, client.getContractEvents({ ...logsAt(ref), eventName: 'RewardSubmitted', args }))
    },
    async ready(client, config, job) {
      const ref = refOf(config, job)
      const c = rewardOf(job)
      await claimWindow(client, ref, c)
      await ownPeer(client, ref, job, c.peerId)
    },
    async send(session, config, job, client) {
      const ref = refOf(config, job)
      const c = rewardOf(job)
      try {
        return await submitReward(session, ref, c)
      } catch (e) {
        // The stage moved on between the check and the send: missed, if the chain says so now.
        if (revertName(e) === 'WrongRoundOrStage') await claimWindow(client, ref, c, e)
        throw e
      }
    },
  },

  [ATTESTATION]: {
    async read(client, config, job) {
      const ref = refOf(config, job)
      const a = callOf<AttestCall>(job)
      const claim = claimId(ref.swarm, a.round, a.stage, a.claimant)
      const done = await client.readContract({
        address: ref.address,
        abi: swarmCoordinatorAbi,
        functionName: 'hasAttested',
        args: [claim, job.signer],
      })
      if (!done) return null
      const args = { swarm: ref.swarm, claim, attester: job.signer }
      return landed(client, client.getContractEvents({ ...logsAt(ref), eventName: 'Attested', args }))
    },
    async ready(client, config, job) {
      const ref = refOf(config, job)
      const a = callOf<AttestCall>(job)
      await ownPeer(client, ref, job, a.attester)
      // Peers hear of a claim over gossip, often before the chain has it.
      if (!(await readClaim(client, ref, a.round, a.stage, a.claimant)))
        throw new NotYetOnChainError(
          `${a.claimant}'s claim for round ${a.round} stage ${a.stage} is not on the chain yet.`,
        )
    },
    send: (session, config, job) => attest(session, refOf(config, job), callOf<AttestCall>(job)),
  },

  [WINNERS_VOTE]: {
    async read(client, config, job) {
      const ref = refOf(config, job)
      const v = callOf<WinnersVote>(job)
      const voted = await client.readContract({
        address: ref.address,
        abi: swarmCoordinatorAbi,
        functionName: 'hasVoted',
        args: [ref.swarm, BigInt(v.round), v.peerId],
      })
      if (!voted || !same(await ownerOf(client, ref, v.peerId), job.signer)) return null
      const logs = client.getContractEvents({
        ...logsAt(ref),
        eventName: 'WinnersSubmitted',
        args: { swarm: ref.swarm, round: BigInt(v.round) },
      })
      return landed(
        client,
        logs,
        (l) => (l as { args?: { voterPeerId?: string } }).args?.voterPeerId === v.peerId,
      )
    },
    async ready(client, config, job) {
      const ref = refOf(config, job)
      const v = callOf<WinnersVote>(job)
      // The contract takes votes for the current round or any earlier one: a vote never misses.
      const here = await position(client, ref)
      if (here.round < v.round)
        throw new NotYetOnChainError(`The vote is for round ${v.round}; the chain is at round ${here.round}.`)
      await ownPeer(client, ref, job, v.peerId)
    },
    send: (session, config, job) => submitWinners(session, refOf(config, job), callOf<WinnersVote>(job)),
  },
}
