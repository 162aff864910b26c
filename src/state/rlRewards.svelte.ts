// This tab's verified rewards in the RL swarm (docs/chain.md#verified-rewards): while "Claim rewards on
// chain" is on, the peer registers on the swarm coordinator, claims the reward of its latest rollouts
// once per coordinator round, and re-executes the others' claims, attesting to each through the wallet's
// durable queue. This store runs the reward agent (src/rl/sapo/rewards.ts) and keeps what the Join
// panel lists: its claims, its attestations with their evidence files, and claims it could not check.
import type { Address, PublicClient } from 'viem'
import { rewardChainOf, type SwarmRef } from '../chain/coordinator.ts'
import {
  RewardAgent,
  evidenceHash,
  evidenceText,
  rlSwarmParams,
  rlTaskBook,
  roundWinners,
  type AttestationCall,
  type ClaimCall,
  type RewardEvent,
  type RewardEvidence,
  type RewardWriter,
} from '../rl/sapo/index.ts'
import type { RlCompute, RoundReport } from '../rl/types.ts'
import type { SwarmNet } from '../swarm/types.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { idbEvidenceStore, memoryEvidenceStore, type EvidenceStore } from './evidenceStore.ts'

/** Entries kept in each list (a tab open for hours claims every round). */
export const MAX_ENTRIES = 50

export interface RlRewardsStart {
  net: SwarmNet
  compute: RlCompute
  /** The swarm's name: the coordinator's swarm is swarmId(name), the RL params rlSwarmParams(name). */
  name: string
  ref: SwarmRef
  client: PublicClient
  /** The connected wallet's address: attestations name it in their evidence files. */
  address: Address
  /** Queues the writes (the wallet's durable queue in the page). */
  writer: RewardWriter
  /** Queues this peer's registration on the coordinator (claims and attestations wait for it). */
  register(): Promise<unknown>
  /** The cheat switch for claims: while true they are inflated. */
  inflating: () => boolean
}

export interface ClaimEntry extends ClaimCall {
  honest: bigint
  inflated: boolean
}

export interface AttestEntry extends AttestationCall {
  why: string
  reward: bigint | null
  /** The evidence file's canonical text: its keccak256 is `evidenceHash`. */
  evidence: string
}

export class RlRewards {
  claims = $state.raw<ClaimEntry[]>([])
  attestations = $state.raw<AttestEntry[]>([])
  unavailable = $state.raw<{ round: number; stage: number; claimant: string; why: string }[]>([])
  /** Its winner votes: per coordinator round, the peers it named. */
  votes = $state.raw<{ round: number; winners: string[] }[]>([])
  error = $state<ErrorInfo | null>(null)
  #agent: RewardAgent | null = null
  readonly #store: EvidenceStore

  constructor(store?: EvidenceStore) {
    this.#store = store ?? (typeof indexedDB === 'undefined' ? memoryEvidenceStore() : idbEvidenceStore())
  }

  /** Starts the agent; the returned hooks go to the RL peer (its `published` event, `serve`, each round). */
  start(o: RlRewardsStart) {
    this.stop()
    const params = rlSwarmParams(o.name)
    const agent = new RewardAgent({
      self: o.net.self,
      address: o.address,
      swarm: o.name,
      params,
      book: rlTaskBook,
      compute: o.compute,
      net: o.net,
      chain: rewardChainOf(o.client, o.ref),
      writer: {
        claim: (call) => o.writer.claim(call),
        vote: o.writer.vote && ((call) => o.writer.vote!(call)),
        // The file is saved before the attestation is queued: none lands without its evidence.
        attest: async (call, evidence) => {
          await this.#store.put(evidence)
          await o.writer.attest(call, evidence)
        },
      },
      inflating: o.inflating,
    })
    agent.on((e) => this.#take(e))
    this.#agent = agent
    o.register().catch((e: unknown) => (this.error = errorInfo(e)))
    // Attestations from before a reload, with their files.
    void this.#store
      .list(o.name, o.ref.address, MAX_ENTRIES)
      .then((files) => {
        const known = this.attestations.map((a) => a.evidenceHash)
        const old = files.map(entryOf).filter((a) => !known.includes(a.evidenceHash))
        this.attestations = [...old, ...this.attestations].slice(-MAX_ENTRIES)
      })
      .catch((e: unknown) => (this.error = errorInfo(e)))
    return {
      serve: agent.serve,
      published: (p: Parameters<RewardAgent['published']>[0]) => agent.published(p),
      round: (report: RoundReport) =>
        void agent.tick(
          report.peers.map((p) => p.peer),
          roundWinners(report),
        ),
    }
  }

  stop(): void {
    this.#agent?.stop()
    this.#agent = null
  }

  #take(e: RewardEvent): void {
    const keep = <T>(list: T[], x: T) => [...list, x].slice(-MAX_ENTRIES)
    if (e.type === 'claimed')
      this.claims = keep(this.claims, { ...e.call, honest: e.honest, inflated: e.call.reward !== e.honest })
    else if (e.type === 'attested') this.attestations = keep(this.attestations, entryOf(e.evidence))
    else if (e.type === 'unavailable') this.unavailable = keep(this.unavailable, e)
    else if (e.type === 'voted') this.votes = keep(this.votes, { round: e.round, winners: e.winners })
    else this.error = errorInfo(e.error)
  }
}

/** An attestation as its evidence file records it. */
function entryOf(e: RewardEvidence): AttestEntry {
  return {
    round: e.claim.round,
    stage: e.claim.stage,
    claimant: e.claim.peerId,
    attester: e.attester.peerId,
    confirmed: e.verdict.confirmed,
    evidenceHash: evidenceHash(e),
    why: e.verdict.why,
    reward: e.verdict.reward === null ? null : BigInt(e.verdict.reward),
    evidence: evidenceText(e),
  }
}
