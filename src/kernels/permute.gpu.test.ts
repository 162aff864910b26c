import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { download, release, upload } from '../gpu/tensor.ts'
import { permute, permuteRef } from './permute.ts'
import { adversarialF32 } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

describe('permute on the GPU', () => {
  it.each([
    [
      [2, 7, 3, 5],
      [0, 2, 1, 3],
    ],
    [
      [7, 3, 2, 4, 3],
      [2, 0, 3, 1, 4],
    ],
    [
      [1, 1000],
      [1, 0],
    ],
    [
      [3, 2, 1, 4, 1, 2],
      [5, 4, 3, 2, 1, 0],
    ],
    // Last output axes of 16, 12 and 6: a CPU adapter copies runs of 16, 4 and 2 per invocation.
    [
      [2, 8, 3, 2, 16],
      [2, 0, 3, 1, 4],
    ],
    [
      [3, 5, 12],
      [1, 0, 2],
    ],
    [
      [6, 7],
      [1, 0],
    ],
  ])('shape %j, order %j: the reference bits, NaN payloads included', async (shape, order) => {
    const n = shape.reduce((a, b) => a * b, 1)
    const bits = new Uint32Array(adversarialF32(n, n, { nonFinite: true }).buffer)
    bits[0] = 0x7fa00001 // a signalling NaN payload must survive: this is a copy
    const t = upload(gpu, bits, shape)
    const y = await permute(gpu, t, order)
    expect(await download(gpu, y)).toEqual(permuteRef(bits, shape, order))
    release(gpu, t, y)
  })

  it('gives the same bits for every run, and refuses a run that does not divide the last axis', async () => {
    const [shape, order] = [
      [4, 3, 2, 8],
      [2, 0, 1, 3],
    ]
    const bits = new Uint32Array(adversarialF32(192, 5, { nonFinite: true }).buffer)
    const t = upload(gpu, bits, shape)
    const want = permuteRef(bits, shape, order)
    for (const run of [1, 2, 4, 8]) {
      const y = await permute(gpu, t, order, { run })
      expect(await download(gpu, y), `run ${run}`).toEqual(want)
      release(gpu, y)
    }
    for (const run of [3, 16, 0, 1.5])
      await expect(permute(gpu, t, order, { run })).rejects.toThrow(/run must/)
    release(gpu, t)
  })
})
