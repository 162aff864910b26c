// `verify` by re-execution: replay the receipt's steps from its start state on any backend and compare
// every state hash with the producer's commitments, bit for bit.
import { concat, keccak256, numberToBytes, toBytes, type Hex } from 'viem'
import { sha256Hex } from '../util/hash.ts'
import type { Backend } from '../train/backend.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import type { TrainingReceipt } from './training.ts'
import { checkTrainingLimits } from './limits.ts'

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
  checkTrainingLimits(b.config) // before anything is allocated, whoever calls
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

export interface SpotCheckResult extends ReplayResult {
  /** The steps drawn, in draw order. */
  sampled: number[]
}

/**
 * The steps a spot check replays: k distinct steps of the receipt drawn from keccak256(seed ‖ receiptHash ‖ i).
 * The seed must be something the producer could not know when it committed (e.g. a later block hash).
 */
export function sampleSteps(receipt: TrainingReceipt, k: number, seed: Hex): number[] {
  const { startStep, endStep } = receipt.body
  const n = endStep - startStep
  const picked: number[] = []
  for (let i = 0; picked.length < Math.min(k, n); i++) {
    const h = keccak256(concat([toBytes(seed), toBytes(receipt.receiptHash), numberToBytes(i, { size: 4 })]))
    const step = startStep + 1 + Number(BigInt(h) % BigInt(n))
    if (!picked.includes(step)) picked.push(step)
  }
  return picked
}

/**
 * `verify` by sampling: for each drawn step s, take the producer's nearest checkpoint at or before s − 1
 * (published every few steps), check that it hashes to the committed state, replay forward to s and
 * compare every step on the way with its commitment. The receipt's config is used whatever the
 * checkpoint says, so a checkpoint cannot smuggle in other hyperparameters.
 */
export async function spotCheckTrainingReceipt<T>(
  receipt: TrainingReceipt,
  be: Backend<T>,
  corpus: Uint8Array,
  checkpointAt: (step: number) => Promise<Checkpoint>,
  options: { k: number; seed: Hex; onStep?: (v: StepVerdict) => void },
): Promise<SpotCheckResult> {
  const b = receipt.body
  checkTrainingLimits(b.config)
  const sampled = sampleSteps(receipt, options.k, options.seed)
  const corpusHash = await sha256Hex(corpus)
  if (corpusHash !== b.data.sha256)
    return {
      ok: false,
      detail: `the corpus hashes to ${corpusHash}, the receipt names ${b.data.sha256}`,
      steps: [],
      sampled,
    }
  const { train } = splitCorpus(corpus, b.data.valFraction)
  const committed = (s: number) => (s === b.startStep ? b.startStateHash : b.stepHashes[s - b.startStep - 1])
  const steps: StepVerdict[] = []
  const fail = (detail: string, firstMismatch: number) => ({
    ok: false,
    detail,
    steps,
    sampled,
    firstMismatch,
  })
  for (const s of sampled) {
    const checkpoint = await checkpointAt(s - 1)
    if (!(checkpoint.step >= b.startStep && checkpoint.step <= s - 1))
      return fail(
        `the checkpoint offered for step ${s} is at step ${checkpoint.step}, outside ${b.startStep}…${s - 1}`,
        s,
      )
    const trainer = Trainer.create(be, b.config, { ...checkpoint, config: b.config })
    try {
      const restored = await trainer.stateHash()
      if (restored !== committed(checkpoint.step))
        return fail(
          `the checkpoint after step ${checkpoint.step} hashes to ${restored}, not the committed ${committed(checkpoint.step)}`,
          checkpoint.step,
        )
      for (let t = checkpoint.step + 1; t <= s; t++) {
        const actual = (await trainer.trainStep(train)).stateHash
        const v = { step: t, expected: committed(t), actual, equal: actual === committed(t) }
        steps.push(v)
        options.onStep?.(v)
        if (!v.equal) return fail(`step ${t} differs: replayed ${actual}, committed ${v.expected}`, t)
      }
    } finally {
      trainer.dispose()
    }
  }
  const extra = steps.length - sampled.length
  const via = extra ? ` (${extra} more replayed on the way from checkpoints)` : ''
  return { ok: true, detail: `${sampled.length} sampled steps equal, bit for bit${via}`, steps, sampled }
}
