// sf_erf, sf_sin and sf_cos (shaders/lib/softfloat.wgsl) give special.ts's bits, through the elementwise
// kernel, densely over the ranges where their branches change: erf's 0.75 / sqrt 2 and 4, the trig
// octants up to and past the 51471 limit.
import { afterAll, beforeAll, describe, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import * as ew from './elementwise.ts'
import { expectBitsEqual } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

/** n evenly spaced f32 values over [lo, hi], then the edges given. */
const spread = (n: number, lo: number, hi: number, edges: number[] = []) =>
  Float32Array.from([...Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)), ...edges])

describe('erf, sin, cos on the GPU equal the TypeScript reference bit for bit', () => {
  it.each([
    ['erf', spread(4001, -4.5, 4.5, [0.53, -0.53, 0.53033, 4, -4, 1e-30, -1e-40, 0, -0])],
    ['sin', spread(4001, -60000, 60000, [51470.996, 51471, -51471, 0, -0, 1e-3, Math.PI / 4])],
    ['cos', spread(4001, -12, 12, [51470.996, 51471, 0, -0, Math.PI / 2, Math.PI])],
    ['reciprocal', spread(1001, -3, 3, [0, -0, 1e-40, 3e38])],
  ] as const)('%s', async (op, x) => {
    const tx = upload(gpu, x)
    const ty = await ew.unary(gpu, op, tx)
    expectBitsEqual(await downloadF32(gpu, ty), ew.unaryRef(op, x), op)
    release(gpu, tx, ty)
  })
})
