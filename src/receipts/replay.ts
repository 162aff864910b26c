// `verify` by re-execution: replay the receipt's steps from its start state on any backend and compare
// every state hash with the producer's commitments, bit for bit.
import type { Hex } from 'viem'
import { sha256Hex } from '../util/hash.ts'
import type { Backend } from '../train/backend.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import type { TrainingReceipt } from './training.ts'

export interface StepVerdict {
  step: number
  expected: Hex
  actual: Hex
  equal: boolean
}

export interface ReplayResult {
  ok: boolean
  detail: string
  steps: StepVerdict[]
  /** The first step whose replayed state differs from the commitment: where a dispute starts. */
  firstMismatch?: number
}

export async function replayTrainingReceipt<T>(
  receipt: TrainingReceipt,
  be: Backend<T>,
  corpus: Uint8Array,
  options: { from?: Checkpoint; onStep?: (v: StepVerdict) => void; signal?: AbortSignal } = {},
): Promise<ReplayResult> {
  const b = receipt.body
  const corpusHash = await sha256Hex(corpus)
  if (corpusHash !== b.data.sha256) {
    return {
      ok: false,
      detail: `the corpus hashes to ${corpusHash}, the receipt names ${b.data.sha256}`,
      steps: [],
    }
  }
  const from = options.from
  if (from && from.step !== b.startStep)
    return {
      ok: false,
      detail: `checkpoint is at step ${from.step}, the receipt starts at ${b.startStep}`,
      steps: [],
    }
  if (!from && b.startStep !== 0)
    return {
      ok: false,
      detail: `the receipt starts at step ${b.startStep}: supply that checkpoint`,
      steps: [],
    }
  const trainer = Trainer.create(be, b.config, from)
  const steps: StepVerdict[] = []
  try {
    const start = await trainer.stateHash()
    if (start !== b.startStateHash)
      return {
        ok: false,
        detail: `the start state hashes to ${start}, the receipt says ${b.startStateHash}`,
        steps,
      }
    const { train } = splitCorpus(corpus, b.data.valFraction)
    for (let i = 0; i < b.stepHashes.length; i++) {
      if (options.signal?.aborted) return { ok: false, detail: 'cancelled', steps }
      const actual = (await trainer.trainStep(train)).stateHash
      const v = {
        step: b.startStep + i + 1,
        expected: b.stepHashes[i],
        actual,
        equal: actual === b.stepHashes[i],
      }
      steps.push(v)
      options.onStep?.(v)
      if (!v.equal)
        return {
          ok: false,
          detail: `step ${v.step} differs: replayed ${actual}, committed ${v.expected}`,
          steps,
          firstMismatch: v.step,
        }
    }
    return { ok: true, detail: `all ${steps.length} steps equal, bit for bit`, steps }
  } finally {
    trainer.dispose()
  }
}
