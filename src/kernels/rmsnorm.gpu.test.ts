import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { mulberry32 } from '../util/random.ts'
import { rmsnorm, rmsnormBackward, rmsnormBackwardRef, rmsnormRef } from './rmsnorm.ts'
import { adversarialF32, bitsOf, expectBitsEqual } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

/** Adversarial rows (every third with NaN and infinities) alternating with activation-like ones. */
function mixed(rows: number, n: number, seed: number): Float32Array {
  const x = new Float32Array(rows * n)
  const next = mulberry32(seed)
  for (let r = 0; r < rows; r++) {
    if (r % 2 === 0) x.set(adversarialF32(n, seed + r, { nonFinite: r % 3 === 2 }), r * n)
    else for (let k = 0; k < n; k++) x[r * n + k] = (next() / 2 ** 32 - 0.5) * 2 ** ((next() % 9) - 4)
  }
  return x
}

interface Case {
  x: Float32Array
  gamma: Float32Array
  dy: Float32Array
  shape: [number, number]
}

function makeCase(rows: number, n: number, seed: number, adversarialGamma = false): Case {
  const next = mulberry32(seed + 1)
  const gamma = adversarialGamma
    ? adversarialF32(n, seed + 1)
    : Float32Array.from({ length: n }, () => 0.5 + next() / 2 ** 32)
  return { x: mixed(rows, n, seed), gamma, dy: mixed(rows, n, seed + 2), shape: [rows, n] }
}

async function onGpu({ x, gamma, dy, shape }: Case, workgroupSize?: number) {
  const [tx, tg, tdy] = [upload(gpu, x, shape), upload(gpu, gamma), upload(gpu, dy, shape)]
  const fwd = await rmsnorm(gpu, tx, tg, { workgroupSize })
  const grads = await rmsnormBackward(gpu, tx, tg, fwd, tdy, { workgroupSize })
  const out: Record<string, Float32Array> = {}
  for (const [key, t] of Object.entries({ ...fwd, ...grads }) as [string, GpuTensor][]) {
    out[key] = (await downloadF32(gpu, t)).slice()
    release(gpu, t)
  }
  release(gpu, tx, tg, tdy)
  return out
}

function onCpu({ x, gamma, dy, shape }: Case): Record<string, Float32Array> {
  const fwd = rmsnormRef(x, gamma, shape)
  return { ...fwd, ...rmsnormBackwardRef(x, gamma, fwd, dy, shape) }
}

function expectSame(got: Record<string, Float32Array>, want: Record<string, Float32Array>, label = '') {
  for (const key of Object.keys(want)) expectBitsEqual(got[key], want[key], `${label} ${key}`)
}

describe('rmsnorm on the GPU', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [1, 4099],
    [300, 1],
    [3, 1000],
    [21, 70],
  ]
  it.each(shapes)(
    'equals the CPU reference bit for bit on [%i, %i], forward and backward',
    async (rows, n) => {
      const c = makeCase(rows, n, rows * 17 + n)
      expectSame(await onGpu(c), onCpu(c))
    },
  )

  it('equals the reference with an adversarial gamma too', async () => {
    const c = makeCase(12, 129, 78, true)
    expectSame(await onGpu(c), onCpu(c))
  })

  it('gives the same bits for any workgroup size and any row order', async () => {
    const [rows, n] = [6, 501]
    const c = makeCase(rows, n, 6)
    const want = onCpu(c)
    const order = [3, 0, 5, 1, 4, 2]
    const permute = (a: Float32Array, width: number) => {
      const out = new Float32Array(a.length)
      order.forEach((from, to) => out.set(a.subarray(from * width, (from + 1) * width), to * width))
      return out
    }
    for (const wg of [1, 7, 64, 100, 256]) {
      const got = await onGpu({ ...c, x: permute(c.x, n), dy: permute(c.dy, n) }, wg)
      expectBitsEqual(got.y, permute(want.y, n), `wg ${wg} y`)
      expectBitsEqual(got.dx, permute(want.dx, n), `wg ${wg} dx`)
      expectBitsEqual(got.rms, permute(want.rms, 1), `wg ${wg} rms`)
      expectBitsEqual(got.dgamma, want.dgamma, `wg ${wg} dgamma`)
    }
  })

  it('normalises a row the same alone as inside a batch', async () => {
    const c = makeCase(9, 333, 22)
    const batch = await onGpu(c)
    const row = (a: Float32Array) => a.slice(4 * 333, 5 * 333)
    const alone = await onGpu({ ...c, x: row(c.x), dy: row(c.dy), shape: [1, 333] })
    expectBitsEqual(alone.y, row(batch.y))
    expectBitsEqual(alone.dx, row(batch.dx))
  })

  it('follows IEEE rules for NaN and infinities within their row only', async () => {
    const x = Float32Array.from([1, NaN, 3, Infinity, 2, 3, 0, 0, 0, 1, 2, 3])
    const c: Case = { x, gamma: Float32Array.from([1, 2, 3]), dy: mixed(4, 3, 1), shape: [4, 3] }
    const got = await onGpu(c)
    expectSame(got, onCpu(c))
    for (let k = 0; k < 3; k++) expect(bitsOf(got.y[k])).toBe(0x7fc00000)
    // rms = +Inf: finite elements give 0, the infinite one Inf / Inf = NaN (as x * rsqrt(inf)).
    expect(Array.from(got.y.slice(3, 6)).map(bitsOf)).toEqual([0x7fc00000, 0, 0])
    expect(Array.from(got.y.slice(6, 9))).toEqual([0, 0, 0]) // all zeros: 0 / sqrt(eps)
    expect(got.y.slice(9).every(Number.isFinite)).toBe(true)
  })

  it('rejects bad input with a ShapeError before touching the GPU', async () => {
    const t = (shape: number[]) =>
      ({ buffer: null as unknown as GPUBuffer, shape, dtype: 'f32' }) as GpuTensor
    await expect(rmsnorm(gpu, t([2, 3]), t([2]))).rejects.toThrow(/gamma must have shape \[3\]/)
    await expect(rmsnorm(gpu, t([2, 3]), t([3]), { eps: -0.5 })).rejects.toThrow(/eps must be/)
    await expect(rmsnorm(gpu, t([0]), t([0]))).rejects.toThrow(/empty/)
    await expect(rmsnormBackward(gpu, t([2, 3]), t([3]), { rms: t([3]) }, t([2, 3]))).rejects.toThrow(
      /rms must have shape \[2\]/,
    )
  })
})
