// What a peer knows of each other peer: groups it regenerated and matched, checks that failed, fetches
// of its blob that got no answer, whether the peer is dropped, and a score. Scores only ever decide whom a peer listens to; they are this peer's
// own view, never gossiped. Bounded (sender ids cost nothing): past the cap the peer heard from longest
// ago is forgotten, so the live swarm stays (docs/rl.md, Limits).
import { BoundedMap } from '../../swarm/protocol/bounded.ts'
import type { PeerStanding } from '../types.ts'
import { LIMITS } from './params.ts'

/** Score changes (docs/rl.md, Scores). */
export const SCORE = {
  /** A group regenerated exactly. */
  verified: 1,
  /** A message that does not fit the swarm (schema, size, wrong tasks). */
  invalid: -1,
  /** Its blob could not be fetched: its groups are not trained on until a fetch of it succeeds. */
  unavailable: -2,
  /** It accused a group that regenerated. */
  falseAccusation: -5,
  /** A group it published did not regenerate, or its blob contradicts its message: dropped for good. */
  forged: -100,
} as const

/**
 * After this many unanswered fetches in all, a peer is shown as unreachable to the person watching. It
 * is never dropped for it: no answer is not proof (a relay that lost its circuit, a busy or slow peer,
 * the network), and dropping for it would convict honest peers. Its groups stay untrained-on while its
 * blob goes unanswered (choose.ts), which is all a peer that will not serve what it names can earn.
 */
export const MAX_UNAVAILABLE = 3

interface Standing {
  verified: number
  failed: number
  unavailable: number
  /** The last fetch of its blob got no answer (cleared by one that did). */
  unanswered: boolean
  dropped: boolean
  score: number
}

export class Standings {
  #peers = new BoundedMap<string, Standing>(2 * LIMITS.peers)

  #get(peer: string): Standing {
    const s = this.#peers.get(peer) ?? {
      verified: 0,
      failed: 0,
      unavailable: 0,
      unanswered: false,
      dropped: false,
      score: 0,
    }
    this.#peers.set(peer, s)
    return s
  }

  verified(peer: string): void {
    const s = this.#get(peer)
    s.verified++
    s.unanswered = false
    s.score += SCORE.verified
  }

  forged(peer: string): void {
    const s = this.#get(peer)
    s.failed++
    s.dropped = true
    s.score += SCORE.forged
  }

  /** Its blob could not be fetched: a lower score and its groups untrained-on, never a drop (no proof). */
  unavailable(peer: string): void {
    const s = this.#get(peer)
    s.unavailable++
    s.unanswered = true
    s.score += SCORE.unavailable
  }

  /** The last fetch of its blob got no answer: every chosen group of it is checked first (choose.ts). */
  unanswered(peer: string): boolean {
    return this.#peers.get(peer)?.unanswered ?? false
  }

  penalize(peer: string, why: 'invalid' | 'falseAccusation'): void {
    this.#get(peer).score += SCORE[why]
  }

  /** Heard from (keeps its entry fresh against eviction). */
  heard(peer: string): void {
    this.#get(peer)
  }

  dropped(peer: string): boolean {
    return this.#peers.get(peer)?.dropped ?? false
  }

  score(peer: string): number {
    return this.#peers.get(peer)?.score ?? 0
  }

  /** Every peer heard from, with its reward this round (null when none of its rollouts arrived). */
  standings(reward: (peer: string) => number | null): PeerStanding[] {
    return [...this.#peers].map(([peer, s]) => ({
      peer,
      reward: reward(peer),
      verified: s.verified,
      failed: s.failed,
      dropped: s.dropped,
      score: s.score,
      unavailable: s.unavailable,
    }))
  }
}
