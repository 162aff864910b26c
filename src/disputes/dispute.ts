// Verde-style disputes: two receipts that agree on the start and disagree on the end. Bisection over
// the step commitments finds the first divergent step; bisection over that step's operator trace (by
// output prefixes, so agreement is monotone) finds where the parties part. The referee never takes an
// operator, argument or input from a party: it holds its own trace of the step, derived from the
// receipts' config and the agreed state (settle.ts), and judges each party's trace against it. At the
// first operator where a party deviates, a record that differs in what nobody may choose (operator,
// arguments, inputs) is refused with the field named; otherwise the referee recomputes that one operator
// from its own inputs and arguments and names the party whose outputs differ. The evidence is
// self-contained, and carries the config so a re-checker derives the AdamW hyperparameters itself.
import type { Hex } from 'viem'
import type { Backend } from '../train/backend.ts'
import type { TrainConfig } from '../train/trainer.ts'
import { hashJson, type TrainingReceipt } from '../receipts/training.ts'
import { ForgedEvidenceError, NotADisputeError } from '../errors/dispute.ts'
import { recompute, type OpRecord, type TensorValue } from './trace.ts'
import { firstDifference } from '../util/diff.ts'
import { adamwProblem, firstDeviation, recordProblem, type ClaimedRecord } from './derive.ts'

export interface StepTrace {
  records: OpRecord[]
  values: ReadonlyMap<Hex, TensorValue>
}

export interface Party {
  name: string
  receipt: TrainingReceipt
  /** The party's operator trace of one step, run from the state after step - 1. */
  traceStep(step: number): Promise<StepTrace>
}

export interface Evidence {
  kind: 'lockstep/dispute-evidence'
  version: 2
  parties: [string, string]
  step: number
  stepRounds: number
  /** The first operator at which a party's trace departs from the referee's. */
  opIndex: number
  /** Rounds to bisect the two traces' outputs (0 when their outputs never part). */
  opRounds: number
  /** The receipts' config (both hash to it): what the referee derived the arguments from. */
  config: TrainConfig
  /** The referee's own operator there: its name, derived arguments and inputs, with the input values. */
  op: { name: string; args: unknown[]; inputs: Hex[] }
  inputValues: { hash: Hex; shape: number[]; data: number[] }[]
  /** Operator counts: the referee's trace of the step and each party's. */
  counts: { referee: number; claimed: [number, number] }
  /** Each party's record at opIndex (null: it has none). */
  claimed: [ClaimedRecord | null, ClaimedRecord | null]
  /** The referee's recomputed outputs. */
  referee: Hex[]
  /** Why each party's trace is refused (a field it may not choose differs), or null. */
  refused: [string | null, string | null]
  /** The parties proven wrong: refused, or outputs that differ from the recomputation. */
  wrong: string[]
}
/** First index in [lo, hi) where agree() turns false, for a monotone agree(); rounds counted. */
function bisect(lo: number, hi: number, agree: (i: number) => boolean): { index: number; rounds: number } {
  let rounds = 0
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    rounds++
    if (agree(mid)) lo = mid
    else hi = mid
  }
  return { index: hi, rounds }
}

/**
 * The first step at which two receipts' commitments differ, by bisection over the commitments
 * (⌈log₂ steps⌉ comparisons). Throws when the receipts are not a dispute.
 */
export function firstDivergentStep(
  a: TrainingReceipt,
  b: TrainingReceipt,
): { index: number; rounds: number } {
  const [ra, rb] = [a.body, b.body]
  for (const [label, r] of [
    ['A', ra],
    ['B', rb],
  ] as const)
    if (hashJson(r.config) !== r.configHash)
      throw new NotADisputeError(`Receipt ${label} does not hold the config it hashes: it proves nothing.`)
  if (
    ra.configHash !== rb.configHash ||
    ra.startStateHash !== rb.startStateHash ||
    ra.startStep !== rb.startStep
  ) {
    throw new NotADisputeError('Not a dispute: the receipts do not start from the same config and state.')
  }
  const end = Math.min(ra.endStep, rb.endStep)
  const at = (r: typeof ra, step: number) =>
    step === r.startStep ? r.startStateHash : r.stepHashes[step - r.startStep - 1]
  if (at(ra, end) === at(rb, end))
    throw new NotADisputeError(`Not a dispute: both commit to the same state after step ${end}.`)
  // The receipts agree at startStep and disagree at end.
  return bisect(ra.startStep, end, (s) => at(ra, s) === at(rb, s))
}

/**
 * Settles one step: `reference` is the referee's own trace of it (settle.ts derives it from the receipts'
 * config and the agreed state on the CPU reference), so its outputs are the referee's recomputation.
 * Throws NotADisputeError when neither party's trace departs from it (the divergence is then in a
 * commitment alone: settle names that from the state hashes).
 */
export async function dispute(a: Party, b: Party, reference: StepTrace): Promise<Evidence> {
  const steps = firstDivergentStep(a.receipt, b.receipt)
  const traces = await Promise.all([a.traceStep(steps.index), b.traceStep(steps.index)])
  // A party's answer is data from it: anything but a list of records is an empty trace.
  const [ra, rb] = traces.map((t) => (Array.isArray(t?.records) ? t.records : []))
  const ref = reference.records
  if (!ref.length) throw new NotADisputeError(`The referee has no trace of step ${steps.index}.`)
  const deviations = [ra, rb].map((records) => firstDeviation(ref, records))
  const at = deviations.filter((d) => d !== null).map((d) => d.index)
  if (!at.length)
    throw new NotADisputeError(
      `Both traces of step ${steps.index} are the referee's, operator for operator: the divergence is outside them.`,
    )
  // The first operator where either party departs; past the referee's end, its last (the count differs).
  const k = Math.min(Math.min(...at), ref.length - 1)
  // Bisection over output prefixes, as parties exchanging prefix hashes pᵢ = keccak256(pᵢ₋₁ ‖ outputs of
  // operator i) would run it: with both traces at hand, prefix i agrees exactly when every output through
  // i does, so the first record whose outputs differ stands in for the hashes.
  const n = Math.min(ra.length, rb.length)
  let parted = 0
  while (parted < n && !firstDifference(ra[parted]?.outputs, rb[parted]?.outputs)) parted++
  const opRounds = parted < n ? bisect(-1, n - 1, (i) => i < parted).rounds : 0
  const derived = ref[k]
  const refOut = derived.outputs // the referee computed its own trace: these are its outputs
  const claimed: Evidence['claimed'] = [claim(ra[k]), claim(rb[k])]
  const counts = { referee: ref.length, claimed: [ra.length, rb.length] as [number, number] }
  const refused = claimed.map((c, i) =>
    refusal(derived, k, c, refOut.length, counts.referee, counts.claimed[i]),
  )
  const names: [string, string] = [a.name, b.name]
  return {
    kind: 'lockstep/dispute-evidence',
    version: 2,
    parties: names,
    step: steps.index,
    stepRounds: steps.rounds,
    opIndex: k,
    opRounds,
    config: a.receipt.body.config,
    op: { name: derived.op, args: derived.args, inputs: derived.inputs },
    inputValues: derived.inputs.map((h) => {
      const v = reference.values.get(h)!
      return { hash: h, shape: v.shape, data: Array.from(v.data) }
    }),
    counts,
    claimed,
    referee: refOut,
    refused: refused as Evidence['refused'],
    wrong: names.filter((_, i) => refused[i] !== null || !sameHashes(claimed[i]?.outputs, refOut)),
  }
}

/** A party's record as it claimed it (anything malformed or extra stays, to be refused by name). */
function claim(r: OpRecord | undefined): ClaimedRecord | null {
  return typeof r === 'object' && r !== null ? { ...r } : null
}

function refusal(
  derived: { op: string; args: unknown[]; inputs: Hex[] },
  index: number,
  claimed: ClaimedRecord | null,
  outputs: number,
  refCount: number,
  count: number,
): string | null {
  const field = recordProblem(derived, claimed, outputs, index)
  if (field) return field
  return count === refCount ? null : `records.length: ${count}, expected ${refCount}`
}

const sameHashes = (x: unknown, ref: Hex[]) =>
  Array.isArray(x) && x.length === ref.length && x.every((h, i) => h === ref[i])

/**
 * Anyone can re-check evidence: re-derive the AdamW hyperparameters from its config, recompute the one
 * operator from the enclosed inputs, and compare each party's record with the referee's. Throws
 * ForgedEvidenceError when the evidence's own arguments are not what its config gives.
 */
export async function checkEvidence<T>(e: Evidence, be: Backend<T>): Promise<string[]> {
  return judgeEvidence(e, await recomputeEvidence(e, be))
}

/** checkEvidence's one recomputation: the operator's outputs from the enclosed inputs. */
export async function recomputeEvidence<T>(e: Evidence, be: Backend<T>): Promise<Hex[]> {
  if (e.version !== 2) throw new ForgedEvidenceError(`Unsupported evidence version ${e.version}.`)
  if (e.op.name === 'adamw') {
    const problem = adamwProblem(e.config, e.step, e.op.args)
    if (problem)
      throw new ForgedEvidenceError(`The evidence's AdamW arguments are not its config's: ${problem}.`)
  }
  const values = new Map(
    e.inputValues.map((v) => [v.hash, { shape: v.shape, data: Float32Array.from(v.data) }] as const),
  )
  const record = { index: e.opIndex, op: e.op.name, args: e.op.args, inputs: e.op.inputs, outputs: [] }
  return recompute(be, record, values)
}

/** The parties evidence proves wrong, given the recomputed outputs `out`. */
export function judgeEvidence(e: Evidence, out: Hex[]): string[] {
  return e.parties.filter(
    (_, i) =>
      refusal(
        { ...e.op, op: e.op.name },
        e.opIndex,
        e.claimed[i],
        out.length,
        e.counts.referee,
        e.counts.claimed[i],
      ) !== null || !sameHashes(e.claimed[i]?.outputs, out),
  )
}
