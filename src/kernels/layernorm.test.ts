import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { mulberry32 } from '../util/random.ts'
import { layernormBackwardRef, layernormRef } from './layernorm.ts'
import { adversarialF32, bitsOf } from './testing.ts'

// The float64 oracle: the textbook formulas in double precision on the same f32 inputs,
// independent of the fixed-point sums and softfloat steps. u is the f32 unit roundoff.
const u = 2 ** -24
const EPS = Math.fround(1e-5)

function ln64(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, n: number, r: number) {
  const xs = Array.from({ length: n }, (_, k) => x[r * n + k])
  const mean = xs.reduce((a, v) => a + v, 0) / n
  const variance = xs.reduce((a, v) => a + (v - mean) ** 2, 0) / n
  const sigma = Math.sqrt(variance + EPS)
  const xhat = xs.map((v) => (v - mean) / sigma)
  return { mean, sigma, xhat, y: xhat.map((h, k) => h * gamma[k] + beta[k]) }
}

/** Activation-like rows: an offset in [-8, 8] plus noise of scale 2^[lo, lo + 12]. */
function activations(rows: number, n: number, seed: number, lo = -6): Float32Array {
  const next = mulberry32(seed)
  const x = new Float32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const offset = (next() % 1601) / 100 - 8
    const scale = 2 ** ((next() % 13) + lo)
    for (let k = 0; k < n; k++) x[r * n + k] = offset + (next() / 2 ** 32 - 0.5) * scale
  }
  return x
}

function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * (next() / 2 ** 32))
}

/**
 * Forward error in units of u·(|x̂γ| + |β|). Budget: x - mean is ~1.5u relative (x - hi is exact
 * near the mean, then lo is subtracted; the rounding of the mean costs nothing), σ ~1.5u (squares,
 * var, + eps, sqrt), then div, mul and add: about 4.5u in all. Without the hi + lo mean, rows with
 * |mean| >> σ would lose u·|mean|/σ here (50000u on the offset-8, spread-2^-6 rows).
 */
function forwardError(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, n: number) {
  const got = layernormRef(x, gamma, beta, [rows, n])
  let worst = 0
  for (let r = 0; r < rows; r++) {
    const want = ln64(x, gamma, beta, n, r)
    expect(Math.abs(got.mean[r] - want.mean)).toBeLessThanOrEqual(Math.abs(want.mean) * u)
    for (let k = 0; k < n; k++) {
      const scale = Math.abs(want.xhat[k] * gamma[k]) + Math.abs(beta[k])
      worst = Math.max(worst, Math.abs(got.y[r * n + k] - want.y[k]) / (u * scale))
    }
  }
  return worst
}

describe('layernormRef against float64', () => {
  it('normalises activation-like rows to within a few roundings', () => {
    for (const [rows, n] of [
      [40, 768],
      [200, 7],
      [30, 1000],
    ]) {
      // Offsets up to 8 with spreads down to 2^-6: |mean|/σ up to ~2000.
      const e = forwardError(activations(rows, n, n), uniform(n, 1, 0.5, 1.5), uniform(n, 2), rows, n)
      expect(e).toBeLessThan(5)
    }
  })

  it('stays accurate on adversarial rows: any exponent, subnormals, values near FLT_MAX', () => {
    const [rows, n] = [24, 300]
    const x = new Float32Array(rows * n)
    for (let r = 0; r < rows; r++) x.set(adversarialF32(n, r), r * n)
    // The power-of-two rescale keeps every square finite, so float64 (which cannot overflow here)
    // agrees as closely as on ordinary rows.
    expect(forwardError(x, uniform(n, 3, 0.5, 1.5), uniform(n, 4), rows, n)).toBeLessThan(5)
  })

  it('defines special values: NaN or ±Inf poisons its row, a constant row gives beta', () => {
    const x = Float32Array.from([1, NaN, 3, Infinity, 2, 3, 5, 5, 5])
    const gamma = Float32Array.from([2, 3, 4])
    const beta = Float32Array.from([0.25, -1, 0.5])
    const { y, mean, std } = layernormRef(x, gamma, beta, [3, 3])
    for (let k = 0; k < 6; k++) expect(bitsOf(y[k])).toBe(0x7fc00000)
    expect(mean[1]).toBe(Infinity)
    expect(Array.from(y.slice(6))).toEqual([0.25, -1, 0.5])
    expect(std[2]).toBe(Math.fround(Math.sqrt(EPS)))
  })

  it('rejects bad shapes and eps with a ShapeError', () => {
    const v = new Float32Array(3)
    expect(() => layernormRef(new Float32Array(5), v, v, [2, 3])).toThrow(/needs 6 values; got 5/)
    expect(() => layernormRef(new Float32Array(6), new Float32Array(2), v, [2, 3])).toThrow(ShapeError)
    expect(() => layernormRef(new Float32Array(0), v, v, [0, 3])).toThrow(/empty/)
    expect(() => layernormRef(new Float32Array(6), v, v, [2, 3], { eps: Infinity })).toThrow(/eps/)
  })
})

describe('layernormBackwardRef against float64', () => {
  // Loss = Σ w·y, so dL/dy = w; float64 central differences of the float64 forward.
  function loss64(
    x: Float32Array | Float64Array,
    g: ArrayLike<number>,
    b: ArrayLike<number>,
    w: Float32Array,
  ) {
    const n = g.length
    let s = 0
    for (let r = 0; r < x.length / n; r++) ln64(x, g, b, n, r).y.forEach((y, k) => (s += w[r * n + k] * y))
    return s
  }

  it('matches float64 finite differences for dx, dgamma and dbeta', () => {
    // Well-conditioned rows (spread >= 1/2 against offsets <= 8): here the f32 results are good to
    // ~1e-6 relative, and float64 central differences to ~h² ≈ 1e-8; 1e-4 of the largest gradient
    // separates both from any real error.
    const [rows, n] = [3, 7]
    const x = activations(rows, n, 5, -1)
    const [gamma, beta, w] = [uniform(n, 6, 0.5, 1.5), uniform(n, 7), uniform(rows * n, 8)]
    const fwd = layernormRef(x, gamma, beta, [rows, n])
    const got = layernormBackwardRef(x, gamma, fwd, w, [rows, n])
    const fd = (f: (h: number) => number, scale: number) => {
      const h = 1e-4 * scale
      return (f(h) - f(-h)) / (2 * h)
    }
    const bump = (a: ArrayLike<number>, i: number, h: number) =>
      Float64Array.from(a, (v, j) => (j === i ? v + h : v))
    const check = (got: Float32Array, want: number[]) => {
      const big = Math.max(...want.map(Math.abs))
      want.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-4 * big))
    }
    check(
      got.dx,
      Array.from(x, (v, i) => fd((h) => loss64(bump(x, i, h), gamma, beta, w), Math.max(1e-2, Math.abs(v)))),
    )
    check(
      got.dgamma,
      Array.from(gamma, (_, i) => fd((h) => loss64(x, bump(gamma, i, h), beta, w), 1)),
    )
    check(
      got.dbeta,
      Array.from(beta, (_, i) => fd((h) => loss64(x, gamma, bump(beta, i, h), w), 1)),
    )
  })

  it('matches the float64 analytic gradient to within a few roundings on wide rows', () => {
    const [rows, n] = [20, 768]
    const x = activations(rows, n, 9)
    const [gamma, beta, dy] = [uniform(n, 10, 0.5, 1.5), uniform(n, 11), uniform(rows * n, 12)]
    const got = layernormBackwardRef(x, gamma, layernormRef(x, gamma, beta, [rows, n]), dy, [rows, n])
    const dgamma = new Float64Array(n)
    const dbeta = new Float64Array(n)
    const dgammaTol = new Float64Array(n)
    let worst = 0
    for (let r = 0; r < rows; r++) {
      const { sigma, xhat } = ln64(x, gamma, beta, n, r)
      const g = xhat.map((_, k) => dy[r * n + k] * gamma[k])
      const a = g.reduce((s, v) => s + v, 0) / n
      const b = g.reduce((s, v, k) => s + v * xhat[k], 0) / n
      // Every error source (x̂ with its ~4u as in the forward, g, the two means, sub, sub, mul and
      // div) is a few roundings of a term no larger than (max|g| + |a| + max|x̂|·|b|) / σ.
      const xmax = Math.max(...xhat.map(Math.abs))
      const scale = (Math.max(...g.map(Math.abs)) + Math.abs(a) + xmax * Math.abs(b)) / sigma
      for (let k = 0; k < n; k++) {
        const want = (g[k] - a - xhat[k] * b) / sigma
        worst = Math.max(worst, Math.abs(got.dx[r * n + k] - want) / (u * scale))
        dgamma[k] += dy[r * n + k] * xhat[k]
        dbeta[k] += dy[r * n + k]
        // Each product dy·x̂ carries x̂'s error (as in the forward) plus its own rounding.
        dgammaTol[k] += Math.abs(dy[r * n + k] * xhat[k]) * u * 5
      }
    }
    expect(worst).toBeLessThan(8)
    for (let k = 0; k < n; k++) {
      // dbeta: an exact sum rounded once (float64 sums these 20 terms with error far below that).
      expect(Math.abs(got.dbeta[k] - dbeta[k])).toBeLessThanOrEqual(Math.abs(dbeta[k]) * u * 1.01)
      // dgamma: the terms' errors plus the final rounding of an otherwise exact sum.
      expect(Math.abs(got.dgamma[k] - dgamma[k])).toBeLessThanOrEqual(dgammaTol[k] + Math.abs(dgamma[k]) * u)
    }
  })
})
