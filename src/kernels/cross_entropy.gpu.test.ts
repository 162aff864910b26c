import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import {
  crossEntropy,
  crossEntropyBackward,
  crossEntropyBackwardRef,
  crossEntropyRef,
} from './cross_entropy.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

/** Per row: adversarial bits (every 4th row with NaN/Inf) or logits of moderate spread. */
function mixed(rows: number, n: number, seed: number): Float32Array {
  const x = new Float32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const next = mulberry32(seed + r)
    const row =
      r % 2 === 0
        ? adversarialF32(n, seed + r, { nonFinite: r % 4 === 2 })
        : Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * 2 ** (next() % 6))
    x.set(row, r * n)
  }
  return x
}
function targetsOf(rows: number, vocab: number, seed: number): Int32Array {
  const next = mulberry32(seed)
  return Int32Array.from({ length: rows }, () => next() % vocab)
}

async function run(x: Float32Array, shape: [number, number], targets: Int32Array, workgroupSize?: number) {
  const t = upload(gpu, x, shape)
  const { losses, mean } = await crossEntropy(gpu, t, targets, { workgroupSize })
  const grad = await crossEntropyBackward(gpu, t, targets, { workgroupSize })
  const result = {
    losses: (await downloadF32(gpu, losses)).slice(),
    mean: (await downloadF32(gpu, mean)).slice(),
    grad: (await downloadF32(gpu, grad)).slice(),
  }
  release(gpu, t, losses, mean, grad)
  return result
}

function expectRef(
  got: Awaited<ReturnType<typeof run>>,
  x: Float32Array,
  shape: [number, number],
  t: Int32Array,
) {
  const want = crossEntropyRef(x, shape, t)
  expectBitsEqual(got.losses, want.losses, 'losses')
  expectBitsEqual(got.mean, Float32Array.of(want.mean), 'mean')
  expectBitsEqual(got.grad, crossEntropyBackwardRef(x, shape, t), 'gradient')
}

const shapes: [number, number][] = [
  [1, 1],
  [1, 4099],
  [300, 1],
  [3, 1000],
  [21, 70],
]

describe('cross-entropy on the GPU', () => {
  it.each(shapes)(
    'loss, mean and gradient equal the CPU reference bit for bit on [%i, %i]',
    async (rows, n) => {
      const x = mixed(rows, n, rows + n)
      const t = targetsOf(rows, n, rows)
      expectRef(await run(x, [rows, n], t), x, [rows, n], t)
    },
  )

  it('handles a vocabulary of 65537', async () => {
    const x = mixed(2, 65537, 3)
    const t = Int32Array.of(65536, 0)
    expectRef(await run(x, [2, 65537], t), x, [2, 65537], t)
  })

  it('gives the same bits for any workgroup size and any order of rows or vocabulary', async () => {
    const [rows, n] = [9, 301]
    const x = mixed(rows, n, 5)
    const t = targetsOf(rows, n, 6)
    const want = await run(x, [rows, n], t)
    expectRef(want, x, [rows, n], t)
    // Reverse the vocabulary (and the targets with it) and the rows: same losses, same mean.
    const x2 = new Float32Array(rows * n)
    for (let r = 0; r < rows; r++)
      for (let k = 0; k < n; k++) x2[(rows - 1 - r) * n + (n - 1 - k)] = x[r * n + k]
    const t2 = Int32Array.from({ length: rows }, (_, r) => n - 1 - t[rows - 1 - r])
    for (const wg of [7, 256]) {
      const got = await run(x2, [rows, n], t2, wg)
      expectBitsEqual(got.losses, want.losses.slice().reverse(), `losses, wg ${wg}`)
      expectBitsEqual(got.mean, want.mean, `mean, wg ${wg}`)
      expectBitsEqual(got.grad, want.grad.slice().reverse(), `gradient, wg ${wg}`)
    }
  })

  it('rejects bad targets and shapes with a ShapeError before touching the GPU', async () => {
    const t = upload(gpu, new Float32Array(12), [3, 4])
    await expect(crossEntropy(gpu, t, new Int32Array([0, 4, 1]))).rejects.toThrow(/target 4 of row 1/)
    await expect(crossEntropyBackward(gpu, t, new Int32Array([0, -1, 1]))).rejects.toThrow(ShapeError)
    await expect(crossEntropy(gpu, t, new Int32Array(2))).rejects.toThrow(/3 rows of logits but 2 targets/)
    await expect(crossEntropy(gpu, { ...t, dtype: 'i32' }, new Int32Array(3))).rejects.toThrow(/f32/)
    release(gpu, t)
  })
})
