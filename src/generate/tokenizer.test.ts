import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { keccak256, toHex } from 'viem'
import { BYTE_TOKENIZER_HASH, byteTokenizer, hfTokenizer, loadTokenizer } from './tokenizer.ts'

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}.tokenizer.json`, import.meta.url)))

describe('tokenizers', () => {
  it('byte-level: UTF-8 bytes both ways, a fixed hash, ids past 255 refused', () => {
    expect(byteTokenizer.encode('Gé')).toEqual([71, 0xc3, 0xa9])
    expect(byteTokenizer.decode([71, 0xc3, 0xa9])).toBe('Gé')
    expect(byteTokenizer.decode([0xc3])).toBe('\ufffd')
    expect(BYTE_TOKENIZER_HASH).toBe(keccak256(toHex('lockstep/byte-tokenizer/1')))
    expect(() => byteTokenizer.decode([256])).toThrow(/Token 256 is not a byte/)
    expect(loadTokenizer('byte')).toBe(byteTokenizer)
  })

  it('BPE (byte-level, GPT-2 style): merges apply, any text round-trips, <|endoftext|> is the eos', () => {
    const t = hfTokenizer(fixture('bpe'))
    expect(t.kind).toBe('BPE')
    const ids = t.encode('And God said the light')
    expect(ids.length).toBeLessThan('And God said the light'.length / 2) // merged, not byte by byte
    for (const s of ['And God said the light', 'naïve — ünïcödé 123!', '  spaces\tand\nlines '])
      expect(t.decode(t.encode(s))).toBe(s)
    expect(t.eos).toEqual([t.encode('<|endoftext|>')[0]])
    expect(t.hash).toBe(keccak256(fixture('bpe')))
  })

  it('WordPiece (BERT style): lower-cased, ## continuations, round-trips what it can spell', () => {
    const t = hfTokenizer(fixture('wordpiece'))
    expect(t.kind).toBe('WordPiece')
    const ids = t.encode('And God said lights')
    expect(t.decode(ids)).toBe('and god said lights')
    expect(ids).toHaveLength(5) // and, god, said, light, ##s
    expect(t.eos).toEqual([3]) // [SEP]
  })

  it('Unigram (SentencePiece style): the likeliest pieces, round-trips with its ▁ spaces', () => {
    const t = hfTokenizer(fixture('unigram'))
    expect(t.kind).toBe('Unigram')
    const ids = t.encode('And God said: Let there be light')
    expect(ids.length).toBeLessThan(12)
    expect(t.decode(ids)).toBe('And God said: Let there be light')
    expect(t.eos).toEqual([1]) // </s>
  })

  it('refuses what is not a tokenizer.json, by name', () => {
    expect(() => hfTokenizer(new TextEncoder().encode('{"model": 3'))).toThrow(/not a tokenizer.json/)
    const wordLevel = JSON.stringify({ model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } })
    expect(() => hfTokenizer(new TextEncoder().encode(wordLevel))).toThrow(/model is WordLevel/)
  })
})
