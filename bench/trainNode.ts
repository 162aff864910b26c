// Training throughput in Node: the deterministic engine on a Dawn adapter and on the CPU reference, the
// same configs (state hash every step, as a real run commits). Each GPU preset gets a fresh runtime, so
// its peak of GPU buffers is its own. Where both ran, their step hashes are compared too.
import { Gpu } from '../src/gpu/runtime.ts'
import { adapterName } from '../src/gpu/report.ts'
import type { Backend } from '../src/train/backend.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../src/train/corpus.ts'
import { countParams, presets, type PresetName } from '../src/train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'

export interface NodeTrainRecord {
  impl: 'gpu' | 'cpu reference'
  adapter: string
  preset: PresetName
  params: number
  batch: number
  /** Timed steps, after one warm-up step (which compiles every pipeline). */
  steps: number
  tokensPerSecond: number
  msPerStep: number
  warmupMs: number
  /** Most bytes of storage buffers the GPU runtime held (src/gpu/runtime.ts `memory()`). */
  peakBytes?: number
  loss: number
  /** State hash after each step, the warm-up's first. */
  stateHashes: string[]
}

async function run<T>(
  be: Backend<T>,
  preset: PresetName,
  steps: number,
  batch: number,
  corpus: Uint8Array,
  schedule: number,
) {
  const { train } = splitBy(KJV_PENTATEUCH, corpus)
  // One schedule length for the GPU and the CPU runs, whatever each times: the config (and so every hash)
  // must be the same for their hashes to be compared.
  const trainer = Trainer.create(be, defaultTrainConfig(presets[preset], { steps: schedule, batch }))
  try {
    const t0 = performance.now()
    const first = await trainer.trainStep(train)
    const warmupMs = performance.now() - t0
    const stateHashes = [first.stateHash as string]
    let loss = first.loss
    const t1 = performance.now()
    for (let i = 0; i < steps; i++) {
      const r = await trainer.trainStep(train)
      stateHashes.push(r.stateHash)
      loss = r.loss
    }
    const ms = performance.now() - t1
    const tokens = steps * batch * presets[preset].seqLen
    return { tokensPerSecond: tokens / (ms / 1000), msPerStep: ms / steps, warmupMs, loss, stateHashes }
  } finally {
    trainer.dispose()
  }
}

export async function benchTrainingNode(
  entry: GPU,
  corpus: Uint8Array,
  options: {
    gpuPresets: PresetName[]
    cpuPresets: PresetName[]
    steps: number
    cpuSteps: number
    batch: number
    log?: (r: NodeTrainRecord | { preset: string; hashesMatch: boolean; error?: string }) => void
  },
): Promise<NodeTrainRecord[]> {
  const records: NodeTrainRecord[] = []
  const push = (r: NodeTrainRecord) => {
    records.push(r)
    options.log?.({ ...r, stateHashes: [`${r.stateHashes.length} hashes (in --out)`] })
  }
  const schedule = Math.max(options.steps, options.cpuSteps) + 1
  const base = (preset: PresetName) => ({
    preset,
    params: countParams(presets[preset]),
    batch: options.batch,
  })
  for (const preset of options.gpuPresets) {
    const gpu = await Gpu.create({ gpu: entry })
    try {
      const r = await run(gpuBackend(gpu), preset, options.steps, options.batch, corpus, schedule)
      push({
        impl: 'gpu',
        adapter: adapterName(gpu.report),
        ...base(preset),
        steps: options.steps,
        ...r,
        peakBytes: gpu.memory().peak,
      })
    } catch (e) {
      options.log?.({ preset, hashesMatch: false, error: `gpu: ${e instanceof Error ? e.message : e}` })
    } finally {
      gpu.destroy()
    }
  }
  for (const preset of options.cpuPresets) {
    const r = await run(cpuBackend, preset, options.cpuSteps, options.batch, corpus, schedule)
    push({ impl: 'cpu reference', adapter: 'CPU reference', ...base(preset), steps: options.cpuSteps, ...r })
    const onGpu = records.find((g) => g.impl === 'gpu' && g.preset === preset)
    if (onGpu) {
      const n = Math.min(onGpu.stateHashes.length, r.stateHashes.length)
      const same = onGpu.stateHashes.slice(0, n).every((h, i) => h === r.stateHashes[i])
      options.log?.({ preset, hashesMatch: same })
    }
  }
  return records
}
