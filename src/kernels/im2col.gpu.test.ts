// im2col on the GPU copies the reference's bits: groups, strides, dilations, asymmetric windows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { download, release, upload } from '../gpu/tensor.ts'
import { mulberry32 } from '../util/random.ts'
import { im2col, im2colF32, type PatchPlan } from './im2col.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

describe('im2col on the GPU', () => {
  it('equals im2colF32 bit for bit', async () => {
    const next = mulberry32(3)
    const dims = [2, 4, 7, 9]
    const x = new Float32Array(Uint32Array.from({ length: 504 }, () => next()).buffer)
    const cases: [PatchPlan['win'], number][] = [
      [{ kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1], out: [7, 9] }, 1],
      [{ kernel: [3, 2], strides: [2, 3], dilations: [2, 1], pads: [0, 1], out: [2, 3] }, 2],
      [{ kernel: [2, 2], strides: [2, 2], dilations: [1, 3], pads: [1, 2], out: [4, 4] }, 4],
    ]
    for (const [win, group] of cases) {
      const cg = 4 / group
      const p = {
        n: 2,
        c: 4,
        group,
        cg,
        k: cg * win.kernel[0] * win.kernel[1],
        positions: 2 * win.out[0] * win.out[1],
        win,
      }
      const t = upload(gpu, x, dims)
      const cols = await im2col(gpu, t, p)
      const got = new Uint32Array((await download(gpu, cols)).buffer)
      release(gpu, t, cols)
      expect(got, JSON.stringify(win)).toEqual(new Uint32Array(im2colF32(x, dims, p).buffer))
    }
  }, 60_000)
})
