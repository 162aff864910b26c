// Node entry: the matmul bench through Dawn (the optional `webgpu` package).
// Usage (after bundling, see docs/benchmarks.md):
//   node node.js [--sizes 256,512,1024] [--reference 256] [--variants 512] [--min-ms 500] [--out results.json]
//   node node.js --suite kernels [--rows 256] [--n 1024]   (every kernel: GB/s and hash vs the CPU reference)
import { writeFileSync } from 'node:fs'
import { Gpu } from '../src/gpu/runtime.ts'
import { benchMatmul } from './matmul.ts'
import { benchKernels } from './kernels.ts'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const { create, globals } = await import('webgpu')
Object.assign(globalThis, globals)
const gpu = await Gpu.create({ gpu: create([]) })
console.log(JSON.stringify({ adapter: gpu.report }))
const sizes = arg('sizes', '256,512').split(',').map(Number)
const reference = arg('reference', '').split(',').filter(Boolean).map(Number)
const log = (r: unknown) => console.log(JSON.stringify(r))
const records =
  arg('suite', 'matmul') === 'kernels'
    ? await benchKernels(gpu, { rows: Number(arg('rows', '256')), n: Number(arg('n', '1024')), log })
    : await benchMatmul(gpu, sizes, {
        minMs: Number(arg('min-ms', '500')),
        reference,
        variants: arg('variants', '').split(',').filter(Boolean).map(Number),
        log,
      })
const out = arg('out', '')
if (out)
  writeFileSync(
    out,
    JSON.stringify({ adapter: gpu.report, date: new Date().toISOString(), records }, null, 2),
  )
gpu.destroy()
process.exit(0)
