// A peer's side of verified rewards (docs/chain.md#verified-rewards): once per coordinator round and
// stage it claims the reward of its latest published rollouts, and it re-executes the claims of the
// peers it hears and attests to each, with an evidence file. The chain and the wallet are behind
// interfaces: the page queues its writes durably (src/chain/queue.ts), a Node peer sends them with its
// key. Nothing here trusts the claimant: the bytes are fetched by the hashes its claim commits to, and
// recheckClaim judges them by the swarm's own rules.
import type { Address, Hex } from 'viem'
import type { AttestCall, RewardCall } from '../../chain/coordinator.ts'
import { SwarmNetError } from '../../errors/network.ts'
import { realClock, type Clock } from '../../swarm/protocol/clock.ts'
import type { SwarmNet } from '../../swarm/types.ts'
import { acceptRollouts } from './accept.ts'
import type { TaskBook } from './book.ts'
import { claimReward, receiptsRoot, recheckClaim, type EarlierClaim, type Recheck } from './claim.ts'
import { evidenceHash, makeEvidence, type RewardEvidence } from './evidence.ts'
import { decodeSapoMessage, MAX_SAPO_MESSAGE_BYTES, type Rollouts } from './messages.ts'
import { maxBlobBytes, type SapoParams } from './params.ts'
import type { RlCompute, RoundReport } from '../types.ts'

/** Where the coordinator is for this swarm: its round and stage, and a peer's claim in one of them. */
export interface RewardChain {
  chainId: number
  coordinator: Address
  /** The swarm's current round and stage (of stageCount a round), or null when it has no such swarm. */
  position(): Promise<Position | null>
  claim(round: number, stage: number, peerId: string): Promise<{ reward: bigint; receiptsRoot: Hex } | null>
  /** Whether each peer id is registered in the swarm (a vote may name registered peers only). */
  registered(peerIds: readonly string[]): Promise<boolean[]>
}

/** The coordinator's calls (src/chain/coordinator.ts): a reward claim, and an attestation of one. */
export type ClaimCall = RewardCall
export type AttestationCall = AttestCall

export interface Position {
  round: number
  stage: number
  stageCount: number
}

/** How the writes leave: each resolves once the write is queued (or sent); exactly-once is its job. */
export interface RewardWriter {
  claim(call: ClaimCall): Promise<void>
  attest(call: AttestationCall, evidence: RewardEvidence): Promise<void>
  /** A winner vote for a coordinator round that has ended (as its voter `peerId`). */
  vote?(call: { round: number; winners: string[]; peerId: string }): Promise<void>
}

/** Winners a peer names per vote: the best by the rewards it recomputed itself. */
export const WINNERS_PER_VOTE = 3

export interface RewardAgentOptions {
  self: string
  /** The address this peer's writes come from (the attester's, in evidence files). */
  address: Address
  /** The swarm's name (evidence files name it; a verifier derives the params from it). */
  swarm: string
  params: SapoParams
  book: TaskBook
  compute: RlCompute
  net: SwarmNet
  chain: RewardChain
  writer: RewardWriter
  /** The cheat switch: while true, claims are inflated (twice the reward plus a full answer's worth). */
  inflating?: () => boolean
  /** Longest wait for one fetch of a claim's bytes (clock ms); 30 s unless given. */
  fetchMs?: number
  clock?: Clock
}

/** What the agent did, for the page to list. */
export type RewardEvent =
  | { type: 'claimed'; call: ClaimCall; honest: bigint }
  | { type: 'voted'; round: number; winners: string[] }
  | { type: 'attested'; call: AttestationCall; verdict: Recheck; evidence: RewardEvidence }
  | { type: 'unavailable'; round: number; stage: number; claimant: string; why: string }
  | { type: 'error'; error: Error }

/** Claims whose bytes stay served: this many of the latest. */
const KEPT_CLAIMS = 4
/** Fetch failures after which a claim is left pending (unverified) by this peer. */
const MAX_TRIES = 3

interface Published {
  round: number
  message: Uint8Array
  blob: Hex
  checkpoint: Uint8Array
}

export class RewardAgent {
  readonly #o: RewardAgentOptions
  #latest: Published | null = null
  /** Bytes of recent claims, by hash: each claim's message and the checkpoint it names. */
  readonly #kept = new Map<Hex, Uint8Array>()
  readonly #claims: Hex[] = []
  /** `round:stage` this peer claimed in, and the RL round of the rollouts it claimed last. */
  readonly #claimed = new Set<string>()
  #claimedRl = -1
  /** The last coordinator round this peer voted for. */
  #voted = -1
  /** Per claimant, the claim with the latest RL round this peer fetched: the replay rule's evidence. */
  readonly #latestOf = new Map<string, EarlierClaim & { rl: number }>()
  /** Claims re-checked (or given up on), by `round:stage:peer`; and fetch failures so far. */
  readonly #done = new Set<string>()
  readonly #tries = new Map<string, number>()
  #pass: Promise<void> | null = null
  #listeners = new Set<(e: RewardEvent) => void>()
  #stopped = false

  constructor(o: RewardAgentOptions) {
    this.#o = o
  }

  on(f: (e: RewardEvent) => void): () => void {
    this.#listeners.add(f)
    return () => this.#listeners.delete(f)
  }

  /** For RlPeerOptions.serve: the bytes of a kept claim. */
  serve = (hash: Hex): Uint8Array | undefined => this.#kept.get(hash)

  /** RlPeer's `published` event: the rollouts the next claim will name. */
  published(p: Published): void {
    this.#latest = p
  }

  /**
   * One pass after a round: claim in the coordinator's current round and stage if this peer has not,
   * then re-check the claims there (and in the stage before) of `peers`. Passes do not overlap: one
   * asked for while another runs is skipped (the next round asks again).
   */
  tick(peers: readonly string[], winners: readonly string[] = []): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    this.#pass ??= this.#run(peers, winners)
      .catch((e: unknown) =>
        this.#emit({ type: 'error', error: e instanceof Error ? e : new Error(String(e)) }),
      )
      .finally(() => (this.#pass = null))
    return this.#pass
  }

  stop(): void {
    this.#stopped = true
  }

  async #run(peers: readonly string[], winners: readonly string[]): Promise<void> {
    const at = await this.#o.chain.position()
    if (!at) return
    await this.#claim(at)
    await this.#vote(at, winners)
    // Claims land after the pass that saw their stage: the stage before is checked too.
    const before =
      at.stage > 0
        ? [{ round: at.round, stage: at.stage - 1 }]
        : at.round > 0
          ? [{ round: at.round - 1, stage: at.stageCount - 1 }]
          : []
    for (const { round, stage } of [...before, at])
      for (const peer of peers) {
        if (this.#stopped) return
        if (peer !== this.#o.self) await this.#check(round, stage, peer)
      }
  }

  async #claim(at: Position): Promise<void> {
    const key = `${at.round}:${at.stage}`
    const p = this.#latest
    if (!p || this.#claimed.has(key)) return
    const { self, params, book } = this.#o
    const m = decodeSapoMessage(p.message)
    // No rollouts since the last claim (RL rounds slower than coordinator rounds): claiming them again
    // would be a replay, which the others refute.
    if (m.type !== 'rollouts' || m.round <= this.#claimedRl) return
    this.#claimedRl = m.round
    const honest = claimReward(acceptRollouts(m, self, params, book))
    const reward = this.#o.inflating?.() ? honest * 2n + 1000n : honest
    const root = receiptsRoot(p.message)
    this.#keep(root, p)
    this.#claimed.add(key)
    const call = { round: at.round, stage: at.stage, reward, peerId: self, receiptsRoot: root }
    await this.#o.writer.claim(call)
    this.#emit({ type: 'claimed', call, honest })
  }

  /**
   * Once per coordinator round, for the round before: the peers whose latest rollouts earned most by this
   * peer's own recomputation (`winners`, best first). A vote is an opinion, not a result: the contract
   * counts wins, it checks nothing (docs/chain.md).
   */
  async #vote(at: Position, winners: readonly string[]): Promise<void> {
    const round = at.round - 1
    const vote = this.#o.writer.vote
    if (!vote || round < 0 || round <= this.#voted || !winners.length) return
    this.#voted = round
    const ids = [...new Set(winners)]
    const known = await this.#o.chain.registered(ids)
    const picked = ids.filter((_, i) => known[i]).slice(0, WINNERS_PER_VOTE)
    if (!picked.length) return
    await vote({ round, winners: picked, peerId: this.#o.self })
    this.#emit({ type: 'voted', round, winners: picked })
  }

  #keep(root: Hex, p: Published): void {
    this.#kept.set(root, p.message)
    this.#kept.set(p.blob, p.checkpoint)
    this.#claims.push(root)
    while (this.#claims.length > KEPT_CLAIMS) {
      const old = this.#claims.shift()!
      const message = this.#kept.get(old)
      this.#kept.delete(old)
      // Its checkpoint goes too, unless a kept claim names the same model.
      const blob = message && blobOf(message)
      if (blob && !this.#claims.some((r) => blobOf(this.#kept.get(r)!) === blob)) this.#kept.delete(blob)
    }
  }

  async #check(round: number, stage: number, peer: string): Promise<void> {
    const key = `${round}:${stage}:${peer}`
    if (this.#done.has(key)) return
    const { chain, params } = this.#o
    const claim = await chain.claim(round, stage, peer)
    if (!claim) return
    let message: Uint8Array
    let checkpoint: Uint8Array
    try {
      message = await this.#fetch(peer, claim.receiptsRoot, MAX_SAPO_MESSAGE_BYTES)
      const blob = blobOf(message)
      if (!blob) return this.#attest(round, stage, peer, claim, message, new Uint8Array())
      checkpoint = await this.#fetch(peer, blob, maxBlobBytes(params))
    } catch (e) {
      const tries = (this.#tries.get(key) ?? 0) + 1
      this.#tries.set(key, tries)
      // It does not serve what it claimed: no confirmation from this peer, so the claim stays unverified.
      if (tries >= MAX_TRIES) this.#done.add(key)
      const why = e instanceof SwarmNetError ? e.code : (e as Error).message
      this.#emit({ type: 'unavailable', round, stage, claimant: peer, why })
      return
    }
    await this.#attest(round, stage, peer, claim, message, checkpoint)
  }

  async #attest(
    round: number,
    stage: number,
    peer: string,
    claim: { reward: bigint; receiptsRoot: Hex },
    message: Uint8Array,
    checkpoint: Uint8Array,
  ): Promise<void> {
    const { compute, params, book, self, address, swarm, chain } = this.#o
    const key = `${round}:${stage}:${peer}`
    const full = { ...claim, peerId: peer, round, stage }
    const rl = rolloutsOf(message)?.round ?? null
    const seen = this.#latestOf.get(peer)
    const before = (e: EarlierClaim) => e.round < round || (e.round === round && e.stage < stage)
    const earlier = seen && rl !== null && seen.rl >= rl && before(seen) ? seen : undefined
    const replay = earlier && { at: { round, stage }, earlier }
    const verdict = await recheckClaim(full, message, checkpoint, { compute, params, book }, replay)
    this.#done.add(key)
    if (rl !== null && verdict.reward !== null && (!seen || rl > seen.rl))
      this.#latestOf.set(peer, { round, stage, receiptsRoot: claim.receiptsRoot, message, rl })
    const evidence = makeEvidence({
      swarm,
      chainId: chain.chainId,
      coordinator: chain.coordinator,
      claim: full,
      message,
      checkpoint,
      verdict,
      attester: { peerId: self, address },
      earlier,
    })
    const call = {
      round,
      stage,
      claimant: peer,
      attester: self,
      confirmed: verdict.confirmed,
      evidenceHash: evidenceHash(evidence),
    }
    await this.#o.writer.attest(call, evidence)
    this.#emit({ type: 'attested', call, verdict, evidence })
  }

  async #fetch(peer: string, hash: Hex, max: number): Promise<Uint8Array> {
    const abort = new AbortController()
    const clock = this.#o.clock ?? realClock
    const cancel = clock.after(this.#o.fetchMs ?? 30_000, () =>
      abort.abort(new DOMException('fetch timed out', 'TimeoutError')),
    )
    try {
      return await this.#o.net.fetchBlob(peer, hash, max, abort.signal)
    } finally {
      cancel()
    }
  }

  #emit(e: RewardEvent): void {
    for (const f of this.#listeners) f(e)
  }
}

/**
 * A round's winners by this peer's report: itself and every peer not dropped, by the mean reward it
 * recomputed for their rollouts, best first (ties by id, so every honest peer orders alike).
 */
export function roundWinners(report: RoundReport): string[] {
  const rows = [
    { peer: report.peer, reward: report.meanReward },
    ...report.peers
      .filter((p) => !p.dropped && p.reward !== null)
      .map((p) => ({ peer: p.peer, reward: p.reward! })),
  ]
  return rows.sort((a, b) => b.reward - a.reward || a.peer.localeCompare(b.peer)).map((r) => r.peer)
}

/** A served message as rollouts, or null when it is not one (malformed, or a fault). */
function rolloutsOf(message: Uint8Array): Rollouts | null {
  try {
    const m = decodeSapoMessage(message)
    return m.type === 'rollouts' ? m : null
  } catch {
    return null
  }
}

const blobOf = (message: Uint8Array): Hex | null => rolloutsOf(message)?.blob ?? null
