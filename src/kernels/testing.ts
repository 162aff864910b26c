// Shared helpers for kernel tests: adversarial f32 inputs and bit-exact comparison with a clear diff.
import { expect } from 'vitest'
import { mulberry32 } from '../util/random.ts'

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
export function bitsOf(x: number): number {
  f32[0] = x
  return u32[0]
}
export function fromBits(bits: number): number {
  u32[0] = bits >>> 0
  return f32[0]
}

/** Values that break naive float code: signed zeros, subnormals, extremes, ties, NaN, infinities. */
export const specialBits = [
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff,
  0xff7fffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x3fffffff, 0x4b000001, 0x4b7fffff, 0x33800000, 0x34000000,
  0x7f800000, 0xff800000, 0x7fc00000,
]

/**
 * n f32 values: the specials first, then a mix of random bit patterns (every exponent), values near 1,
 * and small integers (ties in rounding). NaN and infinities only when `nonFinite` is set.
 */
export function adversarialF32(n: number, seed: number, options: { nonFinite?: boolean } = {}): Float32Array {
  const next = mulberry32(seed)
  const out = new Float32Array(n)
  const specials = specialBits.filter((b) => options.nonFinite || (b & 0x7f800000) !== 0x7f800000)
  for (let i = 0; i < n; i++) {
    if (i < specials.length) {
      out[i] = fromBits(specials[i])
      continue
    }
    const kind = next() % 4
    let bits: number
    if (kind === 0) bits = next()
    else if (kind === 1)
      bits = (next() & 0x80ffffff) | (((next() % 16) + 119) << 23) // |x| in [2^-8, 2^8)
    else if (kind === 2) bits = bitsOf(((next() % 2001) - 1000) / 8)
    else bits = next() & 0x807fffff // subnormal
    if (!options.nonFinite && (bits & 0x7f800000) === 0x7f800000) bits &= 0xbfffffff
    out[i] = fromBits(bits)
  }
  return out
}

/** Asserts two f32 arrays are identical bit for bit (NaN payloads included), naming the first mismatch. */
export function expectBitsEqual(actual: Float32Array, expected: Float32Array, label = ''): void {
  expect(actual.length, `${label} length`).toBe(expected.length)
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length)
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length)
  let mismatches = 0
  let first = -1
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      mismatches++
      if (first < 0) first = i
    }
  }
  if (mismatches) {
    const hex = (x: number) => '0x' + (x >>> 0).toString(16).padStart(8, '0')
    expect.fail(
      `${label} ${mismatches}/${a.length} elements differ; first at [${first}]: ` +
        `got ${actual[first]} (${hex(a[first])}), expected ${expected[first]} (${hex(e[first])})`,
    )
  }
}
