// The strided broadcast kernel gives the ONNX operators' CPU forms bit for bit: Add, Sub, Mul, Div by
// softfloat over every broadcast pattern of the attention masks (and NaN, infinities, subnormals), Where
// as a bit copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import { broadcast, broadcastDims, broadcastOffsets, float } from '../ops/onnx.ts'
import { mulberry32 } from '../util/random.ts'
import { broadcastOp } from './broadcast.ts'
import { BINARY_OPS } from './elementwise.ts'
import * as sf from './softfloat.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const size = (d: number[]) => d.reduce((a, b) => a * b, 1)
const SHAPES: [number[], number[]][] = [
  [
    [1, 2, 5, 7],
    [1, 1, 5, 7],
  ],
  [
    [1, 2, 5, 7],
    [5, 7],
  ],
  [
    [3, 1, 4],
    [1, 6, 1],
  ],
  [[4, 9], [1]],
  [[1], [2, 3, 1, 2]],
  [
    [2, 1, 3, 1, 2, 1, 2],
    [1, 3, 1, 2, 1, 2, 1],
  ],
]
const FN = { add: sf.add, sub: sf.sub, mul: sf.mul, div: sf.div }

describe('broadcast kernel equals the CPU reference bit for bit', () => {
  it.each(BINARY_OPS)('%s over the broadcast patterns', async (op) => {
    for (const [i, [da, db]] of SHAPES.entries()) {
      const a = float(da, adversarialF32(size(da), 10 + i, { nonFinite: true }))
      const b = float(db, adversarialF32(size(db), 20 + i, { nonFinite: true }))
      const dims = broadcastDims(op, da, db)
      const [ta, tb] = [upload(gpu, a.data, da), upload(gpu, b.data, db)]
      const out = await broadcastOp(gpu, op, dims, ta, tb)
      expect(out.shape).toEqual(dims)
      expectBitsEqual(await downloadF32(gpu, out), broadcast(op, a, b, FN[op]).data, `${op} [${da}] [${db}]`)
      release(gpu, ta, tb, out)
    }
  })

  it('Where copies bits, the condition broadcast too', async () => {
    const next = mulberry32(3)
    for (const [i, [dx, dc]] of SHAPES.entries()) {
      const dy = [dx.at(-1)!]
      const dims = broadcastDims('where', broadcastDims('where', dc, dx), dy)
      const x = adversarialF32(size(dx), 30 + i, { nonFinite: true })
      const y = adversarialF32(size(dy), 40 + i, { nonFinite: true })
      const c = Uint32Array.from({ length: size(dc) }, () => next() & 1)
      const [oc, ox, oy] = [dc, dx, dy].map((d) => broadcastOffsets(dims, d))
      const want = new Uint32Array(size(dims))
      const [bx, by] = [new Uint32Array(x.buffer), new Uint32Array(y.buffer)]
      for (let o = 0; o < want.length; o++) want[o] = c[oc[o]] ? bx[ox[o]] : by[oy[o]]
      const [tx, ty, tc] = [upload(gpu, x, dx), upload(gpu, y, dy), upload(gpu, c, dc)]
      const out = await broadcastOp(gpu, 'where', dims, tx, ty, tc)
      expectBitsEqual(await downloadF32(gpu, out), new Float32Array(want.buffer), `where [${dc}] [${dx}]`)
      release(gpu, tx, ty, tc, out)
    }
  })
})
