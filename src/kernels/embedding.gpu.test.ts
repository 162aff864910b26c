import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import { embedding, embeddingBackward, embeddingBackwardRef, embeddingRef } from './embedding.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

function zipfIds(n: number, vocab: number, seed: number): Int32Array {
  const next = mulberry32(seed)
  return Int32Array.from({ length: n }, () => Math.floor(vocab * (next() / 2 ** 32) ** 3))
}

async function forward(table: Float32Array, shape: [number, number], ids: Int32Array) {
  const t = upload(gpu, table, shape)
  const out = await embedding(gpu, t, ids)
  const result = (await downloadF32(gpu, out)).slice()
  release(gpu, t, out)
  return result
}

async function backward(dout: Float32Array, ids: Int32Array, vocab: number, dim: number) {
  const g = upload(gpu, dout, [ids.length, dim])
  const out = await embeddingBackward(gpu, g, ids, vocab)
  const result = (await downloadF32(gpu, out)).slice()
  release(gpu, g, out)
  return result
}

const shapes: [number, number, number][] = [
  // [vocab, dim, tokens]
  [1, 1, 1],
  [1, 5, 9],
  [300, 1, 1000],
  [97, 3, 1000],
  [3, 65537, 4],
]

describe('embedding on the GPU', () => {
  it.each(shapes)('gathers rows bit for bit: vocab %i, dim %i, %i tokens', async (vocab, dim, tokens) => {
    const table = adversarialF32(vocab * dim, vocab + dim, { nonFinite: true })
    new Uint32Array(table.buffer)[0] = 0x7f800001 // NaN payloads are copied, not canonicalised
    const ids = zipfIds(tokens, vocab, tokens)
    expectBitsEqual(await forward(table, [vocab, dim], ids), embeddingRef(table, [vocab, dim], ids))
  })

  it.each(shapes)('sums gradients bit for bit: vocab %i, dim %i, %i tokens', async (vocab, dim, tokens) => {
    const ids = zipfIds(tokens, vocab, tokens + 1)
    const dout = adversarialF32(tokens * dim, dim, { nonFinite: dim === 3 })
    const want = embeddingBackwardRef(dout, [tokens, dim], ids, vocab)
    expectBitsEqual(await backward(dout, ids, vocab, dim), want)
  })

  it('gives the same gradient bits for any order of the tokens', async () => {
    const [vocab, dim, tokens] = [64, 6, 777]
    const ids = zipfIds(tokens, vocab - 8, 7) // and some ids that never occur
    const dout = adversarialF32(tokens * dim, 8)
    const want = embeddingBackwardRef(dout, [tokens, dim], ids, vocab)
    const next = mulberry32(9)
    const perm = Array.from({ length: tokens }, (_, i) => i)
    for (let i = tokens - 1; i > 0; i--) {
      const j = next() % (i + 1)
      ;[perm[i], perm[j]] = [perm[j], perm[i]]
    }
    const ids2 = Int32Array.from(perm, (t) => ids[t])
    const dout2 = new Float32Array(tokens * dim)
    perm.forEach((t, i) => dout2.set(dout.subarray(t * dim, (t + 1) * dim), i * dim))
    expectBitsEqual(await backward(dout, ids, vocab, dim), want, 'original order')
    expectBitsEqual(await backward(dout2, ids2, vocab, dim), want, 'permuted')
  })

  it('writes +0 everywhere when there are no tokens', async () => {
    const got = await backward(new Float32Array(0), new Int32Array(0), 5, 2)
    expectBitsEqual(got, new Float32Array(10))
  })

  it('rejects bad ids and shapes with a ShapeError before touching the GPU', async () => {
    const t = upload(gpu, new Float32Array(12), [4, 3])
    await expect(embedding(gpu, t, new Int32Array([1, 4]))).rejects.toThrow(/token id 4 at position 1/)
    await expect(embedding(gpu, t, new Int32Array([-2]))).rejects.toThrow(ShapeError)
    await expect(embedding(gpu, { ...t, dtype: 'i32' }, new Int32Array([0]))).rejects.toThrow(/f32/)
    await expect(embeddingBackward(gpu, t, new Int32Array([0, 1]), 9)).rejects.toThrow(/must be \[2, dim\]/)
    await expect(embeddingBackward(gpu, t, new Int32Array([0, 1, 2, 9]), 9)).rejects.toThrow(/token id 9/)
    release(gpu, t)
  })
})
