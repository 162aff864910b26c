// The round pool: every sender's accepted rollouts per round, for the rounds a peer can still use.
// A peer keeps the round before its own (an accusation about it may still be checked, check.ts) and up
// to LOOKAHEAD rounds ahead (a faster peer publishes before this one gets there). Each round holds one
// message per sender and at most LIMITS.peers senders: sender ids cost nothing, so the pool is bounded
// whatever arrives. When a round is full, later senders are refused, not earlier ones evicted: the
// peers that publish on time (the live swarm) stay.
import { LOOKAHEAD } from '../../swarm/protocol/store.ts'
import type { Accepted } from './accept.ts'
import { LIMITS } from './params.ts'

export { LOOKAHEAD }

/** Rounds held at once: the window (1 + 1 + LOOKAHEAD) with room to spare. */
const MAX_ROUNDS = 8

export type PoolRefusal = 'outside window' | 'duplicate' | 'full'

export class RoundPool {
  #rounds = new Map<number, Map<string, Accepted>>()
  readonly cap: number

  constructor(cap: number = LIMITS.peers) {
    this.cap = cap
  }

  /** Whether `round` can be held while this peer is at `current`. */
  static inWindow(round: number, current: number): boolean {
    return round >= current - 1 && round <= current + LOOKAHEAD
  }

  add(a: Accepted, current: number): PoolRefusal | null {
    if (!RoundPool.inWindow(a.round, current)) return 'outside window'
    // A joining peer takes every round (it does not know its own yet): the rounds held are capped too.
    if (!this.#rounds.has(a.round) && this.#rounds.size >= MAX_ROUNDS) return 'full'
    const m = this.#rounds.get(a.round) ?? new Map<string, Accepted>()
    this.#rounds.set(a.round, m)
    // A second, different message for the same round is a sender changing its story: the first stands.
    if (m.has(a.from)) return 'duplicate'
    if (m.size >= this.cap) return 'full'
    m.set(a.from, a)
    return null
  }

  /** The senders' rollouts for `round` (empty when none arrived). */
  at(round: number): ReadonlyMap<string, Accepted> {
    return this.#rounds.get(round) ?? new Map()
  }

  /** Forgets rounds before `current` - 1. */
  prune(current: number): void {
    for (const r of this.#rounds.keys()) if (r < current - 1) this.#rounds.delete(r)
  }
}
