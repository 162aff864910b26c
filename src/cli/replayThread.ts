// One thread of `lockstep verify --checkpoints DIR --full`: replays its segments on the CPU reference
// and reports every step to the main thread (replayThreads.ts), stopping at its first difference.
import { parentPort, workerData } from 'node:worker_threads'
import { replaySegment, type Segment } from '../receipts/segments.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import { cpuBackend } from '../train/cpu.ts'
import type { Checkpoint } from '../train/trainer.ts'
import type { ThreadMessage } from './replayThreads.ts'

const { receipt, train, segments, checkpoints } = workerData as {
  receipt: TrainingReceipt
  train: Uint8Array
  segments: Segment[]
  checkpoints: Record<number, Checkpoint>
}
const post = (m: ThreadMessage) => parentPort!.postMessage(m)
for (const segment of segments) {
  const r = await replaySegment(receipt, cpuBackend, train, segment, checkpoints[segment.from], (v) =>
    post({ kind: 'step', verdict: v }),
  )
  post({ kind: 'segment', segment, ok: r.ok, detail: r.detail, firstMismatch: r.firstMismatch })
  if (!r.ok) break
}
