// Node entry: where a training step's time goes on the GPU, through Dawn (the optional `webgpu` package).
// Per preset: the whole step (trainStep, its readback included), the same with steps overlapped
// (trainSteps, where the trainer has it), the state commitment alone
// (stateHash(): on the GPU now, before issue 17 every tensor read back and hashed on the CPU), a
// checkpoint read, and the readbacks a step makes (counted at Gpu.read/readMany): calls and bytes.
// Usage: npx vite build --ssr bench/step.ts --outDir .device/bench
//        node .device/bench/step.js [--presets tiny,demo] [--steps 5] [--batch 8]
import { readFileSync } from 'node:fs'
import { loadDawn } from '../src/gpu/dawn.ts'
import { Gpu } from '../src/gpu/runtime.ts'
import { adapterName } from '../src/gpu/report.ts'
import { KJV_PENTATEUCH, splitBy } from '../src/train/corpus.ts'
import { countParams, presets, type PresetName } from '../src/train/gpt.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const gpu = await Gpu.create({ gpu: await loadDawn() })
const reads = { calls: 0, bytes: 0 }
// Count every map back to the CPU, whichever runtime method makes it.
const counted = gpu as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
for (const method of ['read', 'readMany']) {
  const original = counted[method]?.bind(gpu)
  if (!original) continue
  counted[method] = async (...a: unknown[]) => {
    const out = await original(...a)
    reads.calls++
    const parts = Array.isArray(out) ? out : [out]
    reads.bytes += parts.reduce((s: number, b) => s + (b as ArrayBuffer).byteLength, 0)
    return out
  }
}
const { train } = splitBy(KJV_PENTATEUCH, new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt')))
const steps = Number(arg('steps', '5'))
const batch = Number(arg('batch', '8'))
const time = async <R>(f: () => Promise<R>): Promise<[R, number]> => {
  const start = performance.now()
  const r = await f()
  return [r, performance.now() - start]
}
console.log(JSON.stringify({ adapter: adapterName(gpu.report), date: new Date().toISOString() }))
for (const name of arg('presets', 'tiny,demo').split(',') as PresetName[]) {
  const model = presets[name]
  const trainer = Trainer.create(gpuBackend(gpu), defaultTrainConfig(model, { steps: 2 * steps + 1, batch }))
  await trainer.trainStep(train) // warm-up: compiles every pipeline
  await trainer.stateHash()
  await trainer.checkpoint()
  reads.calls = reads.bytes = 0
  const [, stepMs] = await time(async () => {
    for (let i = 0; i < steps; i++) await trainer.trainStep(train)
  })
  const perStep = { calls: reads.calls / steps, bytes: reads.bytes / steps }
  // The same number of steps again, each queued before the one before it is read back (issue 17).
  const [, overlappedMs] = trainer.trainSteps
    ? await time(() => trainer.trainSteps(train, steps))
    : [null, NaN]
  const [, hashMs] = await time(() => trainer.stateHash())
  reads.calls = reads.bytes = 0
  const [, checkpointMs] = await time(() => trainer.checkpoint())
  const checkpoint = { ...reads }
  console.log(
    JSON.stringify({
      preset: name,
      params: countParams(model),
      batch,
      steps,
      stepMs: +(stepMs / steps).toFixed(1),
      tokensPerSecond: Math.round((steps * batch * model.seqLen) / (stepMs / 1000)),
      overlappedStepMs: +(overlappedMs / steps).toFixed(1),
      commitMs: +hashMs.toFixed(1),
      readbacksPerStep: perStep.calls,
      bytesPerStep: perStep.bytes,
      checkpointMs: +checkpointMs.toFixed(1),
      checkpointReadbacks: checkpoint.calls,
      checkpointBytes: checkpoint.bytes,
    }),
  )
  trainer.dispose()
}
gpu.destroy()
process.exit(0)
