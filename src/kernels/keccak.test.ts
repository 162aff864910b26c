import { describe, expect, it } from 'vitest'
import { keccak256, toBytes } from 'viem'
import { JOB_WORDS, digestHex, keccakRef, packJobs } from './keccak.ts'

describe('the keccak job table', () => {
  it('holds the count, each job, then the prefixes zero-padded to whole words', () => {
    const jobs = [
      { prefix: Uint8Array.of(1, 2, 3, 4, 5), from: 7, words: 9, out: 16 },
      { prefix: new Uint8Array(0), from: 0, words: 2, out: 0 },
      { prefix: Uint8Array.of(0xaa), from: 1, words: 0, out: 8 },
    ]
    const table = packJobs(jobs)
    const head = 1 + 3 * JOB_WORDS
    expect(table[0]).toBe(3)
    expect([...table.subarray(1, 6)]).toEqual([head, 5, 7, 9, 16])
    expect([...table.subarray(1 + JOB_WORDS, 6 + JOB_WORDS)]).toEqual([head + 2, 0, 0, 2, 0])
    expect([...table.subarray(1 + 2 * JOB_WORDS, 6 + 2 * JOB_WORDS)]).toEqual([head + 2, 1, 1, 0, 8])
    expect(table.length).toBe(head + 3)
    expect([...new Uint8Array(table.buffer, 4 * head)]).toEqual([1, 2, 3, 4, 5, 0, 0, 0, 0xaa, 0, 0, 0])
  })
})

describe('the CPU reference', () => {
  it('is viem keccak256 of the prefix then the words as little-endian bytes', () => {
    expect(keccakRef(new Uint8Array(0))).toBe(keccak256('0x'))
    expect(keccakRef(toBytes('abc'), Uint32Array.of(0x04030201))).toBe(
      keccak256(Uint8Array.of(0x61, 0x62, 0x63, 1, 2, 3, 4)),
    )
  })

  it('reads a digest as the shader writes it: its bytes in order', () => {
    const bytes = toBytes(keccak256('0x'))
    expect(digestHex(new Uint32Array(bytes.slice().buffer))).toBe(keccak256('0x'))
    expect(() => digestHex(new Uint32Array(7))).toThrow(/8 words/)
  })
})
