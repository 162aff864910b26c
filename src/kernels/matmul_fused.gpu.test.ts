// The fused paths of the matmul: both operands quantised by one dispatch, and the epilogue that folds
// scale, bias and residual adds into the output. Each must give the unfused path's bits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { binary, scale } from './elementwise.ts'
import { epilogueRef, matmul, matmulRef, planMatmul, type MatmulOptions } from './matmul.ts'
import { quantizePair, quantizeRef } from './quantize.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const words = (buffer: GPUBufferBinding, bytes: number) =>
  gpu.read(buffer.buffer, (buffer.offset ?? 0) + bytes).then((b) => new Uint32Array(b, buffer.offset ?? 0))

describe('quantising both operands in one dispatch', () => {
  it.each(['tiled', 'naive'] as const)(
    'writes each operand’s reference words at its own range (%s)',
    async (variant) => {
      const [m, k, n] = [70, 37, 9]
      const a = adversarialF32(3 * k * m, 31, { nonFinite: true })
      const b = adversarialF32(k * n, 32)
      const plan = planMatmul([3, k, m], [n, k], { transA: true, transB: true })
      const [ta, tb] = [upload(gpu, a, [3, k, m]), upload(gpu, b, [n, k])]
      const q = await quantizePair(gpu, ta, plan.a, tb, plan.b, variant)
      for (const [x, layout, range] of [
        [a, plan.a, q.a],
        [b, plan.b, q.b],
      ] as const) {
        const ref = quantizeRef(x, layout)
        expect(await words(range.packed, ref.packed.byteLength)).toEqual(ref.packed)
        expect(await words(range.exps, ref.exps.byteLength)).toEqual(ref.exps)
      }
      release(gpu, ta, tb)
      gpu.release(q.packed)
      gpu.release(q.exps)
    },
  )
})

describe('the matmul epilogue equals scale, bias and residual adds run one after the other', () => {
  const [m, k, n] = [19, 77, 23]
  const a = adversarialF32(3 * m * k, 41, { nonFinite: true })
  const b = adversarialF32(k * n, 42)
  const bias = adversarialF32(n, 43, { nonFinite: true })
  const residual = adversarialF32(3 * m * n, 44, { nonFinite: true })
  const cases: { scale?: number; bias?: boolean; residual?: boolean }[] = [
    { scale: 0.25 },
    { scale: 1 / Math.sqrt(12) },
    { bias: true },
    { residual: true },
    { bias: true, residual: true },
    { scale: 3, bias: true, residual: true },
  ]
  const variants: MatmulOptions[] = [
    { variant: 'naive' },
    { variant: 'row4' },
    { variant: 'tiled', workgroup: 8 },
    { splitK: 3 },
  ]

  it.each(cases)('%o on every kernel, batched, with NaN and infinities', async (c) => {
    const ta = upload(gpu, a, [3, m, k])
    const tb = upload(gpu, b, [k, n])
    const tbias = upload(gpu, bias, [n])
    const tres = upload(gpu, residual, [3, m, n])
    const epilogue = {
      scale: c.scale,
      bias: c.bias ? tbias : undefined,
      residual: c.residual ? tres : undefined,
    }
    const expected = epilogueRef(matmulRef(a, [3, m, k], b, [k, n]), {
      scale: c.scale,
      bias: c.bias ? bias : undefined,
      residual: c.residual ? residual : undefined,
    })
    // The unfused GPU path: the matmul, then one elementwise dispatch per step.
    let y: GpuTensor = await matmul(gpu, ta, tb)
    if (c.scale !== undefined) y = await scale(gpu, y, c.scale)
    if (c.bias) y = await binary(gpu, 'add', y, tbias)
    if (c.residual) y = await binary(gpu, 'add', tres, y)
    expectBitsEqual(await downloadF32(gpu, y), expected, 'unfused')
    for (const opts of variants) {
      const fused = await matmul(gpu, ta, tb, opts, epilogue)
      expectBitsEqual(await downloadF32(gpu, fused), expected, JSON.stringify(opts))
      release(gpu, fused)
    }
    release(gpu, ta, tb, tbias, tres)
  })

  it('refuses a bias or residual of the wrong shape', async () => {
    const ta = upload(gpu, new Float32Array(12), [3, 4])
    const tb = upload(gpu, new Float32Array(8), [4, 2])
    const wrong = upload(gpu, new Float32Array(3), [3])
    await expect(matmul(gpu, ta, tb, {}, { bias: wrong })).rejects.toThrow(/bias of shape \[3\]/)
    await expect(matmul(gpu, ta, tb, {}, { residual: wrong })).rejects.toThrow(/residual of shape \[3\]/)
    release(gpu, ta, tb, wrong)
  })
})
