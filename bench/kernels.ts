// Every kernel once on this adapter: time, bandwidth and the output hash next to the CPU
// reference's hash. On a new adapter this is the cross-adapter check: all `match` must be true.
import type { Gpu } from '../src/gpu/runtime.ts'
import { adapterName } from '../src/gpu/report.ts'
import { downloadF32, release, upload, type GpuTensor } from '../src/gpu/tensor.ts'
import { binary, binaryRef, grad, gradRef, unary, unaryRef } from '../src/kernels/elementwise.ts'
import { reduce, reduceRef } from '../src/kernels/reduce.ts'
import { softmax, softmaxRef } from '../src/kernels/softmax.ts'
import { layernorm, layernormRef } from '../src/kernels/layernorm.ts'
import { rmsnorm, rmsnormRef } from '../src/kernels/rmsnorm.ts'
import { crossEntropyBackward, crossEntropyBackwardRef } from '../src/kernels/cross_entropy.ts'
import { embeddingBackward, embeddingBackwardRef } from '../src/kernels/embedding.ts'
import { matmul, matmulRef } from '../src/kernels/matmul.ts'
import { sha256Hex } from '../src/util/hash.ts'
import { benchInput } from './matmul.ts'

export interface KernelRecord {
  op: string
  adapter: string
  shape: number[]
  ms: number
  /** Bytes read and written once each, per millisecond → GB/s. */
  gbps: number
  hash: string
  referenceHash: string
  match: boolean
}

interface Case {
  op: string
  shape: number[]
  bytes: number
  gpu: (gpu: Gpu, x: GpuTensor, y: GpuTensor) => Promise<GpuTensor>
  ref: (x: Float32Array, y: Float32Array) => Float32Array
}

export function kernelCases(rows: number, n: number): Case[] {
  const shape = [rows, n]
  const e = rows * n * 4
  const ids = Int32Array.from({ length: rows }, (_, i) => (i * 97) % n)
  const ones = (k: number) => new Float32Array(k).fill(1)
  return [
    {
      op: 'add',
      shape,
      bytes: 3 * e,
      gpu: (g, x, y) => binary(g, 'add', x, y),
      ref: (x, y) => binaryRef('add', x, y),
    },
    {
      op: 'mul',
      shape,
      bytes: 3 * e,
      gpu: (g, x, y) => binary(g, 'mul', x, y),
      ref: (x, y) => binaryRef('mul', x, y),
    },
    {
      op: 'div',
      shape,
      bytes: 3 * e,
      gpu: (g, x, y) => binary(g, 'div', x, y),
      ref: (x, y) => binaryRef('div', x, y),
    },
    { op: 'exp', shape, bytes: 2 * e, gpu: (g, x) => unary(g, 'exp', x), ref: (x) => unaryRef('exp', x) },
    { op: 'log', shape, bytes: 2 * e, gpu: (g, x) => unary(g, 'log', x), ref: (x) => unaryRef('log', x) },
    { op: 'tanh', shape, bytes: 2 * e, gpu: (g, x) => unary(g, 'tanh', x), ref: (x) => unaryRef('tanh', x) },
    { op: 'sqrt', shape, bytes: 2 * e, gpu: (g, x) => unary(g, 'sqrt', x), ref: (x) => unaryRef('sqrt', x) },
    {
      op: 'geluTanh',
      shape,
      bytes: 2 * e,
      gpu: (g, x) => unary(g, 'geluTanh', x),
      ref: (x) => unaryRef('geluTanh', x),
    },
    {
      op: 'geluTanh backward',
      shape,
      bytes: 3 * e,
      gpu: (g, x, y) => grad(g, 'geluTanh', x, y),
      ref: (x, y) => gradRef('geluTanh', x, y),
    },
    {
      op: 'sum rows',
      shape,
      bytes: e,
      gpu: (g, x) => reduce(g, x, 'sum'),
      ref: (x) => reduceRef(x, shape, 'sum'),
    },
    {
      op: 'sum columns',
      shape,
      bytes: e,
      gpu: (g, x) => reduce(g, x, 'sum', { axis: 0 }),
      ref: (x) => reduceRef(x, shape, 'sum', { axis: 0 }),
    },
    { op: 'softmax', shape, bytes: 2 * e, gpu: (g, x) => softmax(g, x), ref: (x) => softmaxRef(x, shape) },
    {
      op: 'layernorm',
      shape,
      bytes: 2 * e,
      gpu: async (g, x) => {
        const gamma = upload(g, ones(n))
        const beta = upload(g, new Float32Array(n))
        const r = await layernorm(g, x, gamma, beta)
        release(g, gamma, beta, r.mean, r.std)
        return r.y
      },
      ref: (x) => layernormRef(x, ones(n), new Float32Array(n), shape).y,
    },
    {
      op: 'rmsnorm',
      shape,
      bytes: 2 * e,
      gpu: async (g, x) => {
        const gamma = upload(g, ones(n))
        const r = await rmsnorm(g, x, gamma)
        release(g, gamma, ...Object.values(r).filter((t) => t !== r.y))
        return r.y
      },
      ref: (x) => rmsnormRef(x, ones(n), shape).y,
    },
    {
      op: 'cross-entropy backward',
      shape,
      bytes: 2 * e,
      gpu: (g, x) => crossEntropyBackward(g, x, ids),
      ref: (x) => crossEntropyBackwardRef(x, shape, ids),
    },
    {
      op: 'embedding backward',
      shape,
      bytes: 2 * e,
      gpu: (g, x) => embeddingBackward(g, x, ids, n),
      ref: (x) => embeddingBackwardRef(x, shape, ids, n),
    },
    {
      op: 'matmul (bq15)',
      shape: [rows, n, n],
      bytes: 0,
      gpu: (g, x, y) => matmul(g, x, { ...y, shape: [n, rows] }),
      ref: (x, y) => matmulRef(x, shape, y, [n, rows]),
    },
    {
      // The GPUs' default, named: CPU adapters default to row4, and this keeps tiled on both of them.
      op: 'matmul (bq15, tiled)',
      shape: [rows, n, n],
      bytes: 0,
      gpu: (g, x, y) => matmul(g, x, { ...y, shape: [n, rows] }, { variant: 'tiled' }),
      ref: (x, y) => matmulRef(x, shape, y, [n, rows]),
    },
  ]
}

export async function benchKernels(
  gpu: Gpu,
  options: { rows?: number; n?: number; log?: (r: KernelRecord) => void; only?: string[] } = {},
): Promise<KernelRecord[]> {
  const rows = options.rows ?? 256
  const n = options.n ?? 1024
  const x = benchInput(rows * n, 3)
  const y = benchInput(rows * n, 4).map((v) => v + 3) // away from zero: a fair divisor
  const tx = upload(gpu, x, [rows, n])
  const ty = upload(gpu, y, [rows, n])
  const records: KernelRecord[] = []
  for (const c of kernelCases(rows, n)) {
    if (options.only && !options.only.includes(c.op)) continue
    release(gpu, await c.gpu(gpu, tx, ty)) // warm-up: compile
    await gpu.finish()
    const start = performance.now()
    const out = await c.gpu(gpu, tx, ty)
    await gpu.finish()
    const ms = performance.now() - start
    const hash = await sha256Hex(await downloadF32(gpu, out))
    release(gpu, out)
    const referenceHash = await sha256Hex(c.ref(x, y))
    const r = {
      op: c.op,
      adapter: adapterName(gpu.report),
      shape: c.shape,
      ms,
      gbps: c.bytes / ms / 1e6,
      hash,
      referenceHash,
      match: hash === referenceHash,
    }
    records.push(r)
    options.log?.(r)
  }
  release(gpu, tx, ty)
  return records
}
