// Newcomers and resyncs (docs/swarm.md, "Joining, leaving, reloading"): how a peer answers a `hello`
// with the head it is at, and which head a syncing peer adopts. The sync itself is the peer's (peer.ts).
import type { Hex } from 'viem'
import { BoundedMap } from './bounded.ts'
import type { Clock } from './clock.ts'
import type { Members } from './members.ts'
import type { Head } from './messages.ts'
import type { RoundStore } from './store.ts'

/** Distinct senders whose hellos a peer answers per second, all together: each answer is a publish. */
const MAX_HELLOS = 256
/** How long a peer keeps serving a head it announced; a newcomer fetches it within seconds. */
const HEAD_PIN_MS = 60_000
/** How long a sync waits for more heads after the first: the swarm moves on while it waits. */
export const HEAD_GRACE_MS = 1_000
/** Heads a sync collects; further ones are ignored. */
export const MAX_HEADS = 64

/** Where a peer is: its round, and the state hash and blob hash of that round's start model. */
export interface Here {
  round: number
  model: Hex
  blob: Hex
}

/** Answers newcomers: at most once a second per sender, and MAX_HELLOS new senders a second in all. */
export class Greeter {
  readonly #clock: Clock
  readonly #store: RoundStore
  readonly #members: Members
  #helloAt = new BoundedMap<string, number>(MAX_HELLOS)

  constructor(clock: Clock, store: RoundStore, members: Members) {
    this.#clock = clock
    this.#store = store
    this.#members = members
  }

  /**
   * The head to answer `from`'s hello with (null: none, this peer has no model yet or answered `from`
   * within the second; 'hello flood': too many new senders asked this second, so it waits like everyone
   * else). A newcomer follows this round, so it is marked as joining (not waited for); a member that
   * merely resynced (it spoke from this chain last round) stays a member and is waited for. The head's
   * checkpoint is pinned, so the newcomer can still fetch it after the swarm has run rounds since.
   */
  answer(from: string, here: Here | undefined): Head | 'hello flood' | null {
    const now = this.#clock.now()
    if (!here || (this.#helloAt.get(from) ?? -Infinity) > now - 1000) return null
    const oldest = this.#helloAt.oldest()
    if (!this.#helloAt.has(from) && this.#helloAt.size >= MAX_HELLOS && oldest && oldest[1] > now - 1000)
      return 'hello flood'
    this.#helloAt.set(from, now)
    if (!this.#members.onChain(from, here.round)) this.#members.joining.set(from, here.round)
    this.#store.pin(here.blob, now + HEAD_PIN_MS)
    const parent = this.#members.history.get(here.round - 1) ?? null
    return { type: 'head', round: here.round, model: here.model, blob: here.blob, parent }
  }
}

/**
 * The head a syncing peer adopts: the best (chooseHead) from peers it does not distrust, among heads whose
 * checkpoint some peer could still serve (`unservable`: blobs this peer lately asked every peer for in vain).
 * A peer that left after announcing a head newer than the rest wins the tie-break on rounds, and without
 * that filter every sync would choose its head again and fail to fetch it, for good. A peer proven to
 * lie runs on alone on its own chain, fast: never adopt its model. Unless every head is from such peers
 * and two or more agree: then this peer's chain is the odd one (it lied itself, or followed a leader that
 * did), and it rejoins them with a clean slate (`forgive`: it forgets whom it distrusted).
 */
export function adoptable(
  heads: Map<string, Head>,
  distrusted: { has(x: string): boolean },
  unservable: { has(blob: Hex): boolean } = new Set(),
): (NonNullable<ReturnType<typeof chooseHead>> & { forgive: boolean }) | undefined {
  const served = new Map([...heads].filter(([, h]) => !unservable.has(h.blob)))
  const best = chooseHead(new Map([...served].filter(([x]) => !distrusted.has(x))))
  if (best) return { ...best, forgive: false }
  const outvoted = chooseHead(served)
  return outvoted && outvoted.support >= 2 ? { ...outvoted, forgive: true } : undefined
}

/**
 * The head with the most distinct senders on its chain — those that report it, its parent or its child
 * (peers one round apart on the same chain, which is what a swarm mid-round looks like) — and among those
 * the newest. A lone peer far ahead on a chain of its own (a cheater whose model the swarm refused) has
 * one supporter, so it cannot pull newcomers onto its chain by being fastest.
 */
export function chooseHead(
  heads: Map<string, Head>,
): { head: Head; from: string[]; support: number } | undefined {
  const all = [...heads]
  const related = (a: Head, b: Head) =>
    (a.round === b.round && a.model === b.model) ||
    (b.round === a.round + 1 && b.parent === a.model) ||
    (a.round === b.round + 1 && a.parent === b.model)
  const ranked = all.map(([, head]) => ({
    head,
    support: all.filter(([, other]) => related(head, other)).length,
    from: all.filter(([, other]) => other.round === head.round && other.model === head.model).map(([x]) => x),
  }))
  ranked.sort((a, b) => b.support - a.support || b.head.round - a.head.round || b.from.length - a.from.length)
  return ranked[0]
}
