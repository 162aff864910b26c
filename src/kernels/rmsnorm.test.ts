import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { mulberry32 } from '../util/random.ts'
import { rmsnormBackwardRef, rmsnormRef } from './rmsnorm.ts'
import { adversarialF32, bitsOf } from './testing.ts'

// The float64 oracle: the textbook formulas in double precision on the same f32 inputs. u is the
// f32 unit roundoff.
const u = 2 ** -24
const EPS = Math.fround(1e-5)

function rms64(x: ArrayLike<number>, gamma: ArrayLike<number>, n: number, r: number) {
  const xs = Array.from({ length: n }, (_, k) => x[r * n + k])
  const rms = Math.sqrt(xs.reduce((a, v) => a + v * v, 0) / n + EPS)
  const xhat = xs.map((v) => v / rms)
  return { rms, xhat, y: xhat.map((h, k) => h * gamma[k]) }
}

/** Rows of scale 2^[-6, 6] with random signs, as activations. */
function activations(rows: number, n: number, seed: number): Float32Array {
  const next = mulberry32(seed)
  const x = new Float32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const scale = 2 ** ((next() % 13) - 6)
    for (let k = 0; k < n; k++) x[r * n + k] = (next() / 2 ** 32 - 0.5) * scale
  }
  return x
}

function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * (next() / 2 ** 32))
}

/**
 * The worst |y - y64| in units of u·|y64|: rms carries ~2.5u (squares, the exact mean rounded once,
 * + eps, sqrt), then one division and one multiplication. Subnormal outputs are skipped: their
 * absolute ulp is 2^-149 whatever their size.
 */
function forwardError(x: Float32Array, gamma: Float32Array, rows: number, n: number): number {
  const got = rmsnormRef(x, gamma, [rows, n])
  let worst = 0
  for (let r = 0; r < rows; r++) {
    const want = rms64(x, gamma, n, r)
    expect(Math.abs(got.rms[r] - want.rms)).toBeLessThanOrEqual(2.5 * u * want.rms)
    for (let k = 0; k < n; k++) {
      if (Math.abs(want.y[k]) < 2 ** -126) continue
      worst = Math.max(worst, Math.abs(got.y[r * n + k] - want.y[k]) / (u * Math.abs(want.y[k])))
    }
  }
  return worst
}

describe('rmsnormRef against float64', () => {
  it('normalises activation-like rows to within a few roundings, relative', () => {
    // rms (~2.5u) then one division and one multiplication: below 5u relative per element.
    expect(forwardError(activations(40, 768, 1), uniform(768, 2, 0.5, 1.5), 40, 768)).toBeLessThan(5)
    expect(forwardError(activations(200, 5, 3), uniform(5, 4, 0.5, 1.5), 200, 5)).toBeLessThan(5)
  })

  it('stays as accurate on adversarial rows (any exponent, subnormals, near FLT_MAX)', () => {
    const [rows, n] = [24, 300]
    const x = new Float32Array(rows * n)
    for (let r = 0; r < rows; r++) x.set(adversarialF32(n, r + 100), r * n)
    // The power-of-two rescale keeps every square finite; float64 cannot overflow here either.
    expect(forwardError(x, uniform(n, 5, 0.5, 1.5), rows, n)).toBeLessThan(5)
  })

  it('defines special values: NaN poisons its row, +Inf gives 0 and NaN, zeros give 0', () => {
    const x = Float32Array.from([1, NaN, -Infinity, 2, 0, -0])
    const { y, rms } = rmsnormRef(x, Float32Array.from([1, -1]), [3, 2])
    expect(Array.from(y).map(bitsOf)).toEqual([0x7fc00000, 0x7fc00000, 0x7fc00000, 0x80000000, 0, 0])
    expect(rms[1]).toBe(Infinity)
    expect(rms[2]).toBe(Math.fround(Math.sqrt(EPS)))
  })

  it('rejects bad shapes with a ShapeError', () => {
    expect(() => rmsnormRef(new Float32Array(5), new Float32Array(3), [2, 3])).toThrow(/needs 6 values/)
    expect(() => rmsnormRef(new Float32Array(6), new Float32Array(2), [2, 3])).toThrow(ShapeError)
  })
})

describe('rmsnormBackwardRef against float64', () => {
  it('matches float64 finite differences for dx and dgamma', () => {
    const [rows, n] = [3, 7]
    const x = activations(rows, n, 6)
    const [gamma, w] = [uniform(n, 7, 0.5, 1.5), uniform(rows * n, 8)]
    const got = rmsnormBackwardRef(x, gamma, rmsnormRef(x, gamma, [rows, n]), w, [rows, n])
    const loss = (xs: ArrayLike<number>, g: ArrayLike<number>) => {
      let s = 0
      for (let r = 0; r < rows; r++) rms64(xs, g, n, r).y.forEach((y, k) => (s += w[r * n + k] * y))
      return s
    }
    const bump = (a: ArrayLike<number>, i: number, h: number) =>
      Float64Array.from(a, (v, j) => (j === i ? v + h : v))
    const fd = (a: ArrayLike<number>, i: number, f: (b: Float64Array) => number) => {
      const h = 1e-4 * Math.max(1e-2, Math.abs(a[i]))
      return (f(bump(a, i, h)) - f(bump(a, i, -h))) / (2 * h)
    }
    // f32 results are good to ~1e-6 relative (a few roundings), float64 central differences to
    // ~h² ≈ 1e-8: 1e-4 of the largest gradient separates both from any real error.
    const check = (got: Float32Array, want: number[]) => {
      const big = Math.max(...want.map(Math.abs))
      want.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-4 * big))
    }
    check(
      got.dx,
      Array.from(x, (_, i) => fd(x, i, (b) => loss(b, gamma))),
    )
    check(
      got.dgamma,
      Array.from(gamma, (_, i) => fd(gamma, i, (b) => loss(x, b))),
    )
  })

  it('matches the float64 analytic gradient to within a few roundings on wide rows', () => {
    const [rows, n] = [20, 768]
    const x = activations(rows, n, 9)
    const [gamma, dy] = [uniform(n, 10, 0.5, 1.5), uniform(rows * n, 11)]
    const got = rmsnormBackwardRef(x, gamma, rmsnormRef(x, gamma, [rows, n]), dy, [rows, n])
    const dgamma = new Float64Array(n)
    const dgammaScale = new Float64Array(n)
    let worst = 0
    for (let r = 0; r < rows; r++) {
      const { rms, xhat } = rms64(x, gamma, n, r)
      const g = xhat.map((_, k) => dy[r * n + k] * gamma[k])
      const c = g.reduce((s, v, k) => s + v * xhat[k], 0) / n
      // Each step is one rounding of a term bounded by (|g| + |x̂ c|) / rms, plus rms's ~2.5u.
      const scale = (Math.max(...g.map(Math.abs)) + Math.max(...xhat.map((h) => Math.abs(h * c)))) / rms
      for (let k = 0; k < n; k++) {
        const want = (g[k] - xhat[k] * c) / rms
        worst = Math.max(worst, Math.abs(got.dx[r * n + k] - want) / (u * scale))
        dgamma[k] += dy[r * n + k] * xhat[k]
        dgammaScale[k] += Math.abs(dy[r * n + k] * xhat[k])
      }
    }
    expect(worst).toBeLessThan(6)
    // Products carry x̂'s ~3.5u, then one rounding of the exact sum.
    dgamma.forEach((v, k) =>
      expect(Math.abs(got.dgamma[k] - v)).toBeLessThanOrEqual(u * (4 * dgammaScale[k] + Math.abs(v))),
    )
  })
})
