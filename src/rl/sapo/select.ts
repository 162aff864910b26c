// The seeded rules a peer follows each round: which external groups it trains on, and which of those it
// regenerates first. Both are pure functions of their inputs, so a run replays exactly.
import { concat, keccak256, numberToBytes, toBytes, type Hex } from 'viem'
import type { ScoredGroup } from '../types.ts'

export interface Candidate {
  from: string
  group: ScoredGroup
}

const u32 = (n: number) => numberToBytes(n, { size: 4 })

/** The selection seed of `peer` in `round`: keccak256("lockstep/sapo/select/1" ‖ seed ‖ u32be(round) ‖ utf8(peer)). */
export function selectionSeed(seed: Hex, round: number, peer: string): Hex {
  return keccak256(concat([toBytes('lockstep/sapo/select/1'), toBytes(seed), u32(round), toBytes(peer)]))
}

/** A group's place under `key`: keccak256(key ‖ utf8(sender) ‖ 0x00 ‖ utf8(taskId)); the 0 byte keeps the two names apart. */
export function groupKey(key: Hex, c: Candidate): Hex {
  return keccak256(concat([toBytes(key), toBytes(c.from), new Uint8Array([0]), toBytes(c.group.taskId)]))
}

/** Whether GRPO learns anything from a group: with equal rewards every advantage is 0. */
export const informative = (g: ScoredGroup) => g.rewards.some((r) => r !== g.rewards[0])

/**
 * The E external groups a peer trains on: groups whose rewards differ first (an all-equal group has
 * zero advantage everywhere, so it would take a slot and teach nothing), then by groupKey under the
 * peer's selection seed. Neither the order the candidates arrived in nor anything a sender controls
 * beyond its own completions moves the choice; a sender cannot aim its groups at a peer, since the
 * order is a hash of the peer's seed. Ties (same sender and task twice) cannot happen: the pool keeps
 * one message per sender.
 */
export function selectExternal(seed: Hex, candidates: readonly Candidate[], E: number): Candidate[] {
  const keyed = candidates.map((c) => ({ c, informative: informative(c.group), key: groupKey(seed, c) }))
  keyed.sort((a, b) =>
    a.informative !== b.informative ? (a.informative ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  )
  return keyed.slice(0, Math.max(0, E)).map((k) => k.c)
}

/** How many of `chosen` groups a peer regenerates: ⌈rate·chosen⌉, at least one unless the rate is 0. */
export function checkCount(rate: number, chosen: number): number {
  return rate <= 0 || chosen === 0 ? 0 : Math.min(chosen, Math.max(1, Math.ceil(rate * chosen)))
}

/**
 * The chosen groups a peer regenerates this round, ranked by groupKey under its private check seed
 * (keccak256(secret ‖ u32be(round))). A sender knows which peers may train on its groups, but not which
 * of them will check: the secret never leaves the checker.
 */
export function drawChecks(
  secret: Hex,
  round: number,
  chosen: readonly Candidate[],
  count: number,
): Candidate[] {
  const key = keccak256(concat([toBytes(secret), u32(round)]))
  return [...chosen]
    .map((c) => ({ c, key: groupKey(key, c) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, count)
    .map((k) => k.c)
}
