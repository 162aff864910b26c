// Training throughput: tokens/s and peak GPU memory per preset for the deterministic engine, and the
// same GPT in TensorFlow.js side by side in the same page (bench/tfjs-gpt.ts).
import type { Gpu } from '../src/gpu/runtime.ts'
import { adapterName } from '../src/gpu/report.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import { countParams, presets, type PresetName } from '../src/train/gpt.ts'
import { KJV_PENTATEUCH, splitBy } from '../src/train/corpus.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'

export interface TrainRecord {
  impl: string
  adapter: string
  preset: string
  params: number
  batch: number
  steps: number
  tokensPerSecond: number
  /** Kernel dispatches per training step (the deterministic engine). */
  dispatchesPerStep?: number
  peakBytes?: number
  firstLoss: number
  lastLoss: number
}

export async function benchTraining(
  gpu: Gpu,
  corpus: Uint8Array,
  options: {
    presets?: PresetName[]
    steps?: number
    batch?: number
    tfjs?: boolean
    log?: (r: TrainRecord) => void
  },
): Promise<TrainRecord[]> {
  const { train } = splitBy(KJV_PENTATEUCH, corpus)
  const steps = options.steps ?? 5
  const batch = options.batch ?? 8
  const records: TrainRecord[] = []
  const push = (r: TrainRecord) => {
    records.push(r)
    options.log?.(r)
  }
  for (const name of options.presets ?? ['tiny']) {
    const model = presets[name]
    const config = defaultTrainConfig(model, { steps: steps + 1, batch })
    const tokens = steps * batch * model.seqLen
    const trainer = Trainer.create(gpuBackend(gpu), config)
    const first = (await trainer.trainStep(train)).loss // warm-up: compiles every pipeline
    const dispatched = gpu.dispatches
    const start = performance.now()
    // As the training worker runs them: each step queued before the one before it is read back.
    const last = (await trainer.trainSteps(train, steps)).at(-1)?.loss ?? first
    const ms = performance.now() - start
    const dispatchesPerStep = (gpu.dispatches - dispatched) / steps
    push({
      impl: 'lockstep deterministic (state hash every step)',
      adapter: adapterName(gpu.report),
      preset: name,
      params: countParams(model),
      batch,
      steps,
      tokensPerSecond: tokens / (ms / 1000),
      dispatchesPerStep,
      peakBytes: gpu.memory().peak,
      firstLoss: first,
      lastLoss: last,
    })
    trainer.dispose()
    if (options.tfjs) {
      const { tfjsBackend, tfjsTrainer } = await import('./tfjs-gpt.ts')
      const backend = await tfjsBackend()
      const tfTrainer = tfjsTrainer(model, config.seed, batch, config.lr)
      const tfFirst = await tfTrainer.step(train, 0)
      let tfLast = tfFirst
      const t0 = performance.now()
      for (let i = 1; i <= steps; i++) tfLast = await tfTrainer.step(train, i)
      const tfMs = performance.now() - t0
      push({
        impl: `TensorFlow.js ${backend} (f32, not deterministic)`,
        adapter: adapterName(gpu.report),
        preset: name,
        params: countParams(model),
        batch,
        steps,
        tokensPerSecond: tokens / (tfMs / 1000),
        firstLoss: tfFirst,
        lastLoss: tfLast,
      })
    }
  }
  return records
}
