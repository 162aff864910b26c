// erf, sin and cos (special.ts) against float64 oracles, with the tolerances docs/onnx.md states:
// erf within 3 ulp of its value, sin and cos within 4 ulp of theirs on |x| < 51471 (measured: 2.3, 3.1),
// NaN beyond; and the exact cases (odd symmetry, signed zeros, saturation).
import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../util/random.ts'
import * as sp from './special.ts'

/** erf in double: the series below 2.5 (positive terms), the continued fraction of erfc above. */
function erf64(x: number): number {
  const z = Math.abs(x)
  let r: number
  if (z < 2.5) {
    let term = z
    let sum = z
    for (let n = 1; term > sum * 1e-18; n++) sum += term *= (2 * z * z) / (2 * n + 1)
    r = (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum
  } else {
    let f = z
    for (let n = 200; n >= 1; n--) f = z + n / 2 / f
    r = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f
  }
  return x < 0 ? -r : r
}

/** |got - exact| in ulps of the f32 spacing at |exact| (subnormal spacing below 2^-126). */
function ulps(got: number, exact: number): number {
  const e = Math.max(Math.floor(Math.log2(Math.abs(exact) || 2 ** -149)), -126)
  return Math.abs(got - exact) / 2 ** (e - 23)
}

function worst(f: (x: number) => number, exact: (x: number) => number, lo: number, hi: number, n: number) {
  const next = mulberry32(n + Math.round(hi))
  let max = 0
  for (let i = 0; i < n; i++) {
    const x = Math.fround(lo + ((hi - lo) * next()) / 2 ** 32)
    max = Math.max(max, ulps(f(x), exact(x)))
  }
  return max
}

describe('erf, sin, cos in softfloat', () => {
  it('erf is within 3 ulp of float64 erf, odd, and saturates to ±1 from 4 on', () => {
    expect(worst(sp.erf, erf64, -5, 5, 50_000)).toBeLessThan(3)
    expect(worst(sp.erf, erf64, -0.6, 0.6, 20_000)).toBeLessThan(3)
    expect(worst(sp.erf, erf64, -1e-3, 1e-3, 5_000)).toBeLessThan(3)
    for (const x of [0.1, 0.7, 1.5, 3.3]) expect(sp.erf(-Math.fround(x))).toBe(-sp.erf(Math.fround(x)))
    expect(Object.is(sp.erf(-0), -0)).toBe(true)
    expect([sp.erf(4), sp.erf(-1e30), sp.erf(Infinity), sp.erf(NaN)]).toEqual([1, -1, 1, NaN])
  })

  it('sin and cos are within 4 ulp of Math.sin and Math.cos on |x| < 51471, NaN from there on', () => {
    for (const [lo, hi] of [
      [-1, 1],
      [-10, 10],
      [-51470, 51470],
    ]) {
      expect(worst(sp.sin, Math.sin, lo, hi, 50_000), `sin on [${lo}, ${hi}]`).toBeLessThan(4)
      expect(worst(sp.cos, Math.cos, lo, hi, 50_000), `cos on [${lo}, ${hi}]`).toBeLessThan(4)
    }
    expect(Object.is(sp.sin(-0), -0)).toBe(true)
    expect([sp.cos(0), sp.sin(sp.TRIG_LIMIT), sp.cos(-sp.TRIG_LIMIT), sp.sin(Infinity), sp.cos(NaN)]).toEqual(
      [1, NaN, NaN, NaN, NaN],
    )
  })
})
