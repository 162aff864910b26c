import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { decode, encode, sampleBatch, splitCorpus } from './data.ts'
import { KJV_PENTATEUCH, corpusPath, describeCorpus, receiptData, splitBy } from './corpus.ts'
import { kjvBytes as corpus } from './testing.ts'

const meta = JSON.parse(readFileSync(`public/${corpusPath(KJV_PENTATEUCH).replace(/txt$/, 'json')}`, 'utf8'))

describe('the shipped corpus', () => {
  it('matches its recorded size and hash', () => {
    expect(corpus.length).toBe(meta.bytes)
    expect(createHash('sha256').update(corpus).digest('hex')).toBe(meta.sha256)
  })

  it('is the one its descriptor names, and receipts state the descriptor', async () => {
    expect(KJV_PENTATEUCH.name).toBe(meta.name)
    expect(KJV_PENTATEUCH.sha256).toBe(meta.sha256)
    expect(await describeCorpus(meta.name, corpus)).toEqual(KJV_PENTATEUCH)
    expect(receiptData(KJV_PENTATEUCH)).toEqual({ ...KJV_PENTATEUCH, split: 'train' })
  })
})

describe('tokenizer', () => {
  it('round-trips text byte for byte', () => {
    const text = 'In the beginning — “quoted” ☃\n'
    expect(decode(encode(text))).toBe(text)
    expect(Math.max(...encode(text))).toBeLessThan(256)
  })
})

describe('splitCorpus', () => {
  it('holds out about the last tenth, cut at a line start, with nothing lost', () => {
    const { train, val } = splitBy(KJV_PENTATEUCH, corpus)
    expect(train.length + val.length).toBe(corpus.length)
    expect(val.length / corpus.length).toBeGreaterThan(0.09)
    expect(val.length / corpus.length).toBeLessThan(0.11)
    expect(train[train.length - 1]).toBe(10)
  })
})

describe('sampleBatch', () => {
  const { train } = splitCorpus(corpus, KJV_PENTATEUCH.valFraction)
  it('is a pure function of (data, seed, step): same batch twice, different steps differ', () => {
    const a = sampleBatch(train, { seed: 7, step: 3, batch: 4, seqLen: 32 })
    const b = sampleBatch(train, { seed: 7, step: 3, batch: 4, seqLen: 32 })
    expect(a).toEqual(b)
    expect(sampleBatch(train, { seed: 7, step: 4, batch: 4, seqLen: 32 }).offsets).not.toEqual(a.offsets)
    expect(sampleBatch(train, { seed: 8, step: 3, batch: 4, seqLen: 32 }).offsets).not.toEqual(a.offsets)
  })

  it('targets are the inputs shifted by one, from the recorded offsets', () => {
    const { inputs, targets, offsets } = sampleBatch(train, { seed: 1, step: 0, batch: 3, seqLen: 16 })
    for (let r = 0; r < 3; r++) {
      for (let t = 0; t < 16; t++) {
        expect(inputs[r * 16 + t]).toBe(train[offsets[r] + t])
        expect(targets[r * 16 + t]).toBe(train[offsets[r] + t + 1])
      }
    }
  })

  it('covers the data roughly uniformly', () => {
    const buckets = new Array(10).fill(0)
    for (let step = 0; step < 500; step++) {
      const { offsets } = sampleBatch(train, { seed: 2, step, batch: 8, seqLen: 64 })
      for (const o of offsets) buckets[Math.floor((o / train.length) * 10)]++
    }
    for (const n of buckets) expect(n).toBeGreaterThan(300) // 400 expected per bucket
  })

  it('rejects bad specs with a clear message', () => {
    expect(() => sampleBatch(train, { seed: 1, step: 0, batch: 0, seqLen: 8 })).toThrow(/positive integers/)
    expect(() => sampleBatch(new Uint8Array(5), { seed: 1, step: 0, batch: 1, seqLen: 8 })).toThrow(/shorter/)
  })
})
