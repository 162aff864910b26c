import { describe, expect, it } from 'vitest'
import { crossEntropyBackwardRef, crossEntropyRef } from './cross_entropy.ts'
import { bitsOf } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

function logitsOf(n: number, seed: number, scale = 8): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * scale)
}
function targetsOf(rows: number, vocab: number, seed: number): Int32Array {
  const next = mulberry32(seed)
  return Int32Array.from({ length: rows }, () => next() % vocab)
}

// The float64 oracle: log-sum-exp with max subtraction, in double precision.
function row64(row: ArrayLike<number>, target: number) {
  const xs = Array.from(row)
  const m = Math.max(...xs)
  const s = xs.reduce((a, v) => a + Math.exp(v - m), 0)
  return { loss: Math.log(s) - (xs[target] - m), probs: xs.map((v) => Math.exp(v - m) / s) }
}

describe('crossEntropyRef against float64', () => {
  it('gives losses and their mean to within a few f32 roundings', () => {
    const [rows, vocab] = [64, 1001]
    const x = logitsOf(rows * vocab, 1, 30)
    const t = targetsOf(rows, vocab, 2)
    const { losses, mean } = crossEntropyRef(x, [rows, vocab], t)
    let sum64 = 0
    for (let r = 0; r < rows; r++) {
      const { loss } = row64(x.subarray(r * vocab, (r + 1) * vocab), t[r])
      sum64 += loss
      // log of the exactly summed exps (~1 ulp of log s), x[t] - max (an ulp of it, <= the loss) and
      // the last subtraction: a few ulps of the loss (measured worst: 1.03 ulp).
      const tol = (Math.abs(loss) + 1) * 2 ** -21
      expect(Math.abs(losses[r] - loss)).toBeLessThanOrEqual(tol)
    }
    expect(Math.abs(mean - sum64 / rows)).toBeLessThanOrEqual((Math.abs(sum64 / rows) + 30) * 2 ** -21)
  })

  it('gives the gradient of the mean loss: (softmax - onehot) / rows', () => {
    const [rows, vocab] = [16, 333]
    const x = logitsOf(rows * vocab, 3)
    const t = targetsOf(rows, vocab, 4)
    const g = crossEntropyBackwardRef(x, [rows, vocab], t)
    for (let r = 0; r < rows; r++) {
      const { probs } = row64(x.subarray(r * vocab, (r + 1) * vocab), t[r])
      probs.forEach((p, k) => {
        const want = (p - (k === t[r] ? 1 : 0)) / rows
        // p as in softmax (< 4 ulp), the subtraction and the division by rows round once each.
        const tol = (p * 2 ** -21 + Math.abs(want * rows) * 2 ** -23) / rows + 2 ** -148
        expect(Math.abs(g[r * vocab + k] - want)).toBeLessThanOrEqual(tol)
      })
    }
  })

  it('matches a float64 finite difference of the mean loss', () => {
    const [rows, vocab] = [3, 7]
    const x = logitsOf(rows * vocab, 5)
    const t = targetsOf(rows, vocab, 6)
    const g = crossEntropyBackwardRef(x, [rows, vocab], t)
    const mean64 = (xs: Float64Array) =>
      Array.from(
        { length: rows },
        (_, r) => row64(xs.subarray(r * vocab, (r + 1) * vocab), t[r]).loss,
      ).reduce((a, v) => a + v) / rows
    const h = 1e-6
    for (let i = 0; i < rows * vocab; i++) {
      const [up, down] = [Float64Array.from(x), Float64Array.from(x)]
      up[i] += h
      down[i] -= h
      expect(Math.abs(g[i] - (mean64(up) - mean64(down)) / (2 * h))).toBeLessThan(1e-6)
    }
  })

  it('gives NaN for a NaN logit and +Inf when the target logit is -Inf', () => {
    const { losses } = crossEntropyRef(
      Float32Array.from([0, NaN, 1, -Infinity, 2, 3]),
      [2, 3],
      new Int32Array([0, 0]),
    )
    expect(bitsOf(losses[0])).toBe(0x7fc00000)
    expect(losses[1]).toBe(Infinity)
  })

  it('rejects bad targets and shapes with a ShapeError', () => {
    const x = new Float32Array(6)
    expect(() => crossEntropyRef(x, [2, 3], new Int32Array([0, 3]))).toThrow(
      /target 3 of row 1 is outside \[0, 3\)/,
    )
    expect(() => crossEntropyRef(x, [2, 3], new Int32Array([0]))).toThrow(/2 rows of logits but 1 targets/)
    expect(() => crossEntropyRef(x, [6], new Int32Array([0]))).toThrow(/\[rows, vocab\]/)
    expect(() => crossEntropyBackwardRef(x, [3, 3], new Int32Array(3))).toThrow(/needs 9 values; got 6/)
  })
})
