// The weighted cross-entropy (GRPO's loss): Σ_r w_r·loss_r summed exactly and its gradient
// (softmax − onehot)·w_r, against float64 and hand cases (zero and negative weights), and the exact
// relation to the unweighted mean when every weight is 1/rows with rows a power of two.
import { describe, expect, it } from 'vitest'
import {
  crossEntropyBackwardRef,
  crossEntropyRef,
  crossEntropyWeightedBackwardRef,
  crossEntropyWeightedRef,
} from './cross_entropy.ts'
import { bitsOf, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

function uniform(n: number, seed: number, scale: number): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * scale)
}
function targetsOf(rows: number, vocab: number, seed: number): Int32Array {
  const next = mulberry32(seed)
  return Int32Array.from({ length: rows }, () => next() % vocab)
}
function row64(row: ArrayLike<number>, target: number) {
  const xs = Array.from(row)
  const m = Math.max(...xs)
  const s = xs.reduce((a, v) => a + Math.exp(v - m), 0)
  return { loss: Math.log(s) - (xs[target] - m), probs: xs.map((v) => Math.exp(v - m) / s) }
}

describe('crossEntropyWeightedRef', () => {
  const [rows, vocab] = [32, 257]
  const x = uniform(rows * vocab, 1, 16)
  const t = targetsOf(rows, vocab, 2)
  const w = uniform(rows, 3, 2) // both signs
  w[0] = 0
  w[1] = -0.75

  it('sums w_r·loss_r to within a few f32 roundings of float64', () => {
    const { losses, sum } = crossEntropyWeightedRef(x, [rows, vocab], t, w)
    let sum64 = 0
    let scale = 0
    for (let r = 0; r < rows; r++) {
      const { loss } = row64(x.subarray(r * vocab, (r + 1) * vocab), t[r])
      sum64 += w[r] * loss
      scale += Math.abs(w[r] * loss)
      // The plain loss (a few ulp, cross_entropy.test.ts) times w, rounded once more.
      expect(Math.abs(losses[r] - w[r] * loss)).toBeLessThanOrEqual(Math.abs(w[r]) * (loss + 1) * 2 ** -20)
    }
    // Products within a few ulp each; the exact sum adds one rounding of the total.
    expect(Math.abs(sum - sum64)).toBeLessThanOrEqual(scale * 2 ** -20 + Math.abs(sum64) * 2 ** -23)
  })

  it('gives (softmax − onehot)·w_r: a zero weight zeroes the row, a negative one flips it', () => {
    const g = crossEntropyWeightedBackwardRef(x, [rows, vocab], t, w)
    for (let r = 0; r < rows; r++) {
      const { probs } = row64(x.subarray(r * vocab, (r + 1) * vocab), t[r])
      probs.forEach((p, k) => {
        const want = (p - (k === t[r] ? 1 : 0)) * w[r]
        // p within 4 ulp (softmax), then the subtraction and the multiply round once each.
        const tol = Math.abs(w[r]) * (p * 2 ** -21 + Math.abs(want / w[r] || 0) * 2 ** -22) + 2 ** -148
        expect(Math.abs(g[r * vocab + k] - want), `${r},${k}`).toBeLessThanOrEqual(tol)
      })
    }
    expect(g.subarray(0, vocab).every((v) => v === 0)).toBe(true)
    expect(g[vocab + t[1]]).toBeGreaterThan(0) // -0.75 · (p − 1) > 0
  })

  it('matches a float64 finite difference of the weighted sum', () => {
    const [r3, v3] = [3, 7]
    const xs = uniform(r3 * v3, 5, 8)
    const ts = targetsOf(r3, v3, 6)
    const ws = Float32Array.of(0.5, 0, -2)
    const g = crossEntropyWeightedBackwardRef(xs, [r3, v3], ts, ws)
    const f = (v: Float64Array) =>
      Array.from(
        { length: r3 },
        (_, r) => ws[r] * row64(v.subarray(r * v3, (r + 1) * v3), ts[r]).loss,
      ).reduce((a, b) => a + b)
    const h = 1e-6
    for (let i = 0; i < r3 * v3; i++) {
      const [up, down] = [Float64Array.from(xs), Float64Array.from(xs)]
      up[i] += h
      down[i] -= h
      expect(Math.abs(g[i] - (f(up) - f(down)) / (2 * h))).toBeLessThan(2e-6)
    }
  })

  it('hand case: two rows of uniform logits over 4 tokens', () => {
    // Each loss is log 4 (rounded once by sf.log); w = (2, -1) gives log 4 exactly once over.
    const { losses, sum } = crossEntropyWeightedRef(
      new Float32Array(8),
      [2, 4],
      Int32Array.of(1, 3),
      Float32Array.of(2, -1),
    )
    const log4 = crossEntropyRef(new Float32Array(4), [1, 4], Int32Array.of(0)).losses[0]
    expect(Math.abs(log4 - Math.log(4))).toBeLessThan(2 ** -22)
    expect([...losses]).toEqual([2 * log4, -log4])
    expect(sum).toBe(log4)
    const g = crossEntropyWeightedBackwardRef(
      new Float32Array(8),
      [2, 4],
      Int32Array.of(1, 3),
      Float32Array.of(2, -1),
    )
    expect([...g]).toEqual([0.5, -1.5, 0.5, 0.5, -0.25, -0.25, -0.25, 0.75])
  })

  it('with every weight 1/rows (a power of two) gives the mean loss and its gradient bit for bit', () => {
    const ws = new Float32Array(rows).fill(1 / rows)
    const { sum } = crossEntropyWeightedRef(x, [rows, vocab], t, ws)
    expect(bitsOf(sum)).toBe(bitsOf(crossEntropyRef(x, [rows, vocab], t).mean))
    expectBitsEqual(
      crossEntropyWeightedBackwardRef(x, [rows, vocab], t, ws),
      crossEntropyBackwardRef(x, [rows, vocab], t),
    )
  })

  it('a NaN logit makes its row NaN even at weight 0; bad weights are refused by name', () => {
    const xs = Float32Array.of(0, NaN, 1, 1, 2, 3)
    const { losses, sum } = crossEntropyWeightedRef(xs, [2, 3], Int32Array.of(0, 1), Float32Array.of(0, 1))
    expect(bitsOf(losses[0])).toBe(0x7fc00000)
    expect(bitsOf(sum)).toBe(0x7fc00000)
    const ok = [new Float32Array(6), [2, 3], Int32Array.of(0, 1)] as const
    expect(() => crossEntropyWeightedRef(...ok, Float32Array.of(1))).toThrow(/2 rows of logits but 1 weights/)
    expect(() => crossEntropyWeightedRef(...ok, Float32Array.of(1, NaN))).toThrow(
      /weight NaN of row 1 is not finite/,
    )
    expect(() => crossEntropyWeightedBackwardRef(...ok, Float32Array.of(Infinity, 0))).toThrow(/not finite/)
    expect(() => crossEntropyWeightedRef(...ok, [1, 1] as never)).toThrow(/must be a Float32Array/)
  })
})
