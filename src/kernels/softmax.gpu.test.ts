import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import { softmax, softmaxBackward, softmaxBackwardRef, softmaxRef, type SoftmaxOptions } from './softmax.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

/** Per row: adversarial bits (every 4th row with NaN/Inf) or attention-like scores. */
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

async function forward(x: Float32Array, shape: number[], options: SoftmaxOptions = {}) {
  const t = upload(gpu, x, shape)
  const y = await softmax(gpu, t, options)
  const result = (await downloadF32(gpu, y)).slice()
  release(gpu, t, y)
  return result
}

async function backward(y: Float32Array, dy: Float32Array, shape: number[], options: SoftmaxOptions = {}) {
  const [ty, tdy] = [upload(gpu, y, shape), upload(gpu, dy, shape)]
  const dx = await softmaxBackward(gpu, ty, tdy, options)
  const result = (await downloadF32(gpu, dx)).slice()
  release(gpu, ty, tdy, dx)
  return result
}

const shapes: [number, number][] = [
  [1, 1],
  [1, 4099],
  [300, 1],
  [3, 1000],
  [21, 70],
]

describe('softmax on the GPU', () => {
  it.each(shapes)('forward and backward equal the CPU reference bit for bit on [%i, %i]', async (rows, n) => {
    const x = mixed(rows, n, rows + n)
    const y = softmaxRef(x, [rows, n])
    expectBitsEqual(await forward(x, [rows, n]), y, 'forward')
    const dy = mixed(rows, n, rows * n)
    expectBitsEqual(await backward(y, dy, [rows, n]), softmaxBackwardRef(y, dy, [rows, n]), 'backward')
  })

  it('masks causally for [batch, heads, T, T] scores, forward and backward', async () => {
    const shape = [2, 3, 17, 17]
    const x = mixed(2 * 3 * 17, 17, 5)
    const y = softmaxRef(x, shape, { causal: true })
    expectBitsEqual(await forward(x, shape, { causal: true }), y, 'forward')
    const dy = mixed(2 * 3 * 17, 17, 6)
    const want = softmaxBackwardRef(y, dy, shape, { causal: true })
    expectBitsEqual(await backward(y, dy, shape, { causal: true, workgroupSize: 5 }), want, 'backward')
  })

  it('handles rows of 65537', async () => {
    const x = mixed(2, 65537, 7)
    expectBitsEqual(await forward(x, [2, 65537], { workgroupSize: 256 }), softmaxRef(x, [2, 65537]))
  })

  it('gives the same bits for any workgroup size, and permuting a row permutes its output', async () => {
    const [rows, n] = [6, 513]
    const x = mixed(rows, n, 11)
    const want = softmaxRef(x, [rows, n])
    const perm = Array.from({ length: n }, (_, i) => i)
    const next = mulberry32(12)
    for (let i = n - 1; i > 0; i--) {
      const j = next() % (i + 1)
      ;[perm[i], perm[j]] = [perm[j], perm[i]]
    }
    const permute = (a: Float32Array) => a.map((_, i) => a[Math.floor(i / n) * n + perm[i % n]])
    for (const wg of [1, 7, 64, 100, 256]) {
      expectBitsEqual(await forward(x, [rows, n], { workgroupSize: wg }), want, `wg ${wg}`)
      expectBitsEqual(
        await forward(permute(x), [rows, n], { workgroupSize: wg }),
        permute(want),
        `permuted, wg ${wg}`,
      )
    }
  })

  it('computes a row the same alone as inside a batch', async () => {
    const x = mixed(8, 200, 13)
    const batch = await forward(x, [8, 200])
    expectBitsEqual(await forward(x.slice(600, 800), [1, 200]), batch.slice(600, 800))
  })

  it('rejects bad input with a ShapeError before touching the GPU', async () => {
    const t = upload(gpu, new Float32Array(12), [3, 4])
    await expect(softmax(gpu, t, { causal: true })).rejects.toThrow(/multiple of T = 4/)
    await expect(softmax(gpu, { ...t, dtype: 'u32' }, {})).rejects.toThrow(ShapeError)
    await expect(softmax(gpu, t, { workgroupSize: 300 })).rejects.toThrow(/workgroupSize/)
    await expect(softmaxBackward(gpu, t, { ...t, shape: [4, 3] })).rejects.toThrow(/differ/)
    release(gpu, t)
  })
})
