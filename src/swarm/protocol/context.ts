// What one round needs from the peer that runs it: round.ts and decide.ts see only this, never the peer
// itself. SwarmPeer (peer.ts) provides it; a test can build one from parts and run a rule on virtual time.
import type { Clock } from './clock.ts'
import type { Members } from './members.ts'
import type { Message } from './messages.ts'
import type { RoundStore } from './store.ts'
import type { VerifyContext } from './verify.ts'

export interface PeerStats {
  gossipSent: number
  gossipReceived: number
  blobsSent: number
  blobsReceived: number
  /** Checks this peer made, and how many of them found a fault. */
  checks: number
  faultsFound: number
  /** Messages dropped, by reason (schema, invalid commit, banned sender, …). */
  dropped: Record<string, number>
  /** Waits that ended on their deadline (a connected peer stayed silent): each cost the round time. */
  timeouts: number
}

export const emptyStats = (): PeerStats => ({
  gossipSent: 0,
  gossipReceived: 0,
  blobsSent: 0,
  blobsReceived: 0,
  checks: 0,
  faultsFound: 0,
  dropped: {},
  timeouts: 0,
})

/**
 * A peer as its round sees it. The verify half (params, compute, signer, fetchCheckpoint, keep) is what
 * checks and judging need; `keep` keeps a checkpoint to serve for the peer's current round.
 */
export interface RoundContext extends VerifyContext {
  readonly self: string
  /** The swarm's gossip topic (a check draw's seed signs over it). */
  readonly topic: string
  readonly clock: Clock
  /** Round messages this peer holds, and the blobs it serves. */
  readonly store: RoundStore
  readonly members: Members
  readonly stats: PeerStats
  /** False once the peer is stopping. */
  readonly running: boolean
  /** Peers connected on the swarm's topic now. */
  connected(): string[]
  publish(m: Message): Promise<void>
  /** Resolves true once `cond()` holds (re-checked on every message), false at `deadline` (clock ms) or stop. */
  until(cond: () => boolean, deadline: number): Promise<boolean>
  /** Wakes every wait to re-check its condition. */
  notify(): void
  /** The counter this peer stamps on its next commit, verdict or decision: always increasing. */
  nextSeq(): number
}
