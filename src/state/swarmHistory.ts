import type { Hex } from 'viem'

/** Where a resync landed: the round whose start model the tab adopted, that model, and its round's start. */
export interface Adopted {
  round: number
  model: Hex
  /** The start model of `round − 1` as the head's sender reported it (null: it did not know). */
  parent: Hex | null
}

/**
 * The history rows a tab keeps when it adopts the swarm's model at the start of `at.round`. Rows of that
 * round and later ran on a chain the swarm did not keep. So did a row before it whose model is not the
 * adopted chain's: the row of round `at.round − 1` must end on the adopted model, and the one before on its
 * parent. A tab that decided round 0 alone (its leader was skipped as silent, it decided anyway) resyncs at
 * round 1 with a round-0 row of another model; kept, it showed a model the swarm never had (the
 * intermittent swarm e2e failure of 2026-12-06). That row and every row after it go. Older rows cannot be
 * checked against the head and stay: forks are merged at the next commit wait (docs/swarm.md, fork choice),
 * so one that reaches further back is rare.
 */
export function keptOnSync<R extends { round: number; model: Hex }>(rows: readonly R[], at: Adopted): R[] {
  const expected = new Map<number, Hex>([[at.round - 1, at.model]])
  if (at.parent) expected.set(at.round - 2, at.parent)
  const before = rows.filter((r) => r.round < at.round)
  const forked = before.findIndex((r) => expected.has(r.round) && expected.get(r.round) !== r.model)
  return forked === -1 ? before : before.slice(0, forked)
}
