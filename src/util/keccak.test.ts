import { concat, keccak256, toBytes } from 'viem'
import { describe, expect, it } from 'vitest'
import { mulberry32 } from './random.ts'
import { keccak256Hex, keccakWasmAvailable } from './keccak.ts'

function bytes(n: number, seed: number): Uint8Array {
  const next = mulberry32(seed)
  return Uint8Array.from({ length: n }, () => next() & 0xff)
}

describe('keccak256 in WebAssembly', () => {
  it('is the WebAssembly sponge on Node 20', () => {
    expect(keccakWasmAvailable()).toBe(true)
  })

  it('gives the published vectors', () => {
    expect(keccak256Hex([])).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    expect(keccak256Hex([toBytes('abc')])).toBe(
      '0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45',
    )
  })

  // Lengths around the 136-byte rate and the 65,280-byte chunk, where padding and copying change.
  it.each([1, 135, 136, 137, 271, 272, 273, 65279, 65280, 65281, 200_000])(
    'equals viem on %i bytes, whole and in uneven parts',
    (n) => {
      const data = bytes(n, n)
      const want = keccak256(data)
      expect(keccak256Hex([data])).toBe(want)
      const cuts = [0, Math.floor(n / 3), Math.floor(n / 3) + 1, n - 1, n].filter(
        (c, i, a) => c >= 0 && (i === 0 || c >= a[i - 1]),
      )
      const parts = cuts.slice(1).map((c, i) => data.subarray(cuts[i], c))
      expect(keccak256Hex(parts)).toBe(keccak256(concat(parts)))
    },
  )
})
