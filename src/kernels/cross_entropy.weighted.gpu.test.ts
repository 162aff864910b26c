// The weighted cross-entropy on the GPU equals its CPU reference bit for bit (tiny shapes), with zero,
// negative and subnormal weights and NaN/Inf rows, for any workgroup size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import {
  crossEntropyWeighted,
  crossEntropyWeightedBackward,
  crossEntropyWeightedBackwardRef,
  crossEntropyWeightedRef,
} from './cross_entropy.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

function logitsOf(rows: number, n: number, seed: number): Float32Array {
  const x = new Float32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const next = mulberry32(seed + r)
    const row =
      r % 3 === 2
        ? adversarialF32(n, seed + r, { nonFinite: r % 6 === 5 })
        : Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * 2 ** (next() % 6))
    x.set(row, r * n)
  }
  return x
}
function weightsOf(rows: number, seed: number): Float32Array {
  const next = mulberry32(seed)
  const w = Float32Array.from({ length: rows }, () => (next() / 2 ** 32 - 0.5) / 8)
  w[0] = 0
  if (rows > 1) w[1] = -0
  if (rows > 2) w[2] = 2 ** -140 // subnormal: the products round into the subnormal range
  return w
}

async function run(x: Float32Array, shape: [number, number], t: Int32Array, w: Float32Array, wg?: number) {
  const logits = upload(gpu, x, shape)
  const { losses, sum } = await crossEntropyWeighted(gpu, logits, t, w, { workgroupSize: wg })
  const grad = await crossEntropyWeightedBackward(gpu, logits, t, w, { workgroupSize: wg })
  const got = {
    losses: (await downloadF32(gpu, losses)).slice(),
    sum: (await downloadF32(gpu, sum)).slice(),
    grad: (await downloadF32(gpu, grad)).slice(),
  }
  release(gpu, logits, losses, sum, grad)
  return got
}

describe('weighted cross-entropy on the GPU', () => {
  it.each([
    [1, 1],
    [7, 33],
    [12, 130],
  ] as [number, number][])('equals the CPU reference bit for bit on [%i, %i]', async (rows, n) => {
    const x = logitsOf(rows, n, rows * n)
    const next = mulberry32(rows)
    const t = Int32Array.from({ length: rows }, () => next() % n)
    const w = weightsOf(rows, n)
    const want = crossEntropyWeightedRef(x, [rows, n], t, w)
    const wantGrad = crossEntropyWeightedBackwardRef(x, [rows, n], t, w)
    for (const wg of [undefined, 7]) {
      const got = await run(x, [rows, n], t, w, wg)
      expectBitsEqual(got.losses, want.losses, `losses, wg ${wg}`)
      expectBitsEqual(got.sum, Float32Array.of(want.sum), `sum, wg ${wg}`)
      expectBitsEqual(got.grad, wantGrad, `gradient, wg ${wg}`)
    }
  })

  it('refuses bad weights with a ShapeError before touching the GPU', async () => {
    const t = upload(gpu, new Float32Array(6), [2, 3])
    await expect(crossEntropyWeighted(gpu, t, Int32Array.of(0, 1), Float32Array.of(1))).rejects.toThrow(
      ShapeError,
    )
    await expect(
      crossEntropyWeightedBackward(gpu, t, Int32Array.of(0, 1), Float32Array.of(1, NaN)),
    ).rejects.toThrow(/not finite/)
    release(gpu, t)
  })
})
