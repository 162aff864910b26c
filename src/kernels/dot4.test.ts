import { describe, expect, it } from 'vitest'
import { dot4Ref, dot4RefArray } from './dot4.ts'
import { randomWords } from '../util/random.ts'

// An independent oracle: reinterpret the words as Int8Array lanes (little-endian, like WGSL).
function viaInt8(a: number, b: number): number {
  const x = new Int8Array(new Uint32Array([a]).buffer)
  const y = new Int8Array(new Uint32Array([b]).buffer)
  return x[0] * y[0] + x[1] * y[1] + x[2] * y[2] + x[3] * y[3]
}

describe('dot4Ref', () => {
  it('matches an Int8Array reading of the same words', () => {
    const a = randomWords(2000, 1)
    const b = randomWords(2000, 2)
    for (let i = 0; i < a.length; i++) expect(dot4Ref(a[i], b[i])).toBe(viaInt8(a[i], b[i]))
  })

  it('handles the extreme bytes', () => {
    expect(dot4Ref(0x80808080, 0x80808080)).toBe(4 * 128 * 128)
    expect(dot4Ref(0x7f7f7f7f, 0x80808080)).toBe(-4 * 127 * 128)
    expect(dot4Ref(0xffffffff, 0x01010101)).toBe(-4)
    expect(dot4Ref(0, 0xffffffff)).toBe(0)
  })

  it('rejects arrays of different lengths', () => {
    expect(() => dot4RefArray(new Uint32Array(2), new Uint32Array(3))).toThrow(/2 words but b has 3/)
  })
})
