import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { mulberry32 } from '../util/random.ts'
import { layernorm, layernormBackward, layernormBackwardRef, layernormRef } from './layernorm.ts'
import { adversarialF32, bitsOf, expectBitsEqual } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

/**
 * [rows, n] inputs: adversarial rows (every exponent, subnormals, ±FLT_MAX; every third one also
 * NaN and infinities) alternating with activation-like rows (offset + noise), where the outputs
 * are ordinary numbers rather than mostly saturated.
 */
function mixed(rows: number, n: number, seed: number): Float32Array {
  const x = new Float32Array(rows * n)
  const next = mulberry32(seed)
  for (let r = 0; r < rows; r++) {
    if (r % 2 === 0) x.set(adversarialF32(n, seed + r, { nonFinite: r % 3 === 2 }), r * n)
    else for (let k = 0; k < n; k++) x[r * n + k] = (next() % 100) / 10 + (next() / 2 ** 32 - 0.5) * 3
  }
  return x
}

function channels(n: number, seed: number): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => (next() / 2 ** 32) * 2 - 0.5)
}

async function get(...ts: GpuTensor[]): Promise<Float32Array[]> {
  const out = []
  for (const t of ts) out.push((await downloadF32(gpu, t)).slice())
  release(gpu, ...ts)
  return out
}

interface Case {
  x: Float32Array
  gamma: Float32Array
  beta: Float32Array
  dy: Float32Array
  shape: [number, number]
}

function makeCase(rows: number, n: number, seed: number, adversarialParams = false): Case {
  const gamma = adversarialParams ? adversarialF32(n, seed + 1) : channels(n, seed + 1)
  const beta = adversarialParams ? adversarialF32(n, seed + 2) : channels(n, seed + 2)
  return { x: mixed(rows, n, seed), gamma, beta, dy: mixed(rows, n, seed + 3), shape: [rows, n] }
}

/** Forward and backward on the GPU, every output downloaded. */
async function onGpu({ x, gamma, beta, dy, shape }: Case, workgroupSize?: number) {
  const [tx, tg, tb, tdy] = [
    upload(gpu, x, shape),
    upload(gpu, gamma),
    upload(gpu, beta),
    upload(gpu, dy, shape),
  ]
  const fwd = await layernorm(gpu, tx, tg, tb, { workgroupSize })
  const grads = await layernormBackward(gpu, tx, tg, fwd, tdy, { workgroupSize })
  const [y, mean, std, dx, dgamma, dbeta] = await get(
    fwd.y,
    fwd.mean,
    fwd.std,
    grads.dx,
    grads.dgamma,
    grads.dbeta,
  )
  release(gpu, tx, tg, tb, tdy)
  return { y, mean, std, dx, dgamma, dbeta }
}

function onCpu({ x, gamma, beta, dy, shape }: Case) {
  const fwd = layernormRef(x, gamma, beta, shape)
  return { ...fwd, ...layernormBackwardRef(x, gamma, fwd, dy, shape) }
}

function expectSame(got: Record<string, Float32Array>, want: Record<string, Float32Array>, label = '') {
  for (const key of Object.keys(want)) expectBitsEqual(got[key], want[key], `${label} ${key}`)
}

describe('layernorm on the GPU', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [1, 4099],
    [300, 1],
    [3, 1000],
    [21, 70],
    [5, 257],
  ]
  it.each(shapes)(
    'equals the CPU reference bit for bit on [%i, %i], forward and backward',
    async (rows, n) => {
      const c = makeCase(rows, n, rows * 31 + n)
      expectSame(await onGpu(c), onCpu(c))
    },
  )

  it('equals the reference with adversarial gamma and beta too', async () => {
    const c = makeCase(12, 129, 77, true)
    expectSame(await onGpu(c), onCpu(c))
  })

  it('gives the same bits for any workgroup size and any row order', async () => {
    const n = 513
    const c = makeCase(6, n, 5)
    const want = onCpu(c)
    const order = [3, 0, 5, 1, 4, 2]
    const permute = (a: Float32Array, width: number) => {
      const out = new Float32Array(a.length)
      order.forEach((from, to) => out.set(a.subarray(from * width, (from + 1) * width), to * width))
      return out
    }
    for (const wg of [1, 7, 64, 100, 256]) {
      const got = await onGpu({ ...c, x: permute(c.x, n), dy: permute(c.dy, n) }, wg)
      for (const key of ['y', 'dx'] as const)
        expectBitsEqual(got[key], permute(want[key], n), `wg ${wg} ${key}`)
      for (const key of ['mean', 'std'] as const)
        expectBitsEqual(got[key], permute(want[key], 1), `wg ${wg} ${key}`)
      // Column sums over permuted rows: the same exact sums.
      expectBitsEqual(got.dgamma, want.dgamma, `wg ${wg} dgamma`)
      expectBitsEqual(got.dbeta, want.dbeta, `wg ${wg} dbeta`)
    }
  })

  it('normalises a row the same alone as inside a batch', async () => {
    const c = makeCase(9, 333, 21)
    const batch = await onGpu(c)
    const row = (a: Float32Array) => a.slice(4 * 333, 5 * 333)
    const alone = await onGpu({ ...c, x: row(c.x), dy: row(c.dy), shape: [1, 333] })
    expectBitsEqual(alone.y, row(batch.y))
    expectBitsEqual(alone.dx, row(batch.dx))
  })

  it('turns a row holding NaN or an infinity into NaN, and leaves the other rows alone', async () => {
    const n = 4
    const x = Float32Array.from([1, 2, NaN, 4, 1, Infinity, 3, 4, 1, 2, 3, -Infinity, 1, 2, 3, 4])
    const c: Case = { x, gamma: channels(n, 1), beta: channels(n, 2), dy: mixed(4, n, 3), shape: [4, n] }
    const got = await onGpu(c)
    expectSame(got, onCpu(c))
    for (let k = 0; k < 3 * n; k++) expect(bitsOf(got.y[k])).toBe(0x7fc00000)
    expect(Number.isFinite(got.y[3 * n])).toBe(true)
    // A constant row: var = 0, y = beta exactly.
    const flat: Case = { ...c, x: new Float32Array(n).fill(3), dy: channels(n, 4), shape: [1, n] }
    expectBitsEqual((await onGpu(flat)).y, flat.beta)
  })

  it('rejects bad input with a ShapeError before touching the GPU', async () => {
    const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32') =>
      ({ buffer: null as unknown as GPUBuffer, shape, dtype }) as GpuTensor
    const [x, v] = [t([2, 3]), t([3])]
    await expect(layernorm(gpu, x, t([2]), v)).rejects.toThrow(/gamma must have shape \[3\]/)
    await expect(layernorm(gpu, x, v, t([3], 'i32'))).rejects.toThrow(/expected a f32 tensor/)
    await expect(layernorm(gpu, t([2, 0]), t([0]), t([0]))).rejects.toThrow(/empty/)
    await expect(layernorm(gpu, t([]), v, v)).rejects.toThrow(ShapeError)
    await expect(layernorm(gpu, x, v, v, { eps: -1 })).rejects.toThrow(/eps must be/)
    await expect(layernorm(gpu, x, v, v, { eps: NaN })).rejects.toThrow(/eps must be/)
    await expect(layernorm(gpu, x, v, v, { workgroupSize: 0 })).rejects.toThrow(/workgroupSize/)
    await expect(layernormBackward(gpu, x, v, { std: t([3]) }, x)).rejects.toThrow(
      /std must have shape \[2\]/,
    )
    await expect(layernormBackward(gpu, x, v, { std: t([2]) }, t([3, 2]))).rejects.toThrow(
      /dy must have shape \[2, 3\]/,
    )
  })
})
