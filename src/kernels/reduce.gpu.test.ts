import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import { reduce, reduceRef, type ReduceOp } from './reduce.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const ops: ReduceOp[] = ['sum', 'mean', 'max']

async function onGpu(x: Float32Array, shape: [number, number], op: ReduceOp, axis: 0 | 1 = 1, wg?: number) {
  const t = upload(gpu, x, shape)
  const out = await reduce(gpu, t, op, { axis, workgroupSize: wg })
  const result = (await downloadF32(gpu, out)).slice()
  release(gpu, t, out)
  return result
}

/** Rows from different seeds; every third row also holds NaN and infinities. */
function mixed(rows: number, n: number, seed: number): Float32Array {
  const x = new Float32Array(rows * n)
  for (let r = 0; r < rows; r++) x.set(adversarialF32(n, seed + r, { nonFinite: r % 3 === 2 }), r * n)
  return x
}

/** Each row (axis 1) or column (axis 0) shuffled in place, with a seeded Fisher-Yates. */
function shuffled(x: Float32Array, [rows, n]: [number, number], axis: 0 | 1, seed: number): Float32Array {
  const y = x.slice()
  const next = mulberry32(seed)
  const [count, len] = axis === 1 ? [rows, n] : [n, rows]
  const at = (r: number, k: number) => (axis === 1 ? r * n + k : k * n + r)
  for (let r = 0; r < count; r++) {
    for (let k = len - 1; k > 0; k--) {
      const j = next() % (k + 1)
      ;[y[at(r, k)], y[at(r, j)]] = [y[at(r, j)], y[at(r, k)]]
    }
  }
  return y
}

describe.each(ops)('reduce %s on the GPU', (op) => {
  const shapes: [number, number][] = [
    [1, 1],
    [1, 4099],
    [300, 1],
    [3, 1000],
    [21, 70],
  ]
  it.each(shapes)('equals the CPU reference bit for bit on [%i, %i], both axes', async (rows, n) => {
    const x = mixed(rows, n, rows * 7 + n)
    for (const axis of [1, 0] as const) {
      expectBitsEqual(
        await onGpu(x, [rows, n], op, axis),
        reduceRef(x, [rows, n], op, { axis }),
        `axis ${axis}`,
      )
    }
  })

  it('handles 65537 values per reduction, rows and columns', async () => {
    const x = adversarialF32(2 * 65537, 5)
    expectBitsEqual(await onGpu(x, [2, 65537], op), reduceRef(x, [2, 65537], op))
    expectBitsEqual(await onGpu(x, [65537, 2], op, 0, 256), reduceRef(x, [65537, 2], op, { axis: 0 }))
    // 65537 reductions: more workgroups than one grid dimension holds.
    expectBitsEqual(await onGpu(x, [65537, 2], op, 1, 1), reduceRef(x, [65537, 2], op), 'spilling into y')
  })

  it('gives the same bits for any workgroup size and any input order', async () => {
    const shape: [number, number] = [5, 1001]
    const x = mixed(...shape, 9)
    const want = reduceRef(x, shape, op)
    for (const [wg, seed] of [
      [1, 1],
      [7, 2],
      [64, 3],
      [100, 4],
      [256, 5],
    ]) {
      expectBitsEqual(await onGpu(shuffled(x, shape, 1, seed), shape, op, 1, wg), want, `wg ${wg}`)
      const cols = await onGpu(shuffled(x, shape, 0, seed), shape, op, 0, wg)
      expectBitsEqual(cols, reduceRef(x, shape, op, { axis: 0 }), `columns, wg ${wg}`)
    }
  })
})

describe('reduce on the GPU: special values and invariance', () => {
  it('follows the documented NaN, infinity and signed-zero rules', async () => {
    const I = Infinity
    const rows = [
      [I, 1, 2, 3],
      [-I, 1, -I, 3],
      [I, -I, 0, 0],
      [NaN, 1, 2, I],
      [-0, -0, -0, -0],
      [-0, 0, -0, -0],
      [3.4e38, 3.4e38, -3.4e38, 1],
      [3.4e38, 3.4e38, 0, 0],
      [2 ** -149, 0, 0, 0], // means below half the smallest subnormal, and at ties
      [2 ** -149, 2 ** -149, 0, 0],
      [-(2 ** -147), 2 ** -149, 0, 0],
      [2 ** -126, -(2 ** -149), 0, 2 ** -140],
    ]
    const x = Float32Array.from(rows.flat())
    const shape: [number, number] = [rows.length, 4]
    for (const op of ops) expectBitsEqual(await onGpu(x, shape, op), reduceRef(x, shape, op), op)
  })

  // fx_div_to_f32 divides three ways: a power of two shifts, n below 2^16 takes 16-bit digits, larger n
  // one bit a step. Rows of each kind, long ones included, against the reference's exact division.
  it.each([64, 48, 65535, 65536, 65537, 100003])('divides a row of %i exactly for the mean', async (n) => {
    for (const seed of [1, 2]) {
      const x = adversarialF32(n, n + seed, { nonFinite: false })
      expectBitsEqual(await onGpu(x, [1, n], 'mean'), reduceRef(x, [1, n], 'mean'), `n = ${n}`)
    }
  })

  it('computes a row the same alone as inside a batch', async () => {
    const x = mixed(9, 333, 21)
    const batch = await onGpu(x, [9, 333], 'mean')
    const alone = await onGpu(x.slice(4 * 333, 5 * 333), [1, 333], 'mean')
    expect(alone[0]).toBe(batch[4])
  })

  it('rejects bad input with a ShapeError before touching the GPU', async () => {
    const t = upload(gpu, new Float32Array(6), [2, 3])
    await expect(reduce(gpu, { ...t, shape: [6] }, 'sum')).rejects.toThrow(/expected a 2-D tensor/)
    await expect(reduce(gpu, { ...t, shape: [6, 0] }, 'max', { axis: 1 })).rejects.toThrow(ShapeError)
    await expect(reduce(gpu, { ...t, dtype: 'i32' }, 'sum')).rejects.toThrow(/expected a f32 tensor/)
    await expect(reduce(gpu, t, 'sum', { workgroupSize: 0 })).rejects.toThrow(/workgroupSize/)
    await expect(reduce(gpu, t, 'sum', { workgroupSize: 1.5 })).rejects.toThrow(/workgroupSize/)
    release(gpu, t)
  })
})
