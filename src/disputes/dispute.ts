// Verde-style disputes: two receipts that agree on the start and disagree on the end. Bisection over
// the step commitments finds the first divergent step; bisection over that step's operator trace (by
// prefix hashes, so agreement is monotone) finds the first divergent operator; the referee recomputes
// only that operator and names the party that is wrong. The evidence is self-contained.
import { concat, keccak256, type Hex } from 'viem'
import type { Backend } from '../train/backend.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import { recompute, tensorHash, type OpRecord, type TensorValue } from './trace.ts'

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
  version: 1
  parties: [string, string]
  step: number
  stepRounds: number
  opIndex: number
  opRounds: number
  /** The operator, its arguments and input hashes, and the values of its inputs. */
  op: { name: string; args: unknown[]; inputs: Hex[] }
  inputValues: { hash: Hex; shape: number[]; data: number[] }[]
  claimed: [Hex[], Hex[]]
  referee: Hex[]
  /** Which party's claim differs from the referee's recomputation. */
  wrong: string[]
}

function prefixHashes(records: OpRecord[]): Hex[] {
  const out: Hex[] = []
  let h = keccak256(new Uint8Array(0))
  for (const r of records) out.push((h = keccak256(concat([h, ...r.outputs]))))
  return out
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
  if (
    ra.configHash !== rb.configHash ||
    ra.startStateHash !== rb.startStateHash ||
    ra.startStep !== rb.startStep
  ) {
    throw new Error('Not a dispute: the receipts do not start from the same config and state.')
  }
  const end = Math.min(ra.endStep, rb.endStep)
  const at = (r: typeof ra, step: number) =>
    step === r.startStep ? r.startStateHash : r.stepHashes[step - r.startStep - 1]
  if (at(ra, end) === at(rb, end))
    throw new Error(`Not a dispute: both commit to the same state after step ${end}.`)
  // The receipts agree at startStep and disagree at end.
  return bisect(ra.startStep, end, (s) => at(ra, s) === at(rb, s))
}

export async function dispute<T>(a: Party, b: Party, referee: Backend<T>): Promise<Evidence> {
  const steps = firstDivergentStep(a.receipt, b.receipt)
  const [ta, tb] = await Promise.all([a.traceStep(steps.index), b.traceStep(steps.index)])
  const [pa, pb] = [prefixHashes(ta.records), prefixHashes(tb.records)]
  const n = Math.min(pa.length, pb.length)
  if (n === 0 || pa[n - 1] === pb[n - 1]) {
    throw new Error(
      `The traces of step ${steps.index} agree on every operator: the divergence is outside them.`,
    )
  }
  // Operators: agree(i) = the prefixes through operator i match (monotone); -1 stands for "before any".
  const ops = bisect(-1, n - 1, (i) => i < 0 || pa[i] === pb[i])
  const k = ops.index
  const [oa, ob] = [ta.records[k], tb.records[k]]
  if (oa.op !== ob.op || JSON.stringify(oa.inputs) !== JSON.stringify(ob.inputs)) {
    throw new Error(
      `Operator ${k}: the parties disagree on the operator or its inputs (${oa.op} vs ${ob.op}).`,
    )
  }
  const values = new Map([...ta.values, ...tb.values].filter(([h, v]) => tensorHash(v) === h))
  const refOut = await recompute(referee, oa, values)
  const same = (x: Hex[]) => x.length === refOut.length && x.every((h, i) => h === refOut[i])
  return {
    kind: 'lockstep/dispute-evidence',
    version: 1,
    parties: [a.name, b.name],
    step: steps.index,
    stepRounds: steps.rounds,
    opIndex: k,
    opRounds: ops.rounds,
    op: { name: oa.op, args: oa.args, inputs: oa.inputs },
    inputValues: oa.inputs.map((h) => {
      const v = values.get(h)!
      return { hash: h, shape: v.shape, data: Array.from(v.data) }
    }),
    claimed: [oa.outputs, ob.outputs],
    referee: refOut,
    wrong: [same(oa.outputs) ? [] : [a.name], same(ob.outputs) ? [] : [b.name]].flat(),
  }
}

/** Anyone can re-check evidence: recompute the one operator from the enclosed inputs. */
export async function checkEvidence<T>(e: Evidence, be: Backend<T>): Promise<string[]> {
  const values = new Map(
    e.inputValues.map((v) => [v.hash, { shape: v.shape, data: Float32Array.from(v.data) }] as const),
  )
  const record: OpRecord = {
    index: e.opIndex,
    op: e.op.name,
    args: e.op.args,
    inputs: e.op.inputs,
    outputs: [],
  }
  const out = await recompute(be, record, values)
  const same = (x: Hex[]) => x.length === out.length && x.every((h, i) => h === out[i])
  return e.parties.filter((_, i) => !same(e.claimed[i]))
}
