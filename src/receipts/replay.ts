// `verify` by re-execution: replay the receipt's steps from its start state on any backend and compare
// every state hash with the producer's commitments, bit for bit.
import { concat, keccak256, numberToBytes, toBytes, type Hex } from 'viem'
import { sha256Hex } from '../util/hash.ts'
import type { Backend } from '../train/backend.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import type { TrainingReceipt } from './training.ts'
import { checkTrainingLimits } from './limits.ts'
import { configDifference } from '../train/configDiff.ts'
import { resolveRelease, trainingBackend, type ReleaseManifest } from './releases.ts'
import { BaseError } from '../errors/base.ts'

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

/**
 * The backend that replays the receipt's release (`be`, or the CPU reference with its frozen training
 * kernels: trainingBackend), or why this verifier cannot: refused by name, never replayed with other bits.
 */
export function releaseBackend<T>(
  receipt: TrainingReceipt,
  be: Backend<T>,
  releases?: ReleaseManifest,
): { be: Backend<T> } | { problem: string } {
  try {
    return { be: trainingBackend(resolveRelease(receipt.body.kernelsHash, releases), be) }
  } catch (e) {
    if (e instanceof BaseError) return { problem: `${e.name}: ${e.shortMessage}` }
    throw e
  }
}

export async function replayTrainingReceipt<T>(
  receipt: TrainingReceipt,
  backend: Backend<T>,
  corpus: Uint8Array,
  options: {
    from?: Checkpoint
    onStep?: (v: StepVerdict) => void
    signal?: AbortSignal
    /** The releases this verifier runs (default RELEASES). */
    releases?: ReleaseManifest
  } = {},
): Promise<ReplayResult> {
  const b = receipt.body
  checkTrainingLimits(b.config) // before anything is allocated, whoever calls
  const ran = releaseBackend(receipt, backend, options.releases)
  if ('problem' in ran) return { ok: false, detail: ran.problem, steps: [] }
  const be = ran.be
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
 * The seed of a spot check's draw, and where it came from. A given seed is used as is (to repeat a draw).
 * Otherwise the verifier's own fresh randomness is always in it: a seed the producer could compute (the
 * anchor's block hash alone) could be ground, by anchoring variants of a receipt until one's draw misses
 * its faked steps. The anchor's block hash, when known, is mixed in too, so the draw is also tied to the
 * chain; the verifier prints the seed, and `--seed` with it repeats the check.
 */
export function spotCheckSeed(
  options: { given?: Hex; anchor?: Hex },
  fresh: () => Uint8Array = () => crypto.getRandomValues(new Uint8Array(32)),
): { seed: Hex; source: string } {
  if (options.given) return { seed: options.given, source: 'given' }
  const own = fresh()
  if (!options.anchor) return { seed: keccak256(own), source: 'fresh randomness' }
  return {
    seed: keccak256(concat([toBytes(options.anchor), own])),
    source: "fresh randomness mixed with the anchor's block hash",
  }
}

/**
 * `verify` by sampling: for each drawn step s, take the producer's nearest checkpoint at or before s − 1
 * (published every few steps), check that it hashes to the committed state, replay forward to s and
 * compare every step on the way with its commitment. Replays always run under the receipt's config, and
 * a checkpoint whose header carries another config is refused (the state hash does not cover the
 * hyperparameters, so the header is a place to lie). A receipt from step 0 must start from its config's
 * seed: the start state is recomputed, so weights from another seed cannot pass as these.
 */
export async function spotCheckTrainingReceipt<T>(
  receipt: TrainingReceipt,
  backend: Backend<T>,
  corpus: Uint8Array,
  checkpointAt: (step: number) => Promise<Checkpoint>,
  options: { k: number; seed: Hex; onStep?: (v: StepVerdict) => void; releases?: ReleaseManifest },
): Promise<SpotCheckResult> {
  const b = receipt.body
  checkTrainingLimits(b.config)
  const sampled = sampleSteps(receipt, options.k, options.seed)
  const ran = releaseBackend(receipt, backend, options.releases)
  if ('problem' in ran) return { ok: false, detail: ran.problem, steps: [], sampled }
  const be = ran.be
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
  const fail = (detail: string, firstMismatch?: number) => ({
    ok: false,
    detail,
    steps,
    sampled,
    firstMismatch,
  })
  if (b.startStep === 0) {
    const fresh = Trainer.create(be, b.config)
    try {
      const start = await fresh.stateHash()
      if (start !== b.startStateHash)
        return fail(
          `the start state is ${b.startStateHash}, but the config's seed ${b.config.seed} gives ${start}`,
        )
    } finally {
      fresh.dispose()
    }
  }
  for (const s of sampled) {
    const checkpoint = await checkpointAt(s - 1)
    const header = configDifference(b.config, checkpoint.config)
    if (header) return fail(`the checkpoint after step ${checkpoint.step} carries another ${header}`, s)
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
