// What a peer knows of each other peer: groups it regenerated and matched, checks that failed, whether
// the peer is dropped, and a score. Scores only ever decide whom a peer listens to; they are this peer's
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
  /** Its blob could not be fetched: its groups are skipped this round. */
  unavailable: -2,
  /** It accused a group that regenerated. */
  falseAccusation: -5,
  /** A group it published did not regenerate, or its blob contradicts its message: dropped for good. */
  forged: -100,
} as const

/** After this many unanswered fetches in all, a peer's rollouts are dropped: it must serve what it names. */
export const MAX_UNAVAILABLE = 3

interface Standing {
  verified: number
  failed: number
  unavailable: number
  dropped: boolean
  score: number
}

export class Standings {
  #peers = new BoundedMap<string, Standing>(2 * LIMITS.peers)

  #get(peer: string): Standing {
    const s = this.#peers.get(peer) ?? { verified: 0, failed: 0, unavailable: 0, dropped: false, score: 0 }
    this.#peers.set(peer, s)
    return s
  }

  verified(peer: string): void {
    const s = this.#get(peer)
    s.verified++
    s.score += SCORE.verified
  }

  forged(peer: string): void {
    const s = this.#get(peer)
    s.failed++
    s.dropped = true
    s.score += SCORE.forged
  }

  unavailable(peer: string): void {
    const s = this.#get(peer)
    s.failed++
    s.score += SCORE.unavailable
    if (++s.unavailable >= MAX_UNAVAILABLE) s.dropped = true
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
    }))
  }
}
