import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { bucketIds, embeddingBackwardRef, embeddingRef } from './embedding.ts'
import { adversarialF32, bitsOf } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

/** Token ids with a few very common ones, as text has. */
function zipfIds(n: number, vocab: number, seed: number): Int32Array {
  const next = mulberry32(seed)
  return Int32Array.from({ length: n }, () => Math.floor(vocab * (next() / 2 ** 32) ** 3))
}

describe('embeddingRef', () => {
  it('copies table rows bit for bit, NaN payloads included', () => {
    const [vocab, dim] = [50, 7]
    const table = adversarialF32(vocab * dim, 1, { nonFinite: true })
    new Uint32Array(table.buffer)[5] = 0x7f800001 // a signalling-NaN payload must survive the copy
    const ids = zipfIds(300, vocab, 2)
    const out = new Uint32Array(embeddingRef(table, [vocab, dim], ids).buffer)
    const tbits = new Uint32Array(table.buffer)
    ids.forEach((id, t) => {
      for (let c = 0; c < dim; c++) expect(out[t * dim + c]).toBe(tbits[id * dim + c])
    })
  })

  it('rejects out-of-range ids, naming the first, and bad shapes', () => {
    const table = new Float32Array(12)
    expect(() => embeddingRef(table, [4, 3], new Int32Array([0, 3, 4, -1]))).toThrow(
      /token id 4 at position 2 is outside the vocabulary \[0, 4\)/,
    )
    expect(() => embeddingRef(table, [4, 3], new Int32Array([-1]))).toThrow(ShapeError)
    expect(() => embeddingRef(table, [12], new Int32Array([0]))).toThrow(/\[vocab, dim\]/)
    expect(() => embeddingRef(table, [4, 3], [0] as unknown as Int32Array)).toThrow(/Int32Array/)
  })
})

describe('embeddingBackwardRef', () => {
  it('sums each id’s gradient rows like float64 does, within the f32 rounding', () => {
    const [vocab, dim, tokens] = [40, 5, 2000]
    const ids = zipfIds(tokens, vocab, 3)
    const next = mulberry32(4)
    const dout = Float32Array.from(
      { length: tokens * dim },
      () => (next() / 2 ** 32 - 0.5) * 2 ** ((next() % 21) - 10),
    )
    const got = embeddingBackwardRef(dout, [tokens, dim], ids, vocab)
    const s64 = new Float64Array(vocab * dim)
    const abs64 = new Float64Array(vocab * dim)
    ids.forEach((id, t) => {
      for (let c = 0; c < dim; c++) {
        s64[id * dim + c] += dout[t * dim + c]
        abs64[id * dim + c] += Math.abs(dout[t * dim + c])
      }
    })
    for (let i = 0; i < vocab * dim; i++) {
      // Correctly rounded (half an ulp) vs a float64 loop that errs by <= tokens·2^-53·Σ|x|.
      const tol = Math.abs(s64[i]) * 2 ** -24 + 2 * tokens * 2 ** -53 * abs64[i]
      expect(Math.abs(got[i] - s64[i])).toBeLessThanOrEqual(tol)
    }
  })

  it('gives +0 to unused ids and ignores the order of tokens', () => {
    const [vocab, dim, tokens] = [30, 3, 500]
    const ids = zipfIds(tokens, vocab - 10, 5) // ids 20..29 never occur
    const dout = adversarialF32(tokens * dim, 6, { nonFinite: true })
    const got = embeddingBackwardRef(dout, [tokens, dim], ids, vocab)
    const unused = Array.from({ length: vocab }, (_, v) => v).filter((v) => !ids.includes(v))
    expect(unused.length).toBeGreaterThan(0)
    for (const v of unused) for (let c = 0; c < dim; c++) expect(bitsOf(got[v * dim + c])).toBe(0)
    const perm = Array.from({ length: tokens }, (_, t) => tokens - 1 - t)
    const ids2 = Int32Array.from(perm, (t) => ids[t])
    const dout2 = new Float32Array(tokens * dim)
    perm.forEach((t, i) => dout2.set(dout.subarray(t * dim, (t + 1) * dim), i * dim))
    expect(new Uint32Array(embeddingBackwardRef(dout2, [tokens, dim], ids2, vocab).buffer)).toEqual(
      new Uint32Array(got.buffer),
    )
  })

  it('buckets token positions by id', () => {
    const { offsets, order } = bucketIds(new Int32Array([2, 0, 2, 1, 2]), 4)
    expect([...offsets]).toEqual([0, 1, 2, 5, 5])
    expect([...order]).toEqual([1, 3, 0, 2, 4])
  })

  it('rejects mismatched shapes and bad ids', () => {
    const ids = new Int32Array([0, 1])
    expect(() => embeddingBackwardRef(new Float32Array(6), [3, 2], ids, 2)).toThrow(/must be \[2, dim\]/)
    expect(() => embeddingBackwardRef(new Float32Array(5), [2, 3], ids, 2)).toThrow(/5 values, not 6/)
    expect(() => embeddingBackwardRef(new Float32Array(4), [2, 2], ids, 1)).toThrow(
      /token id 1 at position 1/,
    )
    expect(() => embeddingBackwardRef(new Float32Array(4), [2, 2], ids, 0)).toThrow(/vocab must be >= 1/)
  })
})
