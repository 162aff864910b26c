// Bounded buffers for what peers send about rounds, and the blobs this peer serves. Messages for the
// next rounds are kept (a faster peer may be a round ahead); older ones are dropped. Every buffer has a
// cap per sender, so a peer cannot grow another's memory without bound.
import type { Hex } from 'viem'
import { checkpointHash, encodeCheckpoint } from './codec.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { Commit, Decide, Verdict } from './messages.ts'

/** How many rounds ahead of its own a peer buffers messages for. */
export const LOOKAHEAD = 2
const MAX_VERDICTS_PER_SENDER = 64
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
  #verdictCount = new Map<string, number>()
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

  /** Records a verdict unless its sender is over its cap for that round. */
  addVerdict(m: RoundMessages, round: number, from: string, v: Verdict): boolean {
    const key = `${from}>${v.target}>${v.start}`
    const count = this.#verdictCount.get(`${round}:${from}`) ?? 0
    if (m.verdicts.has(key) || count >= MAX_VERDICTS_PER_SENDER) return false
    this.#verdictCount.set(`${round}:${from}`, count + 1)
    m.verdicts.set(key, { from, v })
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
   * Keeps a blob until `until` (ms since the epoch) whatever rounds pass: the model a newcomer was told
   * to fetch must still be there when it asks, even if the swarm has run rounds since.
   */
  pin(hash: Hex, until: number): void {
    this.#pinned.delete(hash)
    this.#pinned.set(hash, until)
    for (const h of this.#pinned.keys()) if (this.#pinned.size > MAX_PINNED) this.#pinned.delete(h)
  }

  /** Forgets messages of rounds before `current` and blobs older than the previous round, unless pinned. */
  prune(current: number, now = Date.now()): void {
    for (const r of this.#rounds.keys()) if (r < current) this.#rounds.delete(r)
    for (const k of this.#verdictCount.keys())
      if (Number(k.split(':')[0]) < current) this.#verdictCount.delete(k)
    for (const [h, until] of this.#pinned) if (until <= now) this.#pinned.delete(h)
    for (const [h, b] of this.#blobs) if (b.round < current - 1 && !this.#pinned.has(h)) this.#blobs.delete(h)
  }
}
