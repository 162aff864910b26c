import { describe, expect, it } from 'vitest'
import {
  CANONICAL_NAN,
  fixedAccumulate,
  fixedDivToF32Bits,
  fixedToF32Bits,
  fromOrderKey,
  fxTerm,
  orderKey,
} from './fixed.ts'
import { adversarialF32, bitsOf } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

// An independent oracle: exact rationals in units of 2^-149 (every f32 is an integer there), rounded
// to f32 by trying the neighbours of a float64 estimate and keeping the nearest (ties to even).
function units(bits: number): bigint {
  const ex = (bits >>> 23) & 0xff
  const m = BigInt((bits & 0x7fffff) | (ex ? 0x800000 : 0))
  const v = m << BigInt(Math.max(ex, 1) - 1)
  return bits >>> 31 ? -v : v
}
const INF_UNITS = 1n << 277n // 2^128, where rounding to nearest overflows to Inf
function nearestF32(num: bigint, den = 1n): number {
  const neg = num < 0n
  const mag = neg ? -num : num
  const estimate = Math.fround((Number(mag) / Number(den)) * 2 ** -149)
  const b = bitsOf(Math.min(estimate, 3.4028234663852886e38))
  let best = -1
  let bestErr = 0n
  for (const c of [b - 1, b, b + 1, b + 2]) {
    if (c < 0 || c > 0x7f800000) continue
    const cu = c === 0x7f800000 ? INF_UNITS : units(c)
    const err = cu * den > mag ? cu * den - mag : mag - cu * den
    if (best < 0 || err < bestErr || (err === bestErr && c % 2 === 0)) [best, bestErr] = [c, err]
  }
  return (best | (neg ? 0x80000000 : 0)) >>> 0
}
const exactSum = (bits: Uint32Array) => bits.reduce((s, b) => s + units(b), 0n)
const sumBits = (bits: Uint32Array) => fixedToF32Bits(fixedAccumulate(bits))
const u32 = (xs: number[]) => Uint32Array.from(xs.map((x) => bitsOf(x)))

/** n values whose exponents lie within `span` binades below a random top exponent. */
function windowed(n: number, seed: number, span: number): Uint32Array {
  const next = mulberry32(seed)
  const top = span + 1 + (next() % (254 - span))
  return Uint32Array.from({ length: n }, () => {
    const ex = top - (next() % (span + 1))
    return ((next() & 0x807fffff) | (ex << 23)) >>> 0
  })
}

describe('fixed-point sum (TS twin)', () => {
  it('is the correctly rounded exact sum when all inputs lie within 64 binades of the largest', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const bits = windowed(1 + (seed % 97), seed, 64)
      // Heavy cancellation too: append the negation of most terms.
      const cancel = Uint32Array.from(bits.subarray(1), (b) => (b ^ 0x80000000) >>> 0)
      const both = Uint32Array.from([...bits, ...cancel])
      const ties = windowed(2 + (seed % 5), seed, 1) // neighbouring binades: sums often land on ties
      for (const b of [bits, both, ties]) expect(sumBits(b)).toBe(nearestF32(exactSum(b)))
    }
  })

  it('matches Math.fround of a float64 sum that is exact (exponents within 16 binades)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const bits = windowed(1000, seed, 16) // each < 2^40 units of the smallest ulp; 1000 of them < 2^50
      let s = 0
      for (const b of new Float32Array(bits.buffer)) s += b
      expect(sumBits(bits)).toBe(bitsOf(Math.fround(s)) >>> 0)
    }
  })

  it('stays within its resolution on full-range adversarial inputs (and is exact in practice)', () => {
    let exact = 0
    for (let seed = 1; seed <= 200; seed++) {
      const x = adversarialF32(50 + seed * 7, seed)
      const bits = new Uint32Array(x.buffer)
      const acc = fixedAccumulate(bits)
      const s = exactSum(bits)
      // Each term rounds by at most half a unit of 2^(eMax-214): delta = n/2 units, in 2^-149 units.
      const shift = acc.eMax - 214 + 149
      const delta = BigInt(bits.length) * (shift >= 1 ? 1n << BigInt(shift - 1) : 1n)
      const got = fixedToF32Bits(acc)
      const [lo, hi] = [nearestF32(s - delta), nearestF32(s + delta)]
      expect(orderKey(got)).toBeGreaterThanOrEqual(orderKey(lo))
      expect(orderKey(got)).toBeLessThanOrEqual(orderKey(hi))
      if (got === nearestF32(s)) exact++
    }
    expect(exact).toBe(200)
  })

  it('follows the documented special values', () => {
    const cases: [number[], number][] = [
      [[0, -0], 0],
      [[-0, -0], 0x80000000],
      [[1, -1], 0],
      [[-1, 1, -0], 0],
      [[NaN, 1], CANONICAL_NAN],
      [[Infinity, -Infinity], CANONICAL_NAN],
      [[Infinity, 1, Infinity], 0x7f800000],
      [[-Infinity, 3.4e38, 3.4e38], 0xff800000],
      [[3.4028234663852886e38, 3.4028234663852886e38], 0x7f800000],
      [[3.4028234663852886e38, 3.4028234663852886e38, -3.4028234663852886e38], 0x7f7fffff],
      [[2 ** -149, 2 ** -149], bitsOf(2 ** -148) >>> 0],
      [[1, 2 ** -24], 0x3f800000], // a tie, to even
      [[1, 2 ** -24, 2 ** -40], 0x3f800001], // just above the tie
    ]
    for (const [xs, want] of cases) expect(sumBits(u32(xs)), String(xs)).toBe(want >>> 0)
    expect(sumBits(new Uint32Array([0xffc00001, 0x3f800000]))).toBe(CANONICAL_NAN)
  })

  it('rounds terms below the resolution to nearest-even, odd-symmetrically', () => {
    // With eMax = 127 the unit is 2^-87; 2^-88 is half a unit (tie, to 0), 3·2^-88 is 1.5 (to 2).
    expect(fxTerm(bitsOf(2 ** -88), 127)).toBe(0n)
    expect(fxTerm(bitsOf(3 * 2 ** -88), 127)).toBe(2n)
    expect(fxTerm(bitsOf(-3 * 2 ** -88), 127)).toBe(-2n)
    expect(fxTerm(bitsOf(1.25 * 2 ** -87), 127)).toBe(1n)
    expect(fxTerm(bitsOf(1), 127)).toBe(1n << 87n)
  })

  it('has headroom for 2^20 of the largest terms, and order never matters', () => {
    const big = bitsOf(3.4028234663852886e38) >>> 0
    expect(fxTerm(big, 254) < 1n << 88n).toBe(true) // so 2^39 terms stay below the sign bit
    const bits = new Uint32Array(2 ** 21 - 1)
    bits.fill(big, 0, 2 ** 20)
    bits.fill((big | 0x80000000) >>> 0, 2 ** 20)
    expect(sumBits(bits)).toBe(big) // a float sum overflows to Inf on the way
    expect(sumBits(bits.slice().reverse())).toBe(big)
    expect(sumBits(bits.subarray(0, 2 ** 20))).toBe(0x7f800000)
  })

  it('means round once, correctly, and never overflow on the way', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const bits = windowed(1 + (seed % 37), seed, 64)
      const got = fixedDivToF32Bits(fixedAccumulate(bits), bits.length)
      expect(got).toBe(nearestF32(exactSum(bits), BigInt(bits.length)))
    }
    const max = bitsOf(3.4028234663852886e38) >>> 0
    expect(fixedDivToF32Bits(fixedAccumulate(new Uint32Array([max, max])), 2)).toBe(max)
    expect(fixedDivToF32Bits(fixedAccumulate(u32([2 ** -149])), 2)).toBe(0) // a tie, to even
    expect(fixedDivToF32Bits(fixedAccumulate(u32([-3 * 2 ** -149])), 2)).toBe(0x80000002)
    expect(fixedDivToF32Bits(fixedAccumulate(u32([-Infinity, 1])), 2)).toBe(0xff800000)
  })
})

describe('orderKey', () => {
  it('orders f32 values like the numbers they are, -0 before +0', () => {
    const xs = [-Infinity, -3e38, -1, -1e-45, -0, 0, 1e-45, 1, 3e38, Infinity]
    const keys = xs.map((x) => orderKey(bitsOf(x) >>> 0))
    for (let i = 1; i < keys.length; i++) expect(keys[i]).toBeGreaterThan(keys[i - 1])
    for (const x of xs) expect(fromOrderKey(orderKey(bitsOf(x) >>> 0))).toBe(bitsOf(x) >>> 0)
  })
})

describe('fixedAccumulate sums by binade', () => {
  // The definition: one fxTerm per value, added in BigInt. fixedAccumulate forms the same total per
  // binade and in a double where that is provably exact; any input must give the same total.
  const byTerm = (bits: Uint32Array, eMax: number) => bits.reduce((t, b) => t + fxTerm(b, eMax), 0n)
  it.each([
    ['adversarial values', () => adversarialF32(300, 4, { nonFinite: true })],
    [
      'one huge value among tiny ones',
      () => Float32Array.from({ length: 64 }, (_, i) => (i ? 1e-30 * i : 3e38)),
    ],
    [
      'values straddling the resolution',
      () => Float32Array.from({ length: 200 }, (_, i) => 2 ** (-60 - (i % 40)) * (i % 3 ? 1.37 : -1.11)),
    ],
    [
      '2^24 - 1 in every binade (past the double path)',
      () =>
        Float32Array.from(
          { length: 254 * 3 },
          (_, i) => (i % 2 ? -1 : 1) * 2 ** ((i % 254) - 126) * (2 - 2 ** -23),
        ),
    ],
  ])('%s', (_name, values) => {
    const bits = new Uint32Array(values().buffer)
    const got = fixedAccumulate(bits)
    expect(got.total).toBe(byTerm(bits, got.eMax))
    expect(fixedAccumulate(bits, 254).total).toBe(byTerm(bits, 254))
  })
})
