// Bounded buffers for what peers send about rounds, and the blobs this peer serves. Messages for the
// next rounds are kept (a faster peer may be a round ahead); older ones are dropped. Every buffer has a
// cap per sender and a cap in all, since sender ids cost nothing: many senders cannot grow a peer's
// memory without bound either (docs/swarm.md, Limits).
import type { Hex } from 'viem'
import { checkpointHash, encodeCheckpoint } from './codec.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { Commit, Decide, Verdict } from './messages.ts'

/** How many rounds ahead of its own a peer buffers messages for. */
export const LOOKAHEAD = 2
const MAX_VERDICTS_PER_SENDER = 64
/**
 * Verdict bytes kept per round, all senders together. An honest round of 1,024 peers with 8 checks each
 * is ~2 MiB of `ok` verdicts plus a few KiB per fault; when full, the sender holding the most bytes is
 * evicted (a flood of fault-sized verdicts goes first, peers with a few small verdicts stay).
 */
const MAX_VERDICT_BYTES = 8 * 1024 * 1024
/** Decisions kept per round: the best-ranked senders win (only the first candidates' are ever followed). */
const MAX_DECIDES = 16
/** Verdicts held until their sender commits or says it follows the round (gossip may reorder). */
const MAX_EARLY = 256
/** How many blobs can be pinned at once (the newest pins win): bounds what hellos make a peer hold. */
const MAX_PINNED = 4
/** How many messages outside the window a peer holds for a sync to replay (the newest win). */
const MAX_STRAYS = 256

export type RoundMessage = Commit | Verdict | Decide

export interface RoundMessages {
  commits: Map<string, Commit>
  /** Keyed by `${checker}>${target}>${start}`: a verdict from a chain its sender left does not block its next. */
  verdicts: Map<string, { from: string; v: Verdict }>
  decides: Map<string, Decide>
}

export class RoundStore {
  #rounds = new Map<number, RoundMessages>()
  /** Per round, per sender: verdicts taken (count) and verdict bytes held. */
  #senders = new Map<number, Map<string, { count: number; bytes: number }>>()
  #early: { from: string; v: Verdict }[] = []
  #blobs = new Map<Hex, { bytes: Uint8Array; round: number }>()
  /** Blobs kept past their round until a time (ms): a head this peer announced to a newcomer. */
  #pinned = new Map<Hex, number>()
  /** Messages for rounds outside the window, oldest first. */
  #strays: { from: string; m: RoundMessage }[] = []

  /** The messages of `round`, or undefined when that round is outside the window [current, current + LOOKAHEAD]. */
  at(round: number, current: number): RoundMessages | undefined {
    if (round < current || round > current + LOOKAHEAD) return undefined
    let m = this.#rounds.get(round)
    if (!m) this.#rounds.set(round, (m = { commits: new Map(), verdicts: new Map(), decides: new Map() }))
    return m
  }

  /**
   * Records a verdict; says why not when it is a duplicate (which may be a replay, not the sender's doing)
   * or its sender is over its cap for the round. Past the round's byte budget the sender holding the most
   * verdict bytes loses them all (the newcomer is refused instead when it would be that sender).
   */
  addVerdict(
    m: RoundMessages,
    round: number,
    from: string,
    v: Verdict,
  ): 'duplicate' | 'verdict flood' | null {
    const key = `${from}>${v.target}>${v.start}`
    if (m.verdicts.has(key)) return 'duplicate'
    const senders = this.#senders.get(round) ?? new Map<string, { count: number; bytes: number }>()
    this.#senders.set(round, senders)
    const mine = senders.get(from) ?? { count: 0, bytes: 0 }
    if (mine.count >= MAX_VERDICTS_PER_SENDER) return 'verdict flood'
    const size = JSON.stringify(v).length
    let total = size
    for (const x of senders.values()) total += x.bytes
    while (total > MAX_VERDICT_BYTES) {
      const [top, most] = [...senders].reduce((a, b) => (b[1].bytes > a[1].bytes ? b : a))
      if (top === from || most.bytes <= mine.bytes + size) return 'verdict flood'
      for (const [k, x] of m.verdicts) if (x.from === top) m.verdicts.delete(k)
      total -= most.bytes
      most.bytes = 0
    }
    senders.set(from, { count: mine.count + 1, bytes: mine.bytes + size })
    m.verdicts.set(key, { from, v })
    return null
  }

  /** Holds a verdict whose sender has not yet shown it takes part in the round (newest win). */
  early(from: string, v: Verdict): void {
    this.#early.push({ from, v })
    if (this.#early.length > MAX_EARLY) this.#early.shift()
  }

  /** Takes the held verdicts of `from` for `round`. */
  takeEarly(from: string, round: number): Verdict[] {
    const mine = (x: { from: string; v: Verdict }) => x.from === from && x.v.round === round
    const out = this.#early.filter(mine).map((x) => x.v)
    this.#early = this.#early.filter((x) => !mine(x))
    return out
  }

  /**
   * Records a decision unless the round already holds MAX_DECIDES from better-ranked senders (`rank`:
   * smaller is better); a better-ranked one evicts the worst. Only the first candidates' decisions are
   * ever followed, so a flood from others cannot push out the one that matters.
   */
  addDecide(m: RoundMessages, from: string, d: Decide, rank: (from: string, d: Decide) => string): boolean {
    if (!m.decides.has(from) && m.decides.size >= MAX_DECIDES) {
      const [worst] = [...m.decides].reduce((a, b) => (rank(...b) > rank(...a) ? b : a))
      if (rank(from, d) >= rank(worst, m.decides.get(worst)!)) return false
      m.decides.delete(worst)
    }
    m.decides.set(from, d)
    return true
  }

  /**
   * Holds a message for a round outside the window. A peer that syncs lands on another round: the head's
   * round, whose commits and decision a fast swarm may have sent before this peer knew it would adopt
   * it (a lone tab runs a tiny model's rounds in milliseconds). Without them it could not follow that
   * round, and would resync for ever.
   */
  hold(from: string, m: RoundMessage): void {
    this.#strays.push({ from, m })
    if (this.#strays.length > MAX_STRAYS) this.#strays.shift()
  }

  /** Takes the held messages whose round is now inside the window [current, current + LOOKAHEAD]. */
  release(current: number): { from: string; m: RoundMessage }[] {
    const inside = (x: { m: RoundMessage }) => x.m.round >= current && x.m.round <= current + LOOKAHEAD
    const out = this.#strays.filter(inside)
    this.#strays = this.#strays.filter((x) => !inside(x) && x.m.round > current)
    return out
  }

  /** Keeps bytes to serve until round `round` + 1 is over. */
  keepBytes(bytes: Uint8Array, round: number): Hex {
    const hash = checkpointHash(bytes)
    const had = this.#blobs.get(hash)
    this.#blobs.set(hash, { bytes, round: Math.max(round, had?.round ?? round) })
    return hash
  }

  keep(c: Checkpoint, round: number): Hex {
    return this.keepBytes(encodeCheckpoint(c), round)
  }

  blob(hash: Hex): Uint8Array | undefined {
    return this.#blobs.get(hash)?.bytes
  }

  /**
   * Keeps a blob until `until` (the peer's clock, ms) whatever rounds pass: the model a newcomer was told
   * to fetch must still be there when it asks, even if the swarm has run rounds since.
   */
  pin(hash: Hex, until: number): void {
    this.#pinned.delete(hash)
    this.#pinned.set(hash, until)
    for (const h of this.#pinned.keys()) if (this.#pinned.size > MAX_PINNED) this.#pinned.delete(h)
  }

  /** Forgets messages of rounds before `current` and blobs older than the previous round, unless pinned at `now`. */
  prune(current: number, now: number): void {
    for (const r of this.#rounds.keys()) if (r < current) this.#rounds.delete(r)
    for (const r of this.#senders.keys()) if (r < current) this.#senders.delete(r)
    this.#early = this.#early.filter((x) => x.v.round >= current)
    for (const [h, until] of this.#pinned) if (until <= now) this.#pinned.delete(h)
    for (const [h, b] of this.#blobs) if (b.round < current - 1 && !this.#pinned.has(h)) this.#blobs.delete(h)
  }
}
