import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { reduceRef } from './reduce.ts'
import { adversarialF32, bitsOf } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

/** Values of moderate range, as training tensors hold: |x| in [2^-20, 2^20), random signs. */
function moderate(n: number, seed: number): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from(
    { length: n },
    () => (next() % 2 ? 1 : -1) * (1 + next() / 2 ** 32) * 2 ** ((next() % 41) - 20),
  )
}

// The float64 oracle: a plain loop in double precision, independent of the fixed-point code.
function rows64(x: Float32Array, rows: number, n: number, f: (xs: number[]) => number): number[] {
  return Array.from({ length: rows }, (_, r) => f(Array.from(x.subarray(r * n, (r + 1) * n))))
}
const sum64 = (xs: number[]) => xs.reduce((s, v) => s + v, 0)

describe('reduceRef against float64', () => {
  it('sums rows to within half an f32 ulp plus float64 rounding', () => {
    const [rows, n] = [40, 3001]
    const x = moderate(rows * n, 1)
    const got = reduceRef(x, [rows, n], 'sum')
    for (let r = 0; r < rows; r++) {
      const xs = Array.from(x.subarray(r * n, (r + 1) * n))
      const s = sum64(xs)
      // Ours is the correctly rounded exact sum (half an ulp, <= |sum|·2^-24); the float64 loop
      // itself errs by at most n·2^-53·Σ|x|.
      const err64 = n * 2 ** -53 * xs.reduce((a, v) => a + Math.abs(v), 0)
      expect(Math.abs(got[r] - s)).toBeLessThanOrEqual(Math.abs(s) * 2 ** -24 + 2 * err64)
    }
  })

  it('gives means that are the float64 mean rounded to f32 when the float64 sum is exact', () => {
    // Small integers over 8: float64 sums them exactly and the sum (< 2^24 eighths) is an f32, so
    // fround(sum / n) is correctly rounded (double rounding is harmless as 53 >= 2·24 + 2).
    const next = mulberry32(2)
    const [rows, n] = [50, 777]
    const x = Float32Array.from({ length: rows * n }, () => ((next() % 2001) - 1000) / 8)
    const got = reduceRef(x, [rows, n], 'mean')
    rows64(x, rows, n, (xs) => Math.fround(sum64(xs) / n)).forEach((m, r) => expect(got[r]).toBe(m))
  })

  it('takes maxima like Math.max, +0 above -0, NaN for any NaN', () => {
    const [rows, n] = [30, 100]
    const x = adversarialF32(rows * n, 3)
    const got = reduceRef(x, [rows, n], 'max')
    rows64(x, rows, n, (xs) => Math.max(...xs)).forEach((m, r) => expect(Object.is(got[r], m)).toBe(true))
    expect(reduceRef(new Float32Array([-0, 0, -0]), [1, 3], 'max')[0]).toBe(0)
    expect(Object.is(reduceRef(new Float32Array([-0, -0]), [1, 2], 'max')[0], -0)).toBe(true)
    expect(bitsOf(reduceRef(new Float32Array([1, NaN]), [1, 2], 'max')[0])).toBe(0x7fc00000)
  })

  it('reduces columns as the rows of the transpose', () => {
    const [rows, n] = [33, 17]
    const x = adversarialF32(rows * n, 4, { nonFinite: true })
    const t = new Float32Array(rows * n)
    for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) t[j * rows + i] = x[i * n + j]
    for (const op of ['sum', 'mean', 'max'] as const) {
      expect(reduceRef(x, [rows, n], op, { axis: 0 })).toEqual(reduceRef(t, [n, rows], op))
      expect(reduceRef(x, [rows, n], op, 0)).toEqual(reduceRef(t, [n, rows], op, 1))
    }
  })

  it('rejects bad shapes with a ShapeError', () => {
    expect(() => reduceRef(new Float32Array(4), [4], 'sum')).toThrow(ShapeError)
    expect(() => reduceRef(new Float32Array(0), [3, 0], 'mean')).toThrow(/empty axis/)
    expect(() => reduceRef(new Float32Array(5), [2, 3], 'sum')).toThrow(/needs 6 values; got 5/)
    expect(() => reduceRef(new Float32Array(6), [2, 3], 'sum', { axis: 2 as 0 })).toThrow(
      /axis must be 0 or 1/,
    )
  })
})
