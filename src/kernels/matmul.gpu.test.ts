import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import { matmul, matmulRef, type MatmulOptions } from './matmul.ts'
import { SPAN, quantize, quantizeRef } from './quantize.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

function gaussian(n: number, seed: number): Float32Array {
  const next = mulberry32(seed)
  const u = () => (next() + 0.5) / 2 ** 32
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()))
}

async function onGpu(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  opts: MatmulOptions = {},
) {
  const ta = upload(gpu, a, aShape)
  const tb = upload(gpu, b, bShape)
  const tc = await matmul(gpu, ta, tb, opts)
  const out = await downloadF32(gpu, tc)
  release(gpu, ta, tb, tc)
  return out
}

async function check(
  aShape: number[],
  bShape: number[],
  opts: MatmulOptions,
  a: Float32Array,
  b: Float32Array,
) {
  const got = await onGpu(a, aShape, b, bShape, opts)
  expectBitsEqual(got, matmulRef(a, aShape, b, bShape, opts), `${aShape}·${bShape} ${JSON.stringify(opts)}`)
  return got
}

describe('quantize on the GPU', () => {
  it('writes the reference words and exponents for strided vectors', async () => {
    const x = adversarialF32(37 * 70, 21, { nonFinite: true })
    const layout = { batch: 1, rows: 70, k: 37, strideBatch: 0, strideRow: 1, strideK: 70 }
    const t = upload(gpu, x)
    const q = await quantize(gpu, t, layout)
    const ref = quantizeRef(x, layout)
    expect(new Uint32Array(await gpu.read(q.packed, ref.packed.byteLength))).toEqual(ref.packed)
    expect(new Uint32Array(await gpu.read(q.exps, ref.exps.byteLength))).toEqual(ref.exps)
    release(gpu, t)
    gpu.release(q.packed)
    gpu.release(q.exps)
  })
})

describe('matmul on the GPU equals the CPU reference bit for bit', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 300, 1],
    [1, 33, 70],
    [70, 33, 1],
    [65, 129, 67],
    [3, 1000, 5],
    [17, 2500, 9], // large K: many blocks
  ]
  it.each(shapes)('M=%i K=%i N=%i, all four transposes, both kernels', async (m, k, n) => {
    const a = gaussian(m * k, m * 31 + k)
    const b = gaussian(k * n, n * 17 + k)
    for (const variant of ['tiled', 'row4', 'naive'] as const) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          await check(transA ? [k, m] : [m, k], transB ? [n, k] : [k, n], { transA, transB, variant }, a, b)
        }
      }
    }
  })

  it('on adversarial values: subnormals, signed zeros, extremes, NaN and infinities', async () => {
    const [m, k, n] = [19, 77, 23]
    const a = adversarialF32(m * k, 5, { nonFinite: true })
    const b = adversarialF32(k * n, 6)
    await check([m, k], [k, n], { variant: 'tiled' }, a, b)
    await check([m, k], [k, n], { variant: 'naive' }, a, b)
    await check([m, k], [k, n], { variant: 'row4' }, a, b)
  })

  it('rounds at the edges of f32: overflow to infinity, subnormal and zero results', async () => {
    const [m, k, n] = [6, 40, 6]
    const scales = [1e20, 1e-20, 1e-25, 3e19, 1.5e-22, 1]
    const a = gaussian(m * k, 7).map((v, i) => v * scales[Math.floor(i / k)])
    const b = gaussian(k * n, 8).map((v, i) => v * scales[i % n])
    const got = await check([m, k], [k, n], {}, a, b)
    expect(got.some((v) => !Number.isFinite(v))).toBe(true)
    expect(got.some((v) => v !== 0 && Math.abs(v) < 2 ** -126)).toBe(true)
  })

  it('batched and broadcast operands', async () => {
    const a = gaussian(3 * 10 * 50, 9)
    const b = gaussian(3 * 50 * 12, 10)
    await check([3, 10, 50], [3, 50, 12], {}, a, b)
    await check([3, 10, 50], [50, 12], {}, a, b.slice(0, 50 * 12))
    await check([10, 50], [3, 50, 12], {}, a.slice(0, 500), b)
    await check([3, 50, 10], [3, 12, 50], { transA: true, transB: true }, a, b)
  })
})

describe('matmul order independence', () => {
  it('tilings, split-K, a reversed-order kernel and the emulated dot4 give identical bits', async () => {
    const [m, k, n] = [70, 700, 45]
    const a = gaussian(m * k, 11).map((v, i) => (i % 61 === 0 ? v * 1e4 : v))
    const b = gaussian(k * n, 12)
    const base = await onGpu(a, [m, k], b, [k, n])
    const variants: MatmulOptions[] = [
      { variant: 'tiled' },
      { variant: 'tiled', workgroup: 8 },
      { splitK: 2 },
      { splitK: 3, workgroup: 8 },
      { splitK: 22 }, // one block per split
      { variant: 'naive' },
      { variant: 'row4' },
    ]
    for (const opts of variants)
      expectBitsEqual(await onGpu(a, [m, k], b, [k, n], opts), base, JSON.stringify(opts))
    const emulated = await Gpu.create({ forceEmulatedDot4: true })
    try {
      const ta = upload(emulated, a, [m, k])
      const tb = upload(emulated, b, [k, n])
      expectBitsEqual(await downloadF32(emulated, await matmul(emulated, ta, tb)), base, 'emulated dot4')
    } finally {
      emulated.destroy()
    }
  })

  it('a row alone equals the same row computed inside a batch', async () => {
    const [m, k, n] = [33, 64, 20]
    const a = gaussian(m * k, 13)
    const b = gaussian(k * n, 14)
    const all = await onGpu(a, [m, k], b, [k, n])
    const row = 17
    expectBitsEqual(
      await onGpu(a.slice(row * k, (row + 1) * k), [1, k], b, [k, n]),
      all.slice(row * n, (row + 1) * n),
    )
  })
})

describe('matmul input checks', () => {
  it('rejects mismatched shapes and dtypes with a clear error', async () => {
    const a = upload(gpu, new Float32Array(12), [3, 4])
    const b = upload(gpu, new Float32Array(10), [5, 2])
    await expect(matmul(gpu, a, b)).rejects.toThrow(/inner dimensions differ/)
    const ints = upload(gpu, new Int32Array(8), [4, 2])
    await expect(matmul(gpu, a, ints)).rejects.toThrow(/expected a f32 tensor; got i32/)
    release(gpu, a, b, ints)
  })
})

describe('the f32 baseline (benchmarks only)', () => {
  it('computes a matmul close to float64 — and is allowed to differ in bits', async () => {
    const { matmulF32Baseline } = await import('./matmul_f32_baseline.ts')
    const [m, k, n] = [33, 70, 65]
    const a = gaussian(m * k, 15)
    const b = gaussian(k * n, 16)
    const ta = upload(gpu, a, [m, k])
    const tb = upload(gpu, b, [k, n])
    const got = await downloadF32(gpu, await matmulF32Baseline(gpu, ta, tb))
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0
        let abs = 0
        for (let t = 0; t < k; t++) {
          s += a[i * k + t] * b[t * n + j]
          abs += Math.abs(a[i * k + t] * b[t * n + j])
        }
        expect(Math.abs(got[i * n + j] - s)).toBeLessThan(abs * 1e-5) // f32 accumulation of 70 terms
      }
    release(gpu, ta, tb)
  })
})

describe('dequantize on the GPU', () => {
  it('restores the reference values (within half a block step of the input) at a strided layout', async () => {
    const { dequantize, dequantizeRef } = await import('./quantize.ts')
    const x = adversarialF32(45 * 70, 23, { nonFinite: true })
    x[0] = 3.4028234663852886e38 // the largest f32 rounds up to 2^128 here: the one overflow
    const layout = { batch: 1, rows: 70, k: 45, strideBatch: 0, strideRow: 1, strideK: 70 }
    const t = upload(gpu, x)
    const q = await quantize(gpu, t, layout)
    const got = await downloadF32(gpu, await dequantize(gpu, q, layout, [45, 70]))
    const ref = quantizeRef(x, layout)
    expectBitsEqual(got, dequantizeRef(ref, layout, x.length))
    expect(got[0]).toBe(Infinity)
    // Column 1 (finite, vector 1): each value within half its block's step of the input.
    for (let k = 0; k < 45; k++) {
      const step =
        2 **
        (ref.exps[(ref.words / 8 + 1) * 1] - SPAN + ref.exps[(ref.words / 8 + 1) * 1 + 1 + (k >> 5)] - 140)
      expect(Math.abs(got[k * 70 + 1] - x[k * 70 + 1])).toBeLessThanOrEqual(step / 2)
    }
    release(gpu, t)
  })
})
