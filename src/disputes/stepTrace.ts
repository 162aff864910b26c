// A party's answer to a dispute's challenge, as a file: its operator trace of one step (what
// `Party.traceStep` returns), tied to the receipt it defends. Tensor values travel as JSON numbers,
// which carry f32 values exactly (a double prints and parses back to itself).
import type { Hex } from 'viem'
import type { Backend } from '../train/backend.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import type { StepTrace } from './dispute.ts'
import { TracingBackend, tensorHash, type OpRecord, type TensorValue } from './trace.ts'
import { StepTraceFormatError } from '../errors/dispute.ts'

export const STEP_TRACE = 'lockstep/step-trace'

export interface StepTraceFile {
  kind: typeof STEP_TRACE
  version: 1
  /** The receipt this trace answers for, and the step traced (run from the state after step − 1). */
  receiptHash: Hex
  step: number
  records: OpRecord[]
  values: { hash: Hex; shape: number[]; data: number[] }[]
}

export function stepTraceFile(receiptHash: Hex, step: number, trace: StepTrace): StepTraceFile {
  return {
    kind: STEP_TRACE,
    version: 1,
    receiptHash,
    step,
    records: trace.records,
    values: [...trace.values].map(([hash, v]) => ({ hash, shape: v.shape, data: Array.from(v.data) })),
  }
}

/**
 * Reads a trace file, refusing (with the reason) anything that is not one. Values whose bytes do not
 * hash to their name are dropped, so a referee can only ever look up genuine tensors.
 */
export function readStepTrace(text: string): { receiptHash: Hex; step: number; trace: StepTrace } {
  let f: Partial<StepTraceFile>
  try {
    f = JSON.parse(text)
  } catch (e) {
    throw new StepTraceFormatError(`The trace is not JSON: ${e instanceof Error ? e.message : e}`, {
      cause: e,
    })
  }
  if (f?.kind !== STEP_TRACE || f.version !== 1)
    throw new StepTraceFormatError(
      `Not a step trace: expected kind "${STEP_TRACE}" version 1, got "${f?.kind}".`,
    )
  if (!Number.isInteger(f.step) || !Array.isArray(f.records) || !Array.isArray(f.values))
    throw new StepTraceFormatError('The step trace is missing its step, records or values.')
  if (typeof f.receiptHash !== 'string' || !/^0x[0-9a-f]{64}$/.test(f.receiptHash))
    throw new StepTraceFormatError('The step trace does not name the receipt it answers for (receiptHash).')
  const values = new Map<Hex, TensorValue>()
  for (const v of f.values) {
    const value = { shape: v.shape, data: Float32Array.from(v.data) }
    if (tensorHash(value) === v.hash) values.set(v.hash, value)
  }
  return { receiptHash: f.receiptHash, step: f.step!, trace: { records: f.records, values } }
}

/**
 * The operator trace of the step after `before` on `be` (the CPU reference, or the GPU whose result is
 * disputed), and the state hash that step ends in.
 */
export async function traceStep<T>(
  be: Backend<T>,
  before: Checkpoint,
  train: Uint8Array,
): Promise<{ trace: StepTrace; stateHash: Hex }> {
  const tracing = new TracingBackend(be)
  const trainer = Trainer.create(tracing, before.config, before)
  tracing.reset()
  const { stateHash } = await trainer.trainStep(train)
  return { trace: { records: [...tracing.records], values: new Map(tracing.values) }, stateHash }
}
