import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { softmaxBackwardRef, softmaxRef } from './softmax.ts'
import { adversarialF32, bitsOf } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

/** Attention-like scores: |x| up to 2^(spread). */
function scores(n: number, seed: number, spread = 4): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * 2 ** (1 + (next() % (spread + 1))))
}

// The float64 oracle: textbook max-subtracted softmax in double precision.
function softmax64(row: ArrayLike<number>): number[] {
  const xs = Array.from(row)
  const m = Math.max(...xs)
  const e = xs.map((v) => Math.exp(v - m))
  const s = e.reduce((a, v) => a + v, 0)
  return e.map((v) => v / s)
}

describe('softmaxRef against float64', () => {
  it('agrees to within 4 ulp (measured worst: 2.2) for logits of any spread', () => {
    const [rows, n] = [40, 301]
    const x = scores(rows * n, 1, 6)
    const y = softmaxRef(x, [rows, n])
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * n, (r + 1) * n)
      softmax64(row).forEach((want, k) => {
        // x - max is split exactly (TwoSum), so only exp (~1 ulp), the sum's one rounding and the
        // division remain; an ulp is at most 2^-23 of the value. Subnormals: 2 ulps absolute.
        const tol = want * 2 ** -21 + 2 ** -148
        expect(Math.abs(y[r * n + k] - want)).toBeLessThanOrEqual(tol)
      })
    }
  })

  it('agrees as closely on adversarial rows: every exponent, subnormals, ±FLT_MAX', () => {
    const [rows, n] = [30, 100]
    const x = adversarialF32(rows * n, 7)
    const y = softmaxRef(x, [rows, n])
    for (let r = 0; r < rows; r++) {
      softmax64(x.subarray(r * n, (r + 1) * n)).forEach((want, k) => {
        expect(Math.abs(y[r * n + k] - want)).toBeLessThanOrEqual(want * 2 ** -21 + 2 ** -148)
      })
    }
    expect(
      Array.from(softmaxRef(Float32Array.of(3.4028234663852886e38, 0, -3.4028234663852886e38), [1, 3])),
    ).toEqual([1, 0, 0])
  })

  it('masks causally: row t of each [T, T] block is the softmax of its first t + 1 scores, then zeros', () => {
    const T = 9
    const x = scores(2 * T * T, 2)
    const y = softmaxRef(x, [2, T, T], { causal: true })
    for (let r = 0; r < 2 * T; r++) {
      const t = r % T
      const prefix = softmaxRef(x.slice(r * T, r * T + t + 1), [1, t + 1])
      expect(Array.from(y.subarray(r * T, r * T + t + 1))).toEqual(Array.from(prefix))
      for (let k = t + 1; k < T; k++) expect(bitsOf(y[r * T + k])).toBe(0)
    }
  })

  it('gives NaN rows for NaN, +Inf or all -Inf input, and ignores -Inf entries', () => {
    const I = Infinity
    const y = softmaxRef(Float32Array.from([1, NaN, 2, 0, I, 1, -I, -I, -I, -I, 0, -I]), [4, 3])
    for (let k = 0; k < 9; k++) expect(bitsOf(y[k])).toBe(0x7fc00000)
    expect(Array.from(y.subarray(9))).toEqual([0, 1, 0])
  })

  it('rejects bad shapes with a ShapeError', () => {
    expect(() => softmaxRef(new Float32Array(6), [2, 4])).toThrow(/needs 8 values; got 6/)
    expect(() => softmaxRef(new Float32Array(0), [2, 0])).toThrow(ShapeError)
    expect(() => softmaxRef(new Float32Array(12), [3, 4], { causal: true })).toThrow(/multiple of T = 4/)
  })
})

describe('softmaxBackwardRef against float64', () => {
  it('agrees to within the rounding of its products, sum, difference and product', () => {
    const [rows, n] = [20, 257]
    const y = softmaxRef(scores(rows * n, 3), [rows, n])
    const dy = adversarialF32(rows * n, 4).map((v) => (Math.abs(v) > 1e6 || Math.abs(v) < 1e-6 ? 1 / 3 : v))
    const dx = softmaxBackwardRef(y, dy, [rows, n])
    for (let r = 0; r < rows; r++) {
      const at = (k: number) => r * n + k
      let dot = 0
      let absDot = 0
      for (let k = 0; k < n; k++) {
        dot += y[at(k)] * dy[at(k)]
        absDot += Math.abs(y[at(k)] * dy[at(k)])
      }
      for (let k = 0; k < n; k++) {
        const want = y[at(k)] * (dy[at(k)] - dot)
        // Each product rounds (2^-24 relative), the sum of them is exact then rounded, then one
        // subtraction and one product: a few 2^-24 of |y|·(|dy| + Σ|y·dy|).
        const tol = Math.abs(y[at(k)]) * (Math.abs(dy[at(k)]) + absDot) * 2 ** -21 + 2 ** -148
        expect(Math.abs(dx[at(k)] - want)).toBeLessThanOrEqual(tol)
      }
    }
  })

  it('zeros masked positions in the causal backward', () => {
    const T = 5
    const y = softmaxRef(scores(T * T, 5), [T, T], { causal: true })
    const dx = softmaxBackwardRef(y, scores(T * T, 6), [T, T], { causal: true })
    for (let t = 0; t < T; t++) for (let k = t + 1; k < T; k++) expect(bitsOf(dx[t * T + k])).toBe(0)
  })
})
