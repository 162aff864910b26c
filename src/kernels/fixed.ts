// The TypeScript twin of shaders/lib/fixed.wgsl: exact fixed-point sums of f32 values, with BigInt
// standing in for the shader's 128-bit words. Both must give the same bits for every input; the
// format, resolution and special values are described in docs/determinism-reductions.md.

export const FX_NAN = 1
export const FX_POS_INF = 2
export const FX_NEG_INF = 4
export const FX_NEG_ZERO = 8
export const FX_NOT_NEG_ZERO = 16
/** Bits kept below the ulp of a reduction's largest inputs. */
export const FX_GUARD = 64
export const CANONICAL_NAN = 0x7fc00000

/** The accumulator before rounding: total·2^(eMax-214), plus the NaN/Inf/-0 flags. */
export interface FixedSum {
  total: bigint
  eMax: number
  flags: number
}

/** e = max(exponent field, 1) for a finite value, 0 for NaN and infinities. */
export function fxExponent(bits: number): number {
  const ex = (bits >>> 23) & 0xff
  return ex === 255 ? 0 : Math.max(ex, 1)
}

export function fxFlags(bits: number): number {
  bits >>>= 0
  let f = bits === 0x80000000 ? FX_NEG_ZERO : FX_NOT_NEG_ZERO
  if ((bits & 0x7f800000) === 0x7f800000) {
    if (bits & 0x7fffff) f |= FX_NAN
    else f |= bits >>> 31 ? FX_NEG_INF : FX_POS_INF
  }
  return f
}

/** x in units of 2^(eMax-214), rounded to nearest-even (0 for NaN and infinities). */
export function fxTerm(bits: number, eMax: number): bigint {
  const ex = (bits >>> 23) & 0xff
  if (ex === 255) return 0n
  const m = (bits & 0x7fffff) | (ex ? 0x800000 : 0)
  const shift = Math.max(ex, 1) - eMax + FX_GUARD
  let t = 0n
  if (shift >= 0) {
    t = BigInt(m) << BigInt(shift)
  } else if (shift > -32) {
    const s = -shift
    const q = Math.floor(m / 2 ** s)
    const rem = m % 2 ** s
    const half = 2 ** (s - 1)
    t = BigInt(q + (rem > half || (rem === half && q % 2 === 1) ? 1 : 0))
  }
  return bits >>> 31 ? -t : t
}

// Per exponent field, the signed significands of the terms that land there: Σ ±m with m < 2^24 stays
// an exact double for up to 2^29 terms, so fixedAccumulate needs BigInt only per binade, not per term.
const bins = new Float64Array(256)
const MAX_BINNED = 2 ** 29

/**
 * Sums f32 bit patterns exactly at the fixed-point resolution (two passes, like the shader). A
 * kernel that knows a bound on its terms may fix `eMax` instead (it must be >= every exponent).
 * The total is Σ fxTerm(bits[i], eMax), formed per binade (above) rather than per term.
 */
export function fixedAccumulate(bits: ArrayLike<number>, eMax?: number): FixedSum {
  let flags = 0
  let e = 0
  for (let i = 0; i < bits.length; i++) {
    e = Math.max(e, fxExponent(bits[i]))
    flags |= fxFlags(bits[i])
  }
  if (eMax !== undefined && e > eMax)
    throw new RangeError(`fixedAccumulate: a term has exponent ${e} > ${eMax}.`)
  eMax ??= e
  if (bits.length > MAX_BINNED) {
    let total = 0n
    for (let i = 0; i < bits.length; i++) total += fxTerm(bits[i], eMax)
    return { total, eMax, flags }
  }
  // Terms at or above the resolution go to their binade's bin; those below it are rounded one by
  // one (as fxTerm does) into `small`, in units of the resolution: each below 2^23, so exact.
  let small = 0
  let lo = 256
  let hi = -1
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]
    const ex = (b >>> 23) & 0xff
    if (ex === 255) continue
    const m = (b & 0x7fffff) | (ex ? 0x800000 : 0)
    const e1 = ex || 1
    const shift = e1 - eMax + FX_GUARD
    if (shift >= 0) {
      bins[e1] += b >>> 31 ? -m : m
      if (e1 < lo) lo = e1
      if (e1 > hi) hi = e1
    } else if (shift > -32) {
      const q = rneShift(m, -shift)
      small += b >>> 31 ? -q : q
    }
  }
  let total = BigInt(small)
  if (hi >= 0) {
    // Σ bins[e]·2^(e - lo) in a double while it provably stays exact, else binade by binade.
    let sum = 0
    let bound = 0
    for (let x = lo; x <= hi; x++) {
      const t = bins[x] * 2 ** (x - lo)
      sum += t
      bound += Math.abs(t)
    }
    const base = BigInt(lo - eMax + FX_GUARD)
    if (bound < 2 ** 53) total += BigInt(sum) << base
    else for (let x = lo; x <= hi; x++) total += BigInt(bins[x]) << BigInt(x - eMax + FX_GUARD)
    bins.fill(0, lo, hi + 1)
  }
  return { total, eMax, flags }
}

/** RNE(m / 2^s) for an integer m < 2^24 and s >= 1. */
function rneShift(m: number, s: number): number {
  if (s > 24) return 0 // m < 2^24 <= half of 2^s
  const q = m >>> s
  const rem = m & ((1 << s) - 1)
  const half = 1 << (s - 1)
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q
}

/** The f32 bits (sign clear) nearest to mag·2^lsb, ties to even; see fx_round_mag. */
export function roundToF32Bits(mag: bigint, lsb: number, sticky: boolean): number {
  if (mag === 0n) return 0
  const p = mag.toString(2).length - 1
  const r = Math.max(p - 23, -149 - lsb)
  const biased = r + lsb + 149
  if (biased >= 254) return 0x7f800000
  if (r > p + 1) return 0
  if (r <= 0) return biased * 2 ** 23 + Number(mag << BigInt(-r))
  let q = Number(mag >> BigInt(r))
  const rem = mag & ((1n << BigInt(r)) - 1n)
  const half = 1n << BigInt(r - 1)
  if (rem > half || (rem === half && (sticky || q % 2 === 1))) q++
  return biased * 2 ** 23 + q
}

/** NaN/Inf flags → the f32 result (canonical NaN, ±Inf), or undefined when all terms were finite. */
export function fxSpecial(flags: number): number | undefined {
  const both = FX_POS_INF | FX_NEG_INF
  if (flags & FX_NAN || (flags & both) === both) return CANONICAL_NAN
  if (flags & FX_POS_INF) return 0x7f800000
  if (flags & FX_NEG_INF) return 0xff800000
  return undefined
}

function signedZero(flags: number): number {
  return (flags & (FX_NEG_ZERO | FX_NOT_NEG_ZERO)) === FX_NEG_ZERO ? 0x80000000 : 0
}

function lsbOf(eMax: number): number {
  return Math.max(eMax, 1) - 150 - FX_GUARD
}

/** The sum rounded once to f32 (as bits). */
export function fixedToF32Bits(s: FixedSum): number {
  const special = fxSpecial(s.flags)
  if (special !== undefined) return special
  if (s.total === 0n) return signedZero(s.flags)
  const neg = s.total < 0n
  const bits = roundToF32Bits(neg ? -s.total : s.total, lsbOf(s.eMax), false)
  return (bits | (neg ? 0x80000000 : 0)) >>> 0
}

/** The sum divided by n, rounded once to f32 (as bits), exactly as fx_div_to_f32 does it. */
export function fixedDivToF32Bits(s: FixedSum, n: number): number {
  const special = fxSpecial(s.flags)
  if (special !== undefined) return special
  if (s.total === 0n) return signedZero(s.flags)
  const neg = s.total < 0n
  const mag = neg ? -s.total : s.total
  const sh = 127 - (mag.toString(2).length - 1)
  const num = mag << BigInt(sh)
  const d = BigInt(n)
  const bits = roundToF32Bits(num / d, lsbOf(s.eMax) - sh, num % d !== 0n)
  return (bits | (neg ? 0x80000000 : 0)) >>> 0
}

const scratch = new Float32Array(1)
const scratchBits = new Uint32Array(scratch.buffer)

export function f32FromBits(bits: number): number {
  scratchBits[0] = bits >>> 0
  return scratch[0]
}

/** A u32 whose unsigned order is the f32 order (-0 < +0); NaNs land beyond the infinities. */
export function orderKey(bits: number): number {
  return (bits ^ (bits >>> 31 ? 0xffffffff : 0x80000000)) >>> 0
}

export function fromOrderKey(key: number): number {
  return (key ^ (key >>> 31 ? 0x80000000 : 0xffffffff)) >>> 0
}
