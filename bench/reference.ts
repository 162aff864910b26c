// The CPU reference's training throughput: the verifier's path for anyone without WebGPU.
// Usage (after bundling: `npx vite build --ssr bench/reference.ts --outDir .device/reference`):
//   node .device/reference/reference.js [--presets tiny,demo] [--steps 3] [--batch 8] [--profile]
// --profile adds each op's share of the step (forward and backward of the op modules, AdamW, hash).
import { readFileSync } from 'node:fs'
import { KJV_PENTATEUCH, splitBy } from '../src/train/corpus.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { countParams, presets, type PresetName } from '../src/train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const corpus = new Uint8Array(readFileSync(arg('corpus', 'public/corpus/kjv-pentateuch.txt')))
const { train } = splitBy(KJV_PENTATEUCH, corpus)
const steps = Number(arg('steps', '3'))
const batch = Number(arg('batch', '8'))
for (const name of arg('presets', 'tiny,demo').split(',') as PresetName[]) {
  const model = presets[name]
  const trainer = Trainer.create(cpuBackend, defaultTrainConfig(model, { steps: steps + 1, batch }))
  await trainer.trainStep(train) // warm-up: the JIT sees every op once
  const hashes: string[] = []
  const start = performance.now()
  const cpu = process.cpuUsage()
  for (let i = 0; i < steps; i++) hashes.push((await trainer.trainStep(train)).stateHash)
  const ms = performance.now() - start
  const { user, system } = process.cpuUsage(cpu)
  console.log(
    JSON.stringify({
      impl: 'lockstep CPU reference',
      preset: name,
      params: countParams(model),
      batch,
      steps,
      msPerStep: Math.round(ms / steps),
      // CPU time: steadier than wall time on a shared machine (the reference is single-threaded).
      cpuMsPerStep: Math.round((user + system) / 1000 / steps),
      tokensPerSecond: Math.round((steps * batch * model.seqLen) / (ms / 1000)),
      lastStateHash: hashes.at(-1),
    }),
  )
}
