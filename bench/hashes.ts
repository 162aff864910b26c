// The cross-adapter check: every deterministic kernel's output hash and a short training run's state
// hashes, on one GPU adapter or on the CPU reference. Two adapters that each give the reference's bits give
// each other's; comparing all three directly also names the adapter that drifted.
// Run by scripts/adapters.test.ts (SwiftShader and lavapipe, in `npm test`) and bench/node.ts
// `--suite hashes` (any adapter, e.g. the accelerator machine through bench/device.sh).
import { Gpu } from '../src/gpu/runtime.ts'
import { adapterName } from '../src/gpu/report.ts'
import { downloadF32, release, upload } from '../src/gpu/tensor.ts'
import type { Backend } from '../src/train/backend.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import { KJV_PENTATEUCH, corpusPath, splitBy } from '../src/train/corpus.ts'
import { presets, type PresetName } from '../src/train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'
import { sha256Hex } from '../src/util/hash.ts'
import { kernelCases } from './kernels.ts'
import { benchInput } from './matmul.ts'

export interface HashOptions {
  /** The kernels' input is [rows, n] (the matmul is [rows, n]·[n, rows]). */
  rows: number
  n: number
  preset: PresetName
  steps: number
  batch: number
}

/**
 * What `npm test` runs on each adapter: 20 steps of `tiny` at batch 2 (640 tokens) and kernels on a
 * [64, 256] input: enough to cross several workgroups in every kernel, small enough for SwiftShader.
 */
export const HASH_CHECK: HashOptions = { rows: 64, n: 256, preset: 'tiny', steps: 20, batch: 2 }

export interface HashReport {
  /** "CPU reference", or the adapter's vendor / architecture / device. */
  adapter: string
  options: HashOptions
  /** SHA-256 of each kernel's f32 output bytes. */
  kernels: { op: string; hash: string }[]
  /** The state commitment after each step (src/train/state.ts), with the step's loss. */
  steps: { step: number; loss: number; stateHash: string }[]
  ms: { kernels: number; steps: number }
  /** The GPU runtime's peak of storage buffers over the training steps (src/train/memory.ts predicts it). */
  trainingPeakBytes?: number
}

/** The training corpus, relative to the repository root. */
export const CORPUS_FILE = `public/${corpusPath(KJV_PENTATEUCH)}`

function inputs(o: HashOptions) {
  const x = benchInput(o.rows * o.n, 3)
  const y = benchInput(o.rows * o.n, 4).map((v) => v + 3) // away from zero: a fair divisor
  return { x, y }
}

async function trainHashes<T>(be: Backend<T>, corpus: Uint8Array, o: HashOptions) {
  const { train } = splitBy(KJV_PENTATEUCH, corpus)
  const trainer = Trainer.create(
    be,
    defaultTrainConfig(presets[o.preset], { steps: o.steps, batch: o.batch }),
  )
  const steps: HashReport['steps'] = []
  try {
    for (let i = 0; i < o.steps; i++) {
      const r = await trainer.trainStep(train)
      steps.push({ step: r.step, loss: r.loss, stateHash: r.stateHash })
    }
  } finally {
    trainer.dispose()
  }
  return steps
}

/**
 * The hashes on the adapter Dawn picks from `entry` (the `webgpu` package's `create([])`). Training runs
 * first, on the fresh runtime, so that the runtime's peak of buffers is the training step's alone; the
 * kernels follow on the same runtime and reuse its compiled pipelines (compiling dominates on CPU adapters).
 */
export async function dawnHashes(
  entry: GPU,
  corpus: Uint8Array,
  o: HashOptions = HASH_CHECK,
): Promise<HashReport> {
  const gpu = await Gpu.create({ gpu: entry })
  try {
    const t0 = performance.now()
    const steps = await trainHashes(gpuBackend(gpu), corpus, o)
    const trainingPeakBytes = gpu.memory().peak
    const t1 = performance.now()
    const { x, y } = inputs(o)
    const tx = upload(gpu, x, [o.rows, o.n])
    const ty = upload(gpu, y, [o.rows, o.n])
    const kernels: HashReport['kernels'] = []
    for (const c of kernelCases(o.rows, o.n)) {
      const out = await c.gpu(gpu, tx, ty)
      kernels.push({ op: c.op, hash: await sha256Hex(await downloadF32(gpu, out)) })
      release(gpu, out)
    }
    release(gpu, tx, ty)
    const ms = { kernels: performance.now() - t1, steps: t1 - t0 }
    return { adapter: adapterName(gpu.report), options: o, kernels, steps, ms, trainingPeakBytes }
  } finally {
    gpu.destroy()
  }
}

/** The same hashes on the CPU reference (the kernels' TypeScript twins). */
export async function cpuHashes(corpus: Uint8Array, o: HashOptions = HASH_CHECK): Promise<HashReport> {
  const { x, y } = inputs(o)
  const t0 = performance.now()
  const kernels: HashReport['kernels'] = []
  for (const c of kernelCases(o.rows, o.n)) kernels.push({ op: c.op, hash: await sha256Hex(c.ref(x, y)) })
  const t1 = performance.now()
  const steps = await trainHashes(cpuBackend, corpus, o)
  const ms = { kernels: t1 - t0, steps: performance.now() - t1 }
  return { adapter: 'CPU reference', options: o, kernels, steps, ms }
}

/**
 * One line per kernel or step where `a` and `b` differ (and per one missing from either), naming both
 * sides and both hashes; empty when every bit agrees.
 */
export function hashMismatches(a: HashReport, b: HashReport, what: 'kernels' | 'steps'): string[] {
  const key = (e: { op: string } | { step: number }) => ('op' in e ? `kernel ${e.op}` : `step ${e.step}`)
  const hash = (e: { hash: string } | { stateHash: string }) => ('hash' in e ? e.hash : e.stateHash)
  const left = new Map<string, string>(a[what].map((e) => [key(e), hash(e)]))
  const right = new Map<string, string>(b[what].map((e) => [key(e), hash(e)]))
  const out: string[] = []
  for (const k of new Set([...left.keys(), ...right.keys()])) {
    const l = left.get(k) ?? '(missing)'
    const r = right.get(k) ?? '(missing)'
    if (l !== r) out.push(`${k}: ${a.adapter} ${l} ≠ ${b.adapter} ${r}`)
  }
  return out
}
