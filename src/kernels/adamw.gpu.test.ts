import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { mulberry32 } from '../util/random.ts'
import { adamw, adamwRef, clipScale, globalGradNorm, globalGradNormRef, type AdamWOptions } from './adamw.ts'
import { adversarialF32, bitsOf, expectBitsEqual } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

async function get(t: GpuTensor): Promise<Float32Array> {
  return (await downloadF32(gpu, t)).slice()
}

/** Optimizer state as training holds it: m small and signed, v >= 0, p and g of moderate size. */
function realistic(n: number, seed: number) {
  const next = mulberry32(seed)
  const r = (scale: number) => Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * scale)
  return { p: r(2), grad: r(0.1), m: r(0.01), v: r(1e-4).map(Math.abs) }
}

function adversarial(n: number, seed: number) {
  const nonFinite = { nonFinite: true }
  return {
    p: adversarialF32(n, seed),
    grad: adversarialF32(n, seed + 1, nonFinite),
    m: adversarialF32(n, seed + 2),
    v: adversarialF32(n, seed + 3, nonFinite).map(Math.abs),
  }
}

type State = Record<'p' | 'grad' | 'm' | 'v', Float32Array>

async function onGpu(s: State, options: AdamWOptions) {
  const t = { p: upload(gpu, s.p), grad: upload(gpu, s.grad), m: upload(gpu, s.m), v: upload(gpu, s.v) }
  await adamw(gpu, t.p, t.grad, t.m, t.v, options)
  const out = { p: await get(t.p), m: await get(t.m), v: await get(t.v) }
  release(gpu, t.p, t.grad, t.m, t.v)
  return out
}

function expectSame(got: Record<string, Float32Array>, want: Record<string, Float32Array>, label = '') {
  for (const key of ['p', 'm', 'v']) expectBitsEqual(got[key], want[key], `${label} ${key}`)
}

const hyper = { lr: 6e-4, step: 3, weightDecay: 0.1 }

describe('adamw on the GPU', () => {
  it.each([1, 63, 64, 1000, 4099, 70000])(
    'equals the CPU reference bit for bit for %i parameters',
    async (n) => {
      for (const [label, s] of [
        ['realistic', realistic(n, n)],
        ['adversarial', adversarial(n, n)],
      ] as const) {
        const options = { ...hyper, step: 1 + (n % 7), gradScale: 0.75 }
        expectSame(await onGpu(s, options), adamwRef(s.p, s.grad, s.m, s.v, options), label)
      }
    },
  )

  it('gives the same bits for any workgroup size', async () => {
    const s = adversarial(1001, 5)
    const want = adamwRef(s.p, s.grad, s.m, s.v, hyper)
    for (const wg of [1, 7, 64, 100, 256])
      expectSame(await onGpu(s, { ...hyper, workgroupSize: wg }), want, `wg ${wg}`)
  })

  it('clips on the GPU exactly as clipScale does on the CPU', async () => {
    const s = realistic(3000, 8)
    const grads = [s.grad, realistic(77, 9).grad]
    const tensors = grads.map((g) => upload(gpu, g))
    const norm = await globalGradNorm(gpu, tensors)
    expectBitsEqual(await get(norm), Float32Array.of(globalGradNormRef(grads)), 'norm')
    const want = adamwRef(s.p, s.grad, s.m, s.v, {
      ...hyper,
      gradScale: clipScale(globalGradNormRef(grads), 0.5),
    })
    const t = { p: upload(gpu, s.p), m: upload(gpu, s.m), v: upload(gpu, s.v) }
    await adamw(gpu, t.p, tensors[0], t.m, t.v, { ...hyper, clip: { norm, maxNorm: 0.5 } })
    expectSame({ p: await get(t.p), m: await get(t.m), v: await get(t.v) }, want, 'clipped')
    release(gpu, norm, t.p, t.m, t.v, ...tensors)
  })

  it('rejects bad input with a ShapeError before touching the GPU', async () => {
    const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32') =>
      ({ buffer: {} as GPUBuffer, shape, dtype }) as GpuTensor
    const [p, g, m, v] = [t([4]), t([4]), t([4]), t([4])]
    await expect(adamw(gpu, p, g, m, t([5]), hyper)).rejects.toThrow(/shapes \[4\] and \[5\] differ/)
    await expect(adamw(gpu, p, g, m, t([4], 'i32'), hyper)).rejects.toThrow(/expected a f32 tensor/)
    await expect(adamw(gpu, p, g, m, m, hyper)).rejects.toThrow(/four different buffers/)
    await expect(adamw(gpu, p, g, m, v, { ...hyper, step: 0 })).rejects.toThrow(
      /step must be an integer >= 1/,
    )
    await expect(adamw(gpu, p, g, m, v, { ...hyper, lr: NaN })).rejects.toThrow(/lr must be a finite f32/)
    await expect(adamw(gpu, p, g, m, v, { ...hyper, beta2: 1 })).rejects.toThrow(/beta2 must be in/)
    const clip = { norm: t([2]), maxNorm: 1 }
    await expect(adamw(gpu, p, g, m, v, { ...hyper, clip })).rejects.toThrow(/clip.norm must hold one value/)
    await expect(
      adamw(gpu, p, g, m, v, { ...hyper, clip: { ...clip, norm: t([1]) }, gradScale: 1 }),
    ).rejects.toThrow(/gradScale or clip/)
    await expect(globalGradNorm(gpu, [t([3], 'i32')])).rejects.toThrow(/expected a f32 tensor/)
  })
})

describe('globalGradNorm on the GPU', () => {
  async function norm(grads: Float32Array[], workgroupSize?: number) {
    const tensors = grads.map((g) => upload(gpu, g))
    const out = await globalGradNorm(gpu, tensors, { workgroupSize })
    const value = await get(out)
    release(gpu, out, ...tensors)
    return value
  }

  it('equals the reference over odd-sized tensors, at any magnitude, for any workgroup size', async () => {
    const sets = [
      [realistic(1, 1).grad],
      [realistic(70000, 2).grad, realistic(3, 3).grad, new Float32Array(0), realistic(1000, 4).grad],
      [adversarialF32(5000, 5), adversarialF32(64, 6)],
      [Float32Array.of(3e38, -3e38, 1e-45)],
      [Float32Array.of(1e-45, -2e-45)],
      [],
    ]
    for (const [i, grads] of sets.entries()) {
      const want = Float32Array.of(globalGradNormRef(grads))
      for (const wg of [1, 64, 256]) expectBitsEqual(await norm(grads, wg), want, `set ${i}, wg ${wg}`)
    }
  })

  it('does not depend on how the gradients are split into tensors or ordered', async () => {
    const all = adversarialF32(9000, 7)
    const want = await norm([all])
    expectBitsEqual(await norm([all.slice(5000), all.slice(0, 1234), all.slice(1234, 5000)], 7), want)
  })

  it('gives NaN for any NaN and +Inf for an infinity of either sign', async () => {
    expect(bitsOf((await norm([Float32Array.of(1, NaN), Float32Array.of(-Infinity)]))[0])).toBe(0x7fc00000)
    expect((await norm([Float32Array.of(1, 2), Float32Array.of(-Infinity)]))[0]).toBe(Infinity)
  })
})
