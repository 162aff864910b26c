// The TypeScript twin of shaders/lib/softfloat.wgsl, on JS numbers that hold f32 values.
//
// + - * / and sqrt are computed in double and rounded once with Math.fround. That is the correctly
// rounded f32 result: double rounding through a p' = 53 bit format is harmless for these five
// operations whenever p' >= 2p + 2 = 50 (Figueroa, "When is double rounding innocuous?", 1995), and
// no sum, product, quotient or root of two f32 values under- or overflows double. So each primitive
// equals its integer-only WGSL counterpart bit for bit, and the transcendentals, being the same
// fixed sequence of primitives on both sides, do too.

const f32Box = new Float32Array(1)
const u32Box = new Uint32Array(f32Box.buffer)
const f64Box = new Float64Array(1)
const u32Pair = new Uint32Array(f64Box.buffer)

export const NAN_BITS = 0x7fc00000

export function f32FromBits(bits: number): number {
  u32Box[0] = bits >>> 0
  return f32Box[0]
}

export function f32Bits(x: number): number {
  f32Box[0] = x
  return x !== x ? NAN_BITS : u32Box[0]
}

/** A Float32Array of f(i), with every NaN stored as the canonical 0x7fc00000. */
export function f32Array(n: number, f: (i: number) => number): Float32Array {
  const out = new Float32Array(n)
  const bits = new Uint32Array(out.buffer)
  for (let i = 0; i < n; i++) {
    const x = f(i)
    if (x !== x) bits[i] = NAN_BITS
    else out[i] = x
  }
  return out
}

/** Every NaN result is the one canonical NaN (JS keeps no payloads in `NaN`, and we never read them). */
export function canon(x: number): number {
  return x !== x ? NaN : x
}

export function add(a: number, b: number): number {
  return canon(Math.fround(a + b))
}

export function sub(a: number, b: number): number {
  return canon(Math.fround(a - b))
}

export function mul(a: number, b: number): number {
  return canon(Math.fround(a * b))
}

export function div(a: number, b: number): number {
  return canon(Math.fround(a / b))
}

export function sqrt(a: number): number {
  return canon(Math.fround(Math.sqrt(a)))
}

export function neg(a: number): number {
  return canon(-a)
}

export function abs(a: number): number {
  return canon(Math.abs(a))
}

export function lt(a: number, b: number): boolean {
  return a < b
}

export function le(a: number, b: number): boolean {
  return a <= b
}

export function eq(a: number, b: number): boolean {
  return a === b
}

/** IEEE 754-2019 maximum (and minimum): NaN if either is NaN, +0 above -0 — exactly Math.max's rules. */
export function max(a: number, b: number): number {
  return canon(Math.max(a, b))
}

export function min(a: number, b: number): number {
  return canon(Math.min(a, b))
}

export function fromI32(n: number): number {
  return Math.fround(n | 0)
}

/** 2^n for an integer n in double's normal range, built from its bits so it is exact everywhere. */
function pow2(n: number): number {
  u32Pair[0] = 0
  u32Pair[1] = (n + 1023) << 20
  return f64Box[0]
}

/** a * 2^n rounded once; n is clamped to +-400, past which every finite f32 has over- or underflowed. */
export function ldexp(a: number, n: number): number {
  return canon(Math.fround(a * pow2(Math.min(400, Math.max(-400, n)))))
}

/** Nearest integer with ties to even; NaN gives 0 and out-of-range values saturate (as in WGSL). */
export function roundToI32(a: number): number {
  if (a !== a) return 0
  if (a >= 2 ** 31) return 2 ** 31 - 1
  if (a <= -(2 ** 31)) return -(2 ** 31)
  let r = Math.round(a)
  if (r - a === 0.5 && r % 2 !== 0) r -= 1
  return r | 0
}

// ---- Transcendentals: fixed sequences of the primitives above, mirrored line for line in WGSL. ----
// Constants are given as f32 bit patterns so no decimal parsing can differ between the two sides.

const c = f32FromBits
const coefficients = (bits: readonly number[]) => bits.map(c)

/** Horner's rule, highest coefficient first: one rounded mul and one rounded add per step, never fused. */
function poly(coefs: readonly number[], x: number): number {
  let y = coefs[0]
  for (let i = 1; i < coefs.length; i++) y = add(mul(y, x), coefs[i])
  return y
}

const LOG2E = c(0x3fb8aa3b)
// Cody–Waite split of ln 2: LN2_HI has 9 significant bits, so k * LN2_HI is exact for |k| < 2^15.
const LN2_HI = c(0x3f318000) // 0.693359375
const LN2_LO = c(0xb95e8083) // -2.12194440e-4
// Cephes expf: e^r = 1 + r + r^2 P(r) on |r| <= ln2 / 2.
const EXP_P = coefficients([0x39506967, 0x3ab743ce, 0x3c088908, 0x3d2aa9c1, 0x3e2aaaaa, 0x3f000000])

/**
 * Second results of the array-free forms below (expY's k, twoProdP's error, geluTanhArgV's other
 * parts), read by the caller at once. The CPU reference calls these per element: returning tuples
 * there cost a quarter of a training step in allocation alone.
 */
export const more = new Float64Array(3)

/**
 * e^(hi + lo) as [y, k] with the value y * 2^k, y in about [0.7, 1.42]: callers that divide or
 * multiply y before scaling round only once into the subnormal range. `lo` must be tiny next to 1;
 * it is how compensated callers pass the bits of their argument that do not fit in one f32.
 */
export function expParts(hi: number, lo: number): [number, number] {
  const y = expY(hi, lo)
  return [y, more[0]]
}

/** expParts' y, with k left in more[0]. */
export function expY(hi: number, lo: number): number {
  const x = min(max(hi, -110), 100) // exp saturates well inside this range; keeps k small
  const k = roundToI32(mul(x, LOG2E))
  const kf = fromI32(k)
  const r = add(sub(sub(x, mul(kf, LN2_HI)), mul(kf, LN2_LO)), lo)
  more[0] = k
  return add(add(mul(poly(EXP_P, r), mul(r, r)), r), 1)
}

export function exp(x: number): number {
  const y = expY(x, 0)
  return ldexp(y, more[0])
}

const SQRT_HALF = c(0x3f3504f3)
// Cephes logf: log(1 + t) = t - t^2/2 + t^3 P(t) on sqrt(1/2) - 1 <= t < sqrt(2) - 1.
const LOG_P = coefficients([
  0x3d9021bb, 0xbdebd1b8, 0x3def251a, 0xbdfe5d4f, 0x3e11e9bf, 0xbe2aae50, 0x3e4cceac, 0xbe7ffffc, 0x3eaaaaaa,
])

export function log(x: number): number {
  if (x !== x || x < 0) return NaN
  if (x === 0) return -Infinity
  if (x === Infinity) return x
  const [m, exponent] = frexp(x)
  let e = exponent
  let t = sub(m, 1)
  if (m < SQRT_HALF) {
    e -= 1
    t = sub(add(m, m), 1)
  }
  const z = mul(t, t)
  let y = mul(mul(poly(LOG_P, t), t), z)
  const fe = fromI32(e)
  if (e !== 0) y = add(y, mul(fe, LN2_LO))
  y = sub(y, mul(0.5, z))
  const r = add(t, y)
  return e !== 0 ? add(r, mul(fe, LN2_HI)) : r
}

/** x = m * 2^e with m in [0.5, 1), for finite x > 0 (subnormals included), by bit manipulation. */
function frexp(x: number): [number, number] {
  let bits = f32Bits(x)
  let e = bits >>> 23
  if (e === 0) {
    const shift = Math.clz32(bits) - 8
    bits <<= shift
    e = 1 - shift
  }
  return [f32FromBits((126 << 23) | (bits & 0x7fffff)), e - 126]
}

// Cephes tanhf: tanh x = x + x^3 P(x^2) below 0.625, 1 - 2 / (e^2x + 1) above, +-1 past 44.
const TANH_P = coefficients([0xbbbaf0ea, 0x3ca9134e, 0xbd5c1e2d, 0x3e088393, 0xbeaaaa99])

export function tanh(x: number): number {
  if (x !== x) return NaN
  const z = abs(x)
  if (z > 44) return x > 0 ? 1 : -1
  if (z >= 0.625) {
    const r = sub(1, div(2, add(exp(add(z, z)), 1)))
    return x < 0 ? neg(r) : r
  }
  if (x === 0) return x
  const s = mul(x, x)
  return add(mul(mul(poly(TANH_P, s), s), x), x)
}

/** 1 / (1 + e^-x), always through e = e^-|x| <= 1 so neither tail cancels or overflows. */
export function sigmoid(x: number): number {
  const y = expY(neg(abs(x)), 0)
  const k = more[0]
  const d = add(1, ldexp(y, k))
  return x < 0 ? ldexp(div(y, d), k) : div(1, d)
}

export function rsqrt(x: number): number {
  return div(1, sqrt(x))
}

// ---- Compensated arithmetic: a value carried as an unevaluated sum hi + lo of two f32. ----
// The GELU tails are e^v with |v| up to ~110; one rounding of v alone would cost ~100 ulp there.

/** The top 12 significant bits of a (the rest cleared), so a product of two halves has at most 24 and is exact. */
function hi12(a: number): number {
  f32Box[0] = a
  u32Box[0] &= 0xfffff000
  return f32Box[0]
}

/** a * b = p + e exactly (Dekker), for products that neither overflow nor underflow. */
export function twoProd(a: number, b: number): [number, number] {
  const p = twoProdP(a, b)
  return [p, more[0]]
}

/** twoProd's p, with e left in more[0]. */
export function twoProdP(a: number, b: number): number {
  const p = mul(a, b)
  const ah = hi12(a)
  const al = sub(a, ah)
  const bh = hi12(b)
  const bl = sub(b, bh)
  more[0] = add(add(add(sub(mul(ah, bh), p), mul(ah, bl)), mul(al, bh)), mul(al, bl))
  return p
}

/** a + b = s + e exactly (Knuth). */
export function twoSum(a: number, b: number): [number, number] {
  const s = twoSumS(a, b)
  return [s, more[0]]
}

/** twoSum's s, with e left in more[0]. */
export function twoSumS(a: number, b: number): number {
  const s = add(a, b)
  const bb = sub(s, a)
  more[0] = add(sub(a, sub(s, bb)), sub(b, bb))
  return s
}

// 2 sqrt(2/pi) and GPT-2's 0.044715 as hi + lo pairs.
const K2_HI = c(0x3fcc422a)
const K2_LO = c(0xb342bc9b)
const GELU_A_HI = c(0x3d372713)
const GELU_A_LO = c(0x30d4801f)

/**
 * v = 2 sqrt(2/pi) (x + 0.044715 x^3) as hi + lo, good to ~2^-40 relative for |x| <= 11, and
 * w = 2 sqrt(2/pi) x as hi + lo, which the derivative needs.
 */
export function geluTanhArg(x: number): [number, number, number, number] {
  const vh = geluTanhArgV(x)
  return [vh, more[0], more[1], more[2]]
}

/** geluTanhArg's vh, with vl, wh, wl left in more[0..2]. */
export function geluTanhArgV(x: number): number {
  const x2h = twoProdP(x, x)
  const x2l = more[0]
  const th = twoProdP(GELU_A_HI, x2h)
  const tl = add(more[0], add(mul(GELU_A_HI, x2l), mul(GELU_A_LO, x2h)))
  const uh = twoSumS(1, th)
  const ul = add(more[0], tl)
  const wh = twoProdP(K2_HI, x)
  const wl = add(more[0], mul(K2_LO, x))
  const vh = twoProdP(wh, uh)
  more[0] = add(more[0], add(mul(wh, ul), mul(wl, uh)))
  more[1] = wh
  more[2] = wl
  return vh
}

/**
 * GPT-2's GELU, 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))), evaluated as x * sigmoid(2u), which is
 * the same function but has no 1 + tanh cancellation for negative x.
 */
export function geluTanh(x: number): number {
  if (x !== x) return NaN
  if (x >= 10) return x // sigmoid(2u) rounds to 1 from here on
  if (x <= -11) return -0 // the true value is below half the smallest subnormal
  const vh = geluTanhArgV(x)
  const vl = more[0]
  const negative = vh < 0
  const y = expY(negative ? vh : neg(vh), negative ? vl : neg(vl))
  const k = more[0]
  const d = add(1, ldexp(y, k))
  return negative ? ldexp(div(mul(x, y), d), k) : mul(x, div(1, d))
}

// Phi(x) = 1/2 + x P(x^2) for |x| < 0.75; beyond, the upper tail Q(a) = e^(-a^2/2) H(a) / a, with
// H(a) = a Q(a) e^(a^2/2) a smooth fit: in (a - 1.5) on [0.75, 3), in 1/a on [3, 14.5]. Fitted here
// (least squares on relative error, then rounded to f32); measured error in softfloat.test.ts.
const PHI_SMALL = coefficients([0x38d7e1cb, 0xba9ad559, 0x3c236310, 0xbd882c10, 0x3ecc422a])
const MILLS_MID = coefficients([
  0xb609cc94, 0x3783483b, 0xb886b54c, 0x3965083a, 0xba3ad781, 0x3b10ca39, 0xbbcf785a, 0x3c86b0c2, 0xbd199024,
  0x3d90201a, 0x3e9e0a20,
])
const MILLS_TAIL = coefficients([
  0xc095fbef, 0x40ca0c81, 0xbfbd1e2e, 0xc00e1a38, 0x3fd686d8, 0xbd739a2e, 0xbeca0650, 0xb9381005, 0x3ecc428e,
])
export const INV_SQRT_2PI = c(0x3ecc422a)

export function phiSmall(x: number): number {
  return add(0.5, mul(x, poly(PHI_SMALL, mul(x, x))))
}

/** e^(-a^2/2) as expParts' [y, k], with a^2 carried exactly so large a lose nothing. */
export function gaussParts(a: number): [number, number] {
  const y = gaussY(a)
  return [y, more[0]]
}

/** gaussParts' y, with k left in more[0]. */
export function gaussY(a: number): number {
  const h = twoProdP(a, a)
  return expY(mul(h, -0.5), mul(more[0], -0.5))
}

/** H(a) for a in [0.75, 14.5]; w = 1/a. */
export function millsFit(a: number, w: number): number {
  return a < 3 ? poly(MILLS_MID, sub(a, 1.5)) : poly(MILLS_TAIL, w)
}

/** The exact GELU, x Phi(x) = 0.5x(1 + erf(x / sqrt 2)). */
export function geluErf(x: number): number {
  if (x !== x) return NaN
  if (x >= 6) return x // Q(x) < 2^-25 from here on
  if (x <= -14.5) return -0 // below half the smallest subnormal
  const a = abs(x)
  if (a < 0.75) return mul(x, phiSmall(x))
  const y = gaussY(a)
  const k = more[0]
  const w = div(1, a)
  const h = millsFit(a, w)
  // x < 0: x Q(a) = -e^(-a^2/2) H(a), scaled last so a subnormal result is rounded once.
  if (x < 0) return neg(ldexp(mul(y, h), k))
  return mul(x, sub(1, mul(mul(ldexp(y, k), h), w)))
}
