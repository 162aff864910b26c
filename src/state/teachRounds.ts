// Teach mode's swarm sends one report per peer per round; the page shows one row per round: the model
// hash most peers ended on, how many did, and that majority's decision (who was averaged, who left out).
import type { Hex } from 'viem'
import type { TeachSwarmEvent } from '../swarm/sim/teach.ts'

export type RoundEvent = Extract<TeachSwarmEvent, { kind: 'round' }>

export interface TeachRound {
  round: number
  /** The model hash most peers reported for this round, and how many reported it. */
  model: Hex
  agree: number
  reported: number
  loss: number
  included: string[]
  excluded: { peer: string; reason: string }[]
}

export class RoundBook {
  #byRound = new Map<number, Map<string, RoundEvent>>()
  #faults = new Map<string, number>()

  /** Adds one peer's report; returns its round's row as it now stands. */
  add(e: RoundEvent): TeachRound {
    const reports = this.#byRound.get(e.round) ?? new Map<string, RoundEvent>()
    this.#byRound.set(e.round, reports.set(e.peer, e))
    this.#faults.set(e.peer, e.faultsFound)
    return summarize(e.round, [...reports.values()])
  }

  /** Re-executions that found a wrong update, summed over every peer's latest count. */
  faultsFound(): number {
    return [...this.#faults.values()].reduce((a, b) => a + b, 0)
  }

  /** Forgets rounds before `round` (the page keeps a bounded history). */
  prune(round: number): void {
    for (const r of this.#byRound.keys()) if (r < round) this.#byRound.delete(r)
  }
}

export function summarize(round: number, reports: RoundEvent[]): TeachRound {
  const counts = new Map<Hex, number>()
  for (const r of reports) counts.set(r.model, (counts.get(r.model) ?? 0) + 1)
  const [model, agree] = [...counts].sort((a, b) => b[1] - a[1])[0]
  const first = reports.find((r) => r.model === model)!
  return {
    round,
    model,
    agree,
    reported: reports.length,
    loss: first.loss,
    included: first.included,
    excluded: first.excluded,
  }
}
