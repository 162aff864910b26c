// What a peer knows about the others: who was averaged and who was excluded last round, where each peer
// last said it is (the fork choice), who is new, whom it distrusts, how each has behaved (scores), and
// which chain this peer itself is on (its history). Sender ids cost nothing, so every map is bounded.
import type { Hex } from 'viem'
import { BoundedMap } from './bounded.ts'

/**
 * How many peers' positions and scores a peer tracks: bounds what a flood of new senders can make it hold.
 * The least recently heard is forgotten first; peers of the live swarm speak every round.
 */
const MAX_TRACKED = 4096
/** Newcomers a peer remembers answering (and waits for), and peers it distrusts: the newest are kept. */
const MAX_JOINING = 1024
/** How many past rounds' start models a peer remembers to tell its chain from another. */
const HISTORY = 64

/** Where a peer last said it is: the round and start of its newest valid commit or verdict. */
export interface Position {
  round: number
  start: Hex
  /** The sender's own counter: newest wins, so a replayed old message cannot move it back. */
  seq: number
}

export class Members {
  /** Who was averaged last round (null after a sync): whom the leader waits for. */
  previous: string[] | null = null
  /** Who last round excluded for a proven fault or false accusation: not waited for. */
  previousExcluded: string[] = []
  /** Peers a round this peer followed excluded as proven wrong: a sync never adopts a head from them. */
  readonly distrusted = new BoundedMap<string, true>(MAX_JOINING)
  /** The last round each peer sent a valid commit or verdict for: newcomers become expected this way. */
  readonly active = new BoundedMap<string, number>(MAX_TRACKED)
  /** The round in which this peer answered each newcomer's hello: that newcomer only follows it. */
  readonly joining = new BoundedMap<string, number>(MAX_JOINING)
  /** Where each peer last said it is, newest by the sender's own counter (fork choice). */
  readonly positions = new BoundedMap<string, Position>(MAX_TRACKED)
  /** The start model of each round this peer ran since it last synced: which chain it is on. */
  readonly history = new Map<number, Hex>()
  #scores = new BoundedMap<string, number>(MAX_TRACKED)

  score(peer: string): number {
    return this.#scores.get(peer) ?? 0
  }

  penalize(peer: string, penalty: number): void {
    this.#scores.set(peer, this.score(peer) - penalty)
  }

  /** This peer starts `round` from `start`. */
  started(round: number, start: Hex): void {
    this.history.set(round, start)
    this.history.delete(round - HISTORY)
  }

  /** This peer's round ended averaging `included`; `excluded` were proven wrong (not waited for next). */
  closed(included: string[], excluded: string[]): void {
    this.previous = included
    this.previousExcluded = excluded
    for (const x of excluded) this.distrusted.set(x, true)
  }

  /**
   * Records where a peer is from its valid commit or verdict, whichever round it is for: a commit that
   * arrives after this peer moved on still makes its sender expected next round, so a peer running one
   * round behind is waited for instead of staying one round behind for ever. The position is the newest
   * message to arrive, not the highest round: a peer that ran ahead alone and then resynced speaks from
   * an earlier round of another chain (a late message from one round back on the same chain tells the
   * same story as the one before it).
   */
  locate(from: string, round: number, start: Hex, seq: number): void {
    const at = this.positions.get(from)
    if (at && at.seq > seq) return
    this.positions.set(from, { round, start, seq })
    this.active.set(from, Math.max(round, this.active.get(from) ?? 0))
  }

  /**
   * Whether `x` last spoke from a model this peer did not have at that round, `round` being this peer's:
   * it is on another chain (a fork, or a cheater that refused the swarm's model), so its next commit would
   * not be on this peer's start and waiting for it only costs time. It counts again once it speaks from
   * this chain.
   */
  elsewhere(x: string, round: number): boolean {
    const at = this.positions.get(x)
    if (!at || at.round > round) return false
    const ours = this.history.get(at.round)
    return ours !== undefined && ours !== at.start
  }

  /** Whether `x` spoke from this chain last round or this one: a member that resynced, not a newcomer. */
  onChain(x: string, round: number): boolean {
    const at = this.positions.get(x)
    return !!at && at.round >= round - 1 && this.history.get(at.round) === at.start
  }
}
