import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../util/random.ts'
import { betaPower, biasCorrection, cosPi, lrSchedule } from './schedule.ts'

// The float64 oracles here (Math.cos, Math.pow) are good to ~1e-16 relative, 2^29 times finer than
// an f32 ulp, so their own last-bit differences between engines cannot move these measurements.

/** |got - want| in units of the f32 ulp at want (ulp of 2^e is 2^(e-23); subnormals: 2^-149). */
function ulps(got: number, want: number): number {
  const e = Math.max(Math.floor(Math.log2(Math.abs(want))), -126)
  return Math.abs(got - want) / 2 ** (e - 23)
}

describe('cosPi', () => {
  it('is within 1.25 ulp of float64 cos(pi x) across many periods and at the reflection points', () => {
    const next = mulberry32(1)
    const xs = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, -0.25, 1e-30, 2 ** 23 + 1, 2 ** 24, 1 / 3, 0.2499999]
    for (let i = 0; i < 20000; i++) xs.push(Math.fround((next() / 2 ** 32) * 2 ** ((next() % 12) - 4)))
    let worst = 0
    for (const x of xs.map(Math.fround)) {
      const want = Math.cos(Math.PI * x)
      const got = cosPi(x)
      // At odd multiples of 1/2 cos(pi x) is exactly 0; float64's pi·x is not, so it gives ~1e-16.
      worst = Math.max(worst, ulps(got, (2 * x) % 2 === 1 || (2 * x) % 2 === -1 ? 0 : want))
    }
    // The final rounding (0.5 ulp), plus the polynomial's own roundings: on the cosine branch
    // 1 + z·P(z) with |z·P| <= 0.31, so its few-u relative error costs up to ~0.6 ulp more.
    expect(worst).toBeLessThanOrEqual(1.25)
    expect(cosPi(0.5)).toBe(0)
    expect(cosPi(1)).toBe(-1)
    expect(cosPi(NaN)).toBeNaN()
    expect(cosPi(Infinity)).toBeNaN()
  })
})

describe('lrSchedule', () => {
  const options = { peak: 6e-4, warmup: 700, total: 19073, min: 6e-5 }
  function lr64(step: number, o: typeof options): number {
    const [peak, min] = [Math.fround(o.peak), Math.fround(o.min)]
    if (step < o.warmup) return (peak * (step + 1)) / o.warmup
    if (step >= o.total) return min
    const r = (step - o.warmup) / (o.total - o.warmup)
    return min + 0.5 * (1 + Math.cos(Math.PI * r)) * (peak - min)
  }

  it('is within 3.5 ulp of float64 at every step of several schedules', () => {
    const schedules = [
      options,
      { peak: 1e-3, warmup: 0, total: 5000, min: 0 },
      { peak: 3e-4, warmup: 2000, total: 100000, min: 3e-5 },
      { peak: 1, warmup: 3, total: 10, min: 0.1 },
    ]
    for (const o of schedules) {
      let worst = 0
      for (let step = 0; step <= o.total + 2; step++)
        worst = Math.max(worst, ulps(lrSchedule(step, o), lr64(step, o)))
      // Warmup: two roundings. Decay: h (~1.2 ulp), h² (doubles it, +0.5), peak - min and the
      // product (0.5 each), the sum (0.5); the decay term never exceeds the result.
      expect(worst, JSON.stringify(o)).toBeLessThanOrEqual(3.5)
    }
  })

  it('hits the schedule landmarks', () => {
    expect(lrSchedule(699, options)).toBe(Math.fround(6e-4))
    expect(lrSchedule(19073, options)).toBe(Math.fround(6e-5))
    expect(lrSchedule(1e6, options)).toBe(Math.fround(6e-5))
    expect(lrSchedule(0, { peak: 1, warmup: 0, total: 10, min: 0 })).toBe(1)
    expect(lrSchedule(5, { peak: 1, warmup: 0, total: 10, min: 0 })).toBeCloseTo(0.5, 6)
  })

  it('rejects bad steps and bounds', () => {
    expect(() => lrSchedule(-1, options)).toThrow(RangeError)
    expect(() => lrSchedule(1.5, options)).toThrow(/step must be an integer/)
    expect(() => lrSchedule(0, { ...options, total: 10 })).toThrow(/must be >= warmup/)
    expect(() => lrSchedule(0, { ...options, peak: NaN })).toThrow(/finite/)
  })
})

describe('betaPower and biasCorrection', () => {
  const betas = [0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 1 - 2 ** -23, 0.5, 0.123].map(Math.fround)
  const steps = [0, 1, 2, 3, 7, 10, 100, 1000, 4097, 10000, 65535, 100000, 1000000, 2 ** 24]

  it('gives beta^t within 1 ulp of float64 for t up to 2^24', () => {
    for (const beta of betas) {
      for (const t of steps) {
        const want = Math.pow(beta, t)
        if (want < 2 ** -100) continue // past the documented range (1 - beta^t is exactly 1)
        expect(ulps(betaPower(beta, t), want), `${beta}^${t}`).toBeLessThanOrEqual(1)
      }
    }
  })

  it('gives 1 - beta^t within 1 ulp of float64, where single f32 loses digits to cancellation', () => {
    let naiveWorst = 0
    for (const beta of betas) {
      let naive = 1
      for (let t = 1; t <= 3000; t++) {
        naive = Math.fround(naive * beta)
        const want = 1 - Math.pow(beta, t)
        expect(ulps(biasCorrection(beta, t), want), `1 - ${beta}^${t}`).toBeLessThanOrEqual(1)
        naiveWorst = Math.max(naiveWorst, ulps(Math.fround(1 - naive), want))
      }
      for (const t of steps.slice(7))
        expect(ulps(biasCorrection(beta, t), 1 - Math.pow(beta, t))).toBeLessThanOrEqual(1)
    }
    // The plain f32 product loop, for contrast (documented in docs/determinism-norms-optim.md).
    expect(naiveWorst).toBeGreaterThan(100)
  })

  it('handles the edges and rejects bad arguments', () => {
    expect(betaPower(0.9, 0)).toBe(1)
    expect(biasCorrection(0.9, 0)).toBe(0)
    expect(betaPower(0, 5)).toBe(0)
    expect(betaPower(1, 12345)).toBe(1)
    expect(biasCorrection(0.999, 2 ** 31 - 1)).toBe(1)
    expect(() => betaPower(0.9, -1)).toThrow(RangeError)
    expect(() => betaPower(1.5, 1)).toThrow(/beta must be in \[0, 1\]/)
    expect(() => biasCorrection(0.9, 0.5)).toThrow(/integer/)
  })
})
