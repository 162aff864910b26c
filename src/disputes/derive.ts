// What a referee derives itself and never takes from a party. Its own trace of the disputed step (run
// from the agreed state under the receipt's config: settle.ts) fixes every operator, argument and input;
// a party's record is compared field by field with it, and the first difference is named. Evidence
// carries the config, so anyone re-checking it re-derives the AdamW hyperparameters from it too.
import type { Hex } from 'viem'
import { lrSchedule } from '../kernels/schedule.ts'
import type { TrainConfig } from '../train/trainer.ts'
import { describeDifference, firstDifference } from '../util/diff.ts'
import type { OpRecord } from './trace.ts'

/** The part of a record a party claims about one operator. */
export interface ClaimedRecord {
  index: number
  op: string
  args: unknown[]
  inputs: Hex[]
  outputs: Hex[]
}

const RECORD_KEYS = ['index', 'op', 'args', 'inputs', 'outputs']

/**
 * Where a party's record differs from the referee's on what it must not choose (its position, the
 * operator, its arguments, its inputs, how many outputs): "args[0].lr: 0.006, expected 0.003", or null.
 */
export function recordProblem(
  derived: { op: string; args: unknown[]; inputs: Hex[] },
  claimed: ClaimedRecord | null | undefined,
  outputs: number,
  index: number,
): string | null {
  if (typeof claimed !== 'object' || claimed === null) return 'no record for this operator'
  const extra = Object.keys(claimed).find((k) => !RECORD_KEYS.includes(k))
  if (extra) return `${extra}: a field no record has`
  const d =
    firstDifference(index, claimed.index, 'index') ??
    firstDifference(derived.op, claimed.op, 'op') ??
    firstDifference(derived.args, claimed.args, 'args') ??
    firstDifference(derived.inputs, claimed.inputs, 'inputs') ??
    (Array.isArray(claimed.outputs) && claimed.outputs.length === outputs
      ? null
      : { path: 'outputs.length', expected: outputs, got: claimed.outputs?.length })
  return d && describeDifference(d)
}

/** The first operator where `trace` differs from `reference` in any field (outputs included), or its length. */
export function firstDeviation(
  reference: readonly OpRecord[],
  trace: readonly OpRecord[],
): { index: number; field: string } | null {
  const n = Math.min(reference.length, trace.length)
  for (let i = 0; i < n; i++) {
    const r = reference[i]
    const field =
      recordProblem(r, trace[i], r.outputs.length, i) ??
      (firstDifference(r.outputs, trace[i].outputs, 'outputs') &&
        describeDifference(firstDifference(r.outputs, trace[i].outputs, 'outputs')!))
    if (field) return { index: i, field }
  }
  if (reference.length !== trace.length)
    return { index: n, field: `records.length: ${trace.length}, expected ${reference.length}` }
  return null
}

/**
 * Why an AdamW argument set is not what `config` gives at `step` (1-based), or null. gradScale depends
 * on the step's gradient norm, so only the referee's own trace fixes it (a limit docs/receipts.md names).
 */
export function adamwProblem(config: TrainConfig, step: number, args: unknown[]): string | null {
  const h = args[0] as Record<string, unknown> | undefined
  if (typeof h !== 'object' || h === null) return 'args[0]: not AdamW hyperparameters'
  const lr = lrSchedule(step - 1, {
    peak: config.lr,
    warmup: config.warmup,
    total: config.steps,
    min: config.minLr,
  })
  const derived = { lr, beta1: config.beta1, beta2: config.beta2, eps: config.eps, step }
  for (const [k, v] of Object.entries(derived))
    if (!Object.is(h[k], v)) return `args[0].${k}: ${JSON.stringify(h[k])}, the config gives ${v}`
  if (!Object.is(h.weightDecay, 0) && !Object.is(h.weightDecay, config.weightDecay))
    return `args[0].weightDecay: ${JSON.stringify(h.weightDecay)}, the config gives 0 or ${config.weightDecay}`
  if (typeof h.gradScale !== 'number' || !(h.gradScale > 0 && h.gradScale <= 1))
    return `args[0].gradScale: ${JSON.stringify(h.gradScale)}, not in (0, 1]`
  return null
}
