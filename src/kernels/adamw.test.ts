import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { mulberry32 } from '../util/random.ts'
import { adamwRef, adamwScalars, clipScale, globalGradNormRef } from './adamw.ts'
import { binaryRef, scaleRef } from './elementwise.ts'
import { adversarialF32, bitsOf, expectBitsEqual } from './testing.ts'

// The float64 oracle: the same update in double precision from the same f32 inputs and f32
// hyperparameters, with Math.pow for the bias corrections. u is the f32 unit roundoff.
const u = 2 ** -24
const f = Math.fround

function state(n: number, seed: number) {
  const next = mulberry32(seed)
  const r = (scale: number) => Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * scale)
  // Gradients and moments spread over many scales, as real training sees them.
  const spread = (a: Float32Array) => a.map((x) => x * 2 ** ((next() % 16) - 8))
  return { p: r(2), grad: spread(r(0.1)), m: spread(r(0.01)), v: spread(r(1e-4)).map((x) => x * x) }
}

describe('adamwRef against float64', () => {
  it('updates p, m and v to within a few roundings of float64', () => {
    for (const [step, weightDecay, gradScale] of [
      [1, 0, 1],
      [10, 0.1, 0.5],
      [1000, 0.01, 1],
      [100000, 0.1, 0.25],
    ]) {
      const s = state(5000, step)
      const o = { lr: 1e-3, step, weightDecay, gradScale, beta1: 0.9, beta2: 0.95, eps: 1e-8 }
      const got = adamwRef(s.p, s.grad, s.m, s.v, o)
      const [b1, b2, lr, eps, wd] = [f(o.beta1), f(o.beta2), f(o.lr), f(o.eps), f(weightDecay)]
      const worst = { m: 0, v: 0, p: 0 }
      for (let i = 0; i < s.p.length; i++) {
        const g = s.grad[i] * gradScale
        const m = b1 * s.m[i] + (1 - b1) * g
        const v = b2 * s.v[i] + (1 - b2) * g * g
        const mHat = m / (1 - b1 ** step)
        const vHat = v / (1 - b2 ** step)
        const upd = mHat / (Math.sqrt(vHat) + eps)
        const p = s.p[i] - lr * (upd + wd * s.p[i])
        // Errors in units of u times the magnitudes of the terms each rounding acts on.
        worst.m = Math.max(
          worst.m,
          Math.abs(got.m[i] - m) / (u * (Math.abs(b1 * s.m[i]) + Math.abs((1 - b1) * g))),
        )
        worst.v = Math.max(worst.v, Math.abs(got.v[i] - v) / (u * v || 1))
        worst.p = Math.max(
          worst.p,
          Math.abs(got.p[i] - p) / (u * (Math.abs(p) + lr * (Math.abs(upd) + wd * Math.abs(s.p[i])))),
        )
      }
      // m: g·scale, two products, one sum: <= 3u of the terms (2 here since 1 - b1 is exact).
      expect(worst.m, `m, step ${step}`).toBeLessThan(3)
      // v: g, g², two products, the sum: all terms positive, so <= 4u relative.
      expect(worst.v, `v, step ${step}`).toBeLessThan(4)
      // p: m̂ and v̂ (each carrying ~3u and a bias correction good to 1 ulp), sqrt, +eps, div, the
      // decay term, sum, lr·, and the final subtraction: ~10 roundings on the update's scale.
      expect(worst.p, `p, step ${step}`).toBeLessThan(10)
    }
  })

  it('defines special values: a NaN or infinite gradient poisons its own element only', () => {
    const o = { lr: 1e-3, step: 2, weightDecay: 0.1 }
    const got = adamwRef(
      Float32Array.of(1, 1, 1, 2),
      Float32Array.of(NaN, Infinity, 0, 0),
      Float32Array.of(0, 0, 0, 0),
      Float32Array.of(0, 0, 0, 0),
      o,
    )
    expect(Array.from(got.p.slice(0, 2)).map(bitsOf)).toEqual([0x7fc00000, 0x7fc00000])
    expect(got.v[1]).toBe(Infinity)
    // A zero gradient and zero moments: only the decoupled weight decay moves p.
    expect(got.p[3]).toBe(f(2 - f(f(1e-3) * f(f(0.1) * 2))))
  })

  it('computes the scalars with softfloat bias corrections and rejects bad hyperparameters', () => {
    const s = adamwScalars({ lr: 1e-3, step: 1 })
    expect([s.bias1, s.bias2]).toEqual([f(1 - f(0.9)), f(1 - f(0.999))])
    expect(s.oneMinusBeta1).toBe(f(1 - f(0.9)))
    expect(() => adamwScalars({ lr: 1e-3, step: 0 })).toThrow(ShapeError)
    expect(() => adamwScalars({ lr: Infinity, step: 1 })).toThrow(/lr must be a finite f32/)
    expect(() => adamwScalars({ lr: 1, step: 1, beta1: -0.1 })).toThrow(/beta1 must be in \[0, 1\)/)
    expect(() =>
      adamwRef(
        new Float32Array(2),
        new Float32Array(3),
        new Float32Array(2),
        new Float32Array(2),
        s as never,
      ),
    ).toThrow(/equal lengths/)
  })
})

describe('globalGradNormRef and clipScale', () => {
  const norm64 = (grads: Float32Array[]) =>
    Math.sqrt(grads.reduce((a, g) => a + g.reduce((b, x) => b + x * x, 0), 0))
  // In units of the f32 ulp at want (2^-149 for subnormals).
  const ulps = (got: number, want: number) =>
    Math.abs(got - want) / 2 ** (Math.max(Math.floor(Math.log2(want)), -126) - 23)

  it('is within 1 ulp of float64 at any magnitude', () => {
    // Squares rounded (u/2 each, relative), an exact sum rounded once (u/2), sqrt halves that and
    // rounds once more: under 1 ulp in all. float64 squares of any f32 neither overflow nor
    // underflow, so it is a fair oracle even for the adversarial sets.
    const sets = [
      [state(10000, 1).grad, state(3, 2).grad],
      // Every exponent, but with the largest values halved in exponent so the norm stays finite.
      [adversarialF32(5000, 3), adversarialF32(7, 4)].map((g) =>
        g.map((x) => (Math.abs(x) > 2 ** 100 ? x * 2 ** -30 : x)),
      ),
      [Float32Array.of(3e38, 1e38, -1e38)],
      [Float32Array.of(1e-45, 3e-42, -1e-40)],
      [Float32Array.of(1e20, 1e-20)],
    ]
    for (const grads of sets) expect(ulps(globalGradNormRef(grads), norm64(grads))).toBeLessThanOrEqual(1)
    expect(globalGradNormRef([])).toBe(0)
    expect(globalGradNormRef([Float32Array.of(0, -0)])).toBe(0)
  })

  it('gives NaN for NaN, +Inf for either infinity, and a norm beyond FLT_MAX as +Inf', () => {
    expect(globalGradNormRef([Float32Array.of(1, NaN, Infinity)])).toBeNaN()
    expect(globalGradNormRef([Float32Array.of(1), Float32Array.of(-Infinity)])).toBe(Infinity)
    expect(globalGradNormRef([Float32Array.of(3e38, 3e38)])).toBe(Infinity) // 4.2e38 > FLT_MAX
  })

  it('scales by min(1, maxNorm / norm)', () => {
    expect(clipScale(0.5, 1)).toBe(1)
    expect(clipScale(0, 1)).toBe(1)
    expect(clipScale(4, 1)).toBe(0.25)
    expect(clipScale(3, 1)).toBe(f(1 / 3))
    expect(clipScale(Infinity, 1)).toBe(0)
    expect(clipScale(NaN, 1)).toBeNaN()
  })
})

describe('gradScale is the first operation on the gradient', () => {
  // adamwRef's g = sf.mul(grad, gradScale) comes before anything else reads grad. So scaling the gradient
  // first (scaleRef, or a mul by a broadcast scalar) and then stepping with gradScale = 1 gives the same
  // bits: mul(x, 1) = x exactly for every f32 x, and a NaN from the first mul is already canonical.
  it('scale, then adamw with gradScale 1, equals adamw with gradScale, bit for bit (p, m and v)', () => {
    const next = mulberry32(0x5ca1e)
    const scales = [1, 0, -0, 0.5, 1e-30, 1e-45, 3e38, -2, clipScale(7, 1), clipScale(1e30, 1e-3)]
    for (let i = 0; i < 40; i++) scales.push(f(((next() | 0) / 2 ** 31) * 2 ** ((next() % 64) - 32)))
    let elements = 0
    for (const [i, gradScale] of scales.entries()) {
      const n = 600
      const grad = adversarialF32(n, 100 + i, { nonFinite: true })
      const { p, m, v } = state(n, 200 + i)
      const o = { lr: 1e-3, step: 1 + (i % 7) * 100, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8 }
      const want = adamwRef(p, grad, m, v, { ...o, gradScale })
      for (const scaled of [scaleRef(grad, gradScale), binaryRef('mul', grad, Float32Array.of(gradScale))]) {
        const got = adamwRef(p, scaled, m, v, { ...o, gradScale: 1 })
        for (const k of ['p', 'm', 'v'] as const) expectBitsEqual(got[k], want[k], `scale ${gradScale} ${k}`)
      }
      elements += n
    }
    expect(elements).toBe(50 * 600)
  })
})
