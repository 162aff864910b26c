// `lockstep verify --checkpoints DIR --full [--threads N]`: every step replayed, cut at the producer's
// checkpoints (src/receipts/segments.ts) and spread over worker threads on the CPU reference, or run one
// segment after another on the GPU. Lines are printed as steps finish; the verdict waits for every
// segment that could hold an earlier difference.
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { StepVerdict } from '../receipts/replay.ts'
import { planSegments, replaySegment, type Segment } from '../receipts/segments.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import type { Checkpoint } from '../train/trainer.ts'
import type { CliBackend } from './backend.ts'

export type ThreadMessage =
  | { kind: 'step'; verdict: StepVerdict }
  | { kind: 'segment'; segment: Segment; ok: boolean; detail: string; firstMismatch?: number }

interface Failure {
  step: number
  /** Where the segment that found it starts. */
  from: number
  detail: string
}

export interface FullReplay {
  ok: boolean
  detail: string
  firstMismatch?: number
}

/** Replays every step of `r` from `checkpoints`; `threads` > 1 uses worker threads (CPU reference only). */
export async function replayFull(
  r: TrainingReceipt,
  train: Uint8Array,
  checkpoints: Map<number, Checkpoint>,
  backend: CliBackend,
  threads: number,
  onStep: (v: StepVerdict) => void,
): Promise<FullReplay> {
  const onCpu = backend.name === 'CPU reference'
  const groups = planSegments(r, [...checkpoints.keys()], onCpu ? threads : 1)
  if (typeof groups === 'string') return { ok: false, detail: groups }
  const failures: Failure[] = []
  if (groups.length === 1) {
    for (const segment of groups[0]) {
      const res = await replaySegment(r, backend.be, train, segment, checkpoints.get(segment.from), onStep)
      if (!res.ok) {
        failures.push({ step: res.firstMismatch ?? segment.from, from: segment.from, detail: res.detail })
        break
      }
    }
  } else {
    await Promise.all(groups.map((segments) => runThread(r, train, segments, checkpoints, onStep, failures)))
  }
  const steps = r.body.endStep - r.body.startStep
  if (!failures.length)
    return { ok: true, detail: `all ${steps} steps equal, bit for bit, on ${groups.length} thread(s)` }
  // The earliest step; at a tie, the earlier segment's account (its replay reached the step, where a later
  // segment only found its checkpoint's commitment wrong), whichever thread finished first.
  const first = failures.sort((a, b) => a.step - b.step || a.from - b.from)[0]
  return { ok: false, detail: first.detail, firstMismatch: first.step }
}

function runThread(
  r: TrainingReceipt,
  train: Uint8Array,
  segments: Segment[],
  checkpoints: Map<number, Checkpoint>,
  onStep: (v: StepVerdict) => void,
  failures: Failure[],
): Promise<void> {
  // dist-cli/replayThread.js, beside the bundle this module is part of (scripts/prebuild.mjs).
  const file = join(dirname(fileURLToPath(import.meta.url)), 'replayThread.js')
  const needed = Object.fromEntries(
    segments.filter((s) => checkpoints.has(s.from)).map((s) => [s.from, checkpoints.get(s.from)]),
  )
  const worker = new Worker(file, { workerData: { receipt: r, train, segments, checkpoints: needed } })
  return new Promise((resolve) => {
    worker.on('message', (m: ThreadMessage) => {
      if (m.kind === 'step') onStep(m.verdict)
      else if (!m.ok)
        failures.push({ step: m.firstMismatch ?? m.segment.from, from: m.segment.from, detail: m.detail })
    })
    worker.on('error', (e) => {
      failures.push({
        step: segments[0].from,
        from: segments[0].from,
        detail: `a replay thread failed: ${e.message}`,
      })
      resolve()
    })
    worker.on('exit', () => resolve())
  })
}

/** --threads, else one per core. */
export function threadCount(given: string | undefined): number {
  return given === undefined ? availableParallelism() : Number(given)
}
