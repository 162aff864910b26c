// A full replay cut at the producer's checkpoints, so that it can run on several threads: each segment
// restores one checkpoint, checks it hashes to the committed state, and replays to the next checkpoint.
// Together the segments replay every step, and each starts from a state that is either the config's seed
// (step 0) or a checkpoint whose hash the previous segment reproduced: the same guarantee as one replay
// from the start, finished in the time of the longest segment.
import type { Hex } from 'viem'
import type { Backend } from '../train/backend.ts'
import { configDifference } from '../train/configDiff.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import { releaseBackend, type ReplayResult, type StepVerdict } from './replay.ts'
import type { TrainingReceipt } from './training.ts'

/** Replay from the state after step `from` to the state after step `to`. */
export interface Segment {
  from: number
  to: number
}

/**
 * The segments of a full replay, dealt into at most `threads` contiguous groups of about equal steps.
 * Each segment starts at a checkpoint (or at step 0, rebuilt from the seed) and ends at the next one.
 * Returns an error string when the checkpoints cannot cover the receipt.
 */
export function planSegments(
  receipt: TrainingReceipt,
  checkpointSteps: readonly number[],
  threads: number,
): Segment[][] | string {
  const { startStep, endStep } = receipt.body
  const inside = [...new Set(checkpointSteps)]
    .filter((s) => s > startStep && s < endStep)
    .sort((a, b) => a - b)
  if (startStep !== 0 && !checkpointSteps.includes(startStep))
    return `the receipt starts at step ${startStep}: supply that checkpoint`
  const bounds = [startStep, ...inside, endStep]
  const segments = bounds.slice(1).map((to, i) => ({ from: bounds[i], to }))
  const groups: Segment[][] = []
  const total = endStep - startStep
  const per = total / Math.max(1, Math.min(threads, segments.length))
  let current: Segment[] = []
  let done = 0
  segments.forEach((s, i) => {
    current.push(s)
    done += s.to - s.from
    // Close a group near its share of the steps: once reached, or when the next segment would take it
    // further past than it now falls short. The last group takes what is left.
    const target = per * (groups.length + 1)
    const next = segments[i + 1]
    if (next && groups.length < threads - 1 && done + (next.to - next.from) / 2 >= target) {
      groups.push(current)
      current = []
    }
  })
  if (current.length) groups.push(current)
  return groups
}

/**
 * One segment on `be`: the start state (the checkpoint at `segment.from`, or the config's seed at step
 * 0) must hash to the committed state, then every step to `segment.to` must equal its commitment.
 * Always under the receipt's config; a checkpoint whose header carries another config is refused.
 */
export async function replaySegment<T>(
  receipt: TrainingReceipt,
  be: Backend<T>,
  train: Uint8Array,
  segment: Segment,
  checkpoint: Checkpoint | undefined,
  onStep?: (v: StepVerdict) => void,
): Promise<ReplayResult> {
  const b = receipt.body
  const committed = (s: number): Hex =>
    s === b.startStep ? b.startStateHash : b.stepHashes[s - b.startStep - 1]
  const steps: StepVerdict[] = []
  const fail = (detail: string, firstMismatch: number): ReplayResult => ({
    ok: false,
    detail,
    steps,
    firstMismatch,
  })
  // Step 0 is always the config's seed: a checkpoint there could carry weights from anywhere.
  if (segment.from === 0) checkpoint = undefined
  if (checkpoint) {
    if (checkpoint.step !== segment.from)
      return fail(`the checkpoint for step ${segment.from} holds step ${checkpoint.step}`, segment.from)
    const header = configDifference(b.config, checkpoint.config)
    if (header)
      return fail(`the checkpoint after step ${checkpoint.step} carries another ${header}`, segment.from)
  } else if (segment.from !== 0) {
    return fail(`no checkpoint at step ${segment.from}`, segment.from)
  }
  // The receipt's release: its frozen training kernels in place, or refused by name (no step accused).
  const ran = releaseBackend(receipt, be)
  if ('problem' in ran) return { ok: false, detail: ran.problem, steps }
  const trainer = Trainer.create(ran.be, b.config, checkpoint && { ...checkpoint, config: b.config })
  try {
    const start = await trainer.stateHash()
    if (start !== committed(segment.from))
      return fail(
        checkpoint
          ? `the checkpoint after step ${segment.from} hashes to ${start}, not the committed ${committed(segment.from)}`
          : `the start state is ${b.startStateHash}, but the config's seed ${b.config.seed} gives ${start}`,
        segment.from,
      )
    for (let t = segment.from + 1; t <= segment.to; t++) {
      const actual = (await trainer.trainStep(train)).stateHash
      const v = { step: t, expected: committed(t), actual, equal: actual === committed(t) }
      steps.push(v)
      onStep?.(v)
      if (!v.equal) return fail(`step ${t} differs: replayed ${actual}, committed ${v.expected}`, t)
    }
    return { ok: true, detail: `steps ${segment.from + 1}…${segment.to} equal`, steps }
  } finally {
    trainer.dispose()
  }
}
