// Node entry: the benches through Dawn (the optional `webgpu` package).
// Usage (after bundling, see docs/benchmarks.md):
//   node node.js [--sizes 256,512,1024] [--reference 256] [--variants 512] [--min-ms 500] [--out results.json]
//   node node.js --suite kernels [--rows 256] [--n 1024]   (every kernel: GB/s and hash vs the CPU reference)
//   node node.js --suite train [--presets tiny,demo,small,large] [--cpu-presets tiny,demo] [--steps 3]
//                [--cpu-steps 2] [--batch 8]              (tokens/s on the GPU and the CPU reference)
//   node node.js --suite hashes [--steps 20] [--batch 2]  (kernel and step hashes here and on the CPU reference)
import { readFileSync, writeFileSync } from 'node:fs'
import { loadDawn } from '../src/gpu/dawn.ts'
import { Gpu } from '../src/gpu/runtime.ts'
import type { PresetName } from '../src/train/gpt.ts'
import { benchMatmul } from './matmul.ts'
import { benchKernels } from './kernels.ts'
import { benchTrainingNode } from './trainNode.ts'
import { CORPUS_FILE, HASH_CHECK, cpuHashes, dawnHashes, hashMismatches } from './hashes.ts'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const list = (name: string, fallback: string) => arg(name, fallback).split(',').filter(Boolean)

const entry = await loadDawn()
const log = (r: unknown) => console.log(JSON.stringify(r))
const suite = arg('suite', 'matmul')
const corpus = () => new Uint8Array(readFileSync(arg('corpus', CORPUS_FILE)))
let adapter: unknown
let records: unknown

if (suite === 'train') {
  records = await benchTrainingNode(entry, corpus(), {
    gpuPresets: list('presets', 'tiny,demo,small,large') as PresetName[],
    cpuPresets: list('cpu-presets', 'tiny,demo') as PresetName[],
    steps: Number(arg('steps', '3')),
    cpuSteps: Number(arg('cpu-steps', '2')),
    batch: Number(arg('batch', '8')),
    log,
  })
} else if (suite === 'hashes') {
  const options = {
    ...HASH_CHECK,
    steps: Number(arg('steps', String(HASH_CHECK.steps))),
    batch: Number(arg('batch', String(HASH_CHECK.batch))),
  }
  const onGpu = await dawnHashes(entry, corpus(), options)
  const reference = await cpuHashes(corpus(), options)
  adapter = onGpu.adapter
  const mismatches = [
    ...hashMismatches(onGpu, reference, 'kernels'),
    ...hashMismatches(onGpu, reference, 'steps'),
  ]
  records = { gpu: onGpu, reference, mismatches }
  log({ adapter, kernels: onGpu.kernels.length, steps: onGpu.steps.length, ms: onGpu.ms, mismatches })
  if (mismatches.length) process.exitCode = 1
} else {
  const gpu = await Gpu.create({ gpu: entry })
  adapter = gpu.report
  console.log(JSON.stringify({ adapter }))
  records =
    suite === 'kernels'
      ? await benchKernels(gpu, { rows: Number(arg('rows', '256')), n: Number(arg('n', '1024')), log })
      : await benchMatmul(gpu, list('sizes', '256,512').map(Number), {
          minMs: Number(arg('min-ms', '500')),
          reference: list('reference', '').map(Number),
          variants: list('variants', '').map(Number),
          log,
        })
  gpu.destroy()
}
const out = arg('out', '')
if (out) writeFileSync(out, JSON.stringify({ adapter, date: new Date().toISOString(), records }, null, 2))
process.exit(process.exitCode ?? 0)
