import { describe, expect, it } from 'vitest'
import { concat, hexToBigInt, keccak256, numberToHex, toHex } from 'viem'
import { argmax, draw, sample, weights, type SamplingParams } from './sample.ts'

const params = (p: Partial<SamplingParams>): SamplingParams => ({
  temperature: 1,
  top_k: 0,
  top_p: 1,
  seed: 7,
  ...p,
})
const f32 = (xs: number[]) => Float32Array.from(xs)

describe('sampling in integer arithmetic', () => {
  it('greedy is an argmax with ties to the smaller id; a NaN logit is refused', () => {
    expect(argmax(f32([1, 3, 3, -Infinity]))).toBe(1)
    expect(sample(f32([0, 2, 1]), params({ temperature: 0 }), 0)).toBe(1)
    expect(() => argmax(f32([0, NaN]))).toThrow(/Logit 1 is NaN/)
  })

  it('weighs the largest logit 2^32, -inf nothing, and the rest floor(exp(z) · 2^32)', () => {
    const w = weights(f32([0, -Infinity, Math.fround(-Math.LN2), -200]), 1)
    expect(w[0]).toBe(2 ** 32)
    expect(w[1]).toBe(0)
    expect(Math.abs(w[2] - 2 ** 31)).toBeLessThan(2 ** 9) // exp(-ln 2) in binary32: within a few ulps of 1/2
    expect(w[3]).toBe(0)
  })

  it('draws from keccak256(utf8("lockstep-sample/1") ‖ uint64be(seed) ‖ uint32be(step))', () => {
    const want = keccak256(
      concat([
        toHex('lockstep-sample/1'),
        numberToHex(2n ** 40n + 5n, { size: 8 }),
        numberToHex(3, { size: 4 }),
      ]),
    )
    expect(draw(2 ** 40 + 5, 3)).toBe(hexToBigInt(want))
  })

  it('samples in proportion to the weights; top-k and top-p cut the tail', () => {
    const logits = f32([1, 2, 3, 4].map((p) => Math.fround(Math.log(p))))
    const counts = (p: SamplingParams) => {
      const c = [0, 0, 0, 0]
      for (let step = 0; step < 4000; step++) c[sample(logits, p, step)]++
      return c.map((n) => n / 4000)
    }
    counts(params({})).forEach((share, i) => expect(Math.abs(share - (i + 1) / 10)).toBeLessThan(0.03))
    const k2 = counts(params({ top_k: 2 }))
    expect(k2.slice(0, 2)).toEqual([0, 0])
    expect(Math.abs(k2[3] - 4 / 7)).toBeLessThan(0.03)
    // Cumulative shares 0.4, 0.7: top_p 0.5 keeps two tokens, 0.4 keeps one.
    expect(counts(params({ top_p: 0.5 })).slice(0, 2)).toEqual([0, 0])
    expect(counts(params({ top_p: 0.4 }))).toEqual([0, 0, 0, 1])
    // A low temperature sharpens: at 0.1 the heaviest token is 4^10 / 3^10 ≈ 18 times the next.
    expect(counts(params({ temperature: 0.1 }))[3]).toBeGreaterThan(0.9)
  })

  it('is a function of (logits, parameters, seed, step) alone', () => {
    const logits = f32(Array.from({ length: 64 }, (_, i) => Math.fround(Math.sin(i) * 3)))
    const run = (seed: number) => Array.from({ length: 32 }, (_, s) => sample(logits, params({ seed }), s))
    expect(run(1)).toEqual(run(1))
    expect(run(1)).not.toEqual(run(2))
  })

  it('refuses parameters outside the spec by name', () => {
    const bad = (p: Partial<SamplingParams>) => () => sample(f32([0, 1]), params(p), 0)
    expect(bad({ temperature: -1 })).toThrow(/temperature must be a number from 0 to 1000/)
    expect(bad({ top_p: 0 })).toThrow(/top_p must be a number in \(0, 1\]/)
    expect(bad({ top_k: 1.5 })).toThrow(/top_k must be an integer/)
    expect(bad({ seed: -1 })).toThrow(/seed must be an integer/)
    expect(bad({ temperature: 1e-50 })).toThrow(/rounds to 0 in binary32/)
  })
})
