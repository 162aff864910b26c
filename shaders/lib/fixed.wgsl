// fixed: exact fixed-point accumulation of f32 values, for order-free sums (docs/determinism.md).
//
// A reduction first finds e_max, the largest exponent field among its finite inputs (zeros and
// subnormals count as 1): an integer max, exact. A finite x = ±m·2^(e-150) (m: the 24-bit
// significand, e = max(exponent field, 1)) becomes the 128-bit two's-complement integer
// x / 2^(e_max-214), rounded to nearest-even: the largest inputs' ulp lands on bit 64, so terms with
// e >= e_max-64 are exact and only smaller ones round (odd-symmetric, so x and -x still cancel).
// A term is < 2^88, so 2^39 of them cannot reach the sign bit. Integer addition is associative:
// any thread count, tree or order gives the same words. The total is rounded once (RNE) to f32.
// NaN and infinities are tracked as flags beside the sum. Only integer operations: values travel as
// u32 bit patterns, since GPUs may fuse, reassociate, flush or approximate float arithmetic.
// Accumulators are vec4<u32>, least significant word in .x.

const FX_NAN: u32 = 1u;
const FX_POS_INF: u32 = 2u;
const FX_NEG_INF: u32 = 4u;
// -0 is the sum only if every term is -0 (IEEE: -0 + -0 = -0, -0 + +0 = +0; an empty sum is +0).
const FX_NEG_ZERO: u32 = 8u;
const FX_NOT_NEG_ZERO: u32 = 16u;
const FX_GUARD: i32 = 64;
const FX_CANONICAL_NAN: u32 = 0x7fc00000u;

// e as above for a finite value; 0 for NaN and infinities, so they never set the scale.
fn fx_exponent(bits: u32) -> u32 {
  let ex = (bits >> 23u) & 0xffu;
  return select(max(ex, 1u), 0u, ex == 255u);
}

// What a value contributes to a sum's flags; combine with bitwise or.
fn fx_flags(bits: u32) -> u32 {
  var f = select(FX_NOT_NEG_ZERO, FX_NEG_ZERO, bits == 0x80000000u);
  if ((bits & 0x7f800000u) == 0x7f800000u) {
    if ((bits & 0x7fffffu) != 0u) {
      f |= FX_NAN;
    } else {
      f |= select(FX_POS_INF, FX_NEG_INF, (bits >> 31u) == 1u);
    }
  }
  return f;
}

fn fx_add(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
  let s = a + b;
  let c = select(vec4<u32>(0u), vec4<u32>(1u), s < a);
  // A word that wrapped holds at most 0xfffffffe, so an incoming carry cannot wrap it again.
  let y = s.y + c.x;
  let cy = c.y + select(0u, 1u, y < s.y);
  let z = s.z + cy;
  let cz = c.z + select(0u, 1u, z < s.z);
  return vec4<u32>(s.x, y, z, s.w + cz);
}

fn fx_neg(a: vec4<u32>) -> vec4<u32> {
  return fx_add(~a, vec4<u32>(1u, 0u, 0u, 0u));
}

// x in units of 2^(e_max-214), rounded to nearest-even. Needs fx_exponent(bits) <= e_max.
fn fx_term(bits: u32, e_max: u32) -> vec4<u32> {
  let ex = (bits >> 23u) & 0xffu;
  if (ex == 255u) {
    return vec4<u32>(0u);
  }
  let m = (bits & 0x7fffffu) | select(0u, 0x800000u, ex != 0u);
  let shift = i32(max(ex, 1u)) - i32(e_max) + FX_GUARD;
  var t = vec4<u32>(0u);
  if (shift >= 0) {
    let w = u32(shift) / 32u;
    let o = u32(shift) % 32u;
    let lo = m << o;
    let hi = select(0u, m >> (32u - o), o != 0u);
    t = vec4<u32>(
      select(0u, lo, w == 0u),
      select(0u, lo, w == 1u) | select(0u, hi, w == 0u),
      select(0u, lo, w == 2u) | select(0u, hi, w == 1u),
      select(0u, hi, w == 2u),
    );
  } else if (shift > -32) {
    let s = u32(-shift);
    let q = m >> s;
    let rem = m & ((1u << s) - 1u);
    let half = 1u << (s - 1u);
    t.x = q + select(0u, 1u, rem > half || (rem == half && (q & 1u) == 1u));
  }
  return select(t, fx_neg(t), (bits >> 31u) == 1u);
}

// The 32 bits of a starting at bit s (s < 128), zeros above bit 127.
fn fx_bits_at(a: vec4<u32>, s: u32) -> u32 {
  let w = s / 32u;
  let o = s % 32u;
  let hi = select(0u, a[min(w + 1u, 3u)] << (32u - o), o != 0u && w < 3u);
  return (a[w] >> o) | hi;
}

fn fx_any_below(a: vec4<u32>, s: u32) -> bool {
  var seen = 0u;
  for (var i = 0u; i < 4u; i++) {
    if (s >= i * 32u + 32u) {
      seen |= a[i];
    } else if (s > i * 32u) {
      seen |= a[i] & ((1u << (s - i * 32u)) - 1u);
    }
  }
  return seen != 0u;
}

// Index of the highest set bit, -1 for zero.
fn fx_top_bit(a: vec4<u32>) -> i32 {
  for (var i = 3i; i >= 0i; i--) {
    if (a[i] != 0u) {
      return i * 32i + 31i - i32(countLeadingZeros(a[i]));
    }
  }
  return -1i;
}

// a << s for 0 <= s < 128.
fn fx_shl(a: vec4<u32>, s: u32) -> vec4<u32> {
  var r = vec4<u32>(0u);
  for (var i = 0u; i < 4u; i++) {
    let src = i32(i * 32u) - i32(s);
    if (src >= 0i) {
      r[i] = fx_bits_at(a, u32(src));
    } else if (src > -32i) {
      r[i] = a.x << u32(-src);
    }
  }
  return r;
}

// The f32 bits (sign clear) nearest to mag·2^lsb, ties to even; overflow gives +Inf. `sticky` says
// nonzero bits lie below mag's lowest bit; only valid when the rounding position is above bit 0.
fn fx_round_mag(mag: vec4<u32>, lsb: i32, sticky: bool) -> u32 {
  let p = fx_top_bit(mag);
  if (p < 0i) {
    return 0u;
  }
  let r = max(p - 23i, -149i - lsb); // bit of mag that becomes the result's ulp
  let biased = r + lsb + 149i; // exponent field - 1 for normals, 0 for subnormals
  if (biased >= 254i) {
    return 0x7f800000u;
  }
  if (r > p + 1i) {
    return 0u; // below half the smallest subnormal
  }
  if (r <= 0i) {
    return (u32(biased) << 23u) + (mag.x << u32(-r)); // exact: p <= 23
  }
  let ur = u32(r);
  var q = 0u; // r = p + 1 leaves only the rounding bit
  if (r <= p) {
    q = fx_bits_at(mag, ur);
  }
  let half_bit = (fx_bits_at(mag, ur - 1u) & 1u) == 1u;
  if (half_bit && (sticky || fx_any_below(mag, ur - 1u) || (q & 1u) == 1u)) {
    q += 1u; // a carry into the exponent field is the right answer, up to +Inf
  }
  return (u32(biased) << 23u) + q;
}

// The f32 for NaN/infinity flags (any NaN, or both infinities: canonical NaN), else 0xffffffff.
fn fx_special(flags: u32) -> u32 {
  if ((flags & FX_NAN) != 0u || (flags & (FX_POS_INF | FX_NEG_INF)) == (FX_POS_INF | FX_NEG_INF)) {
    return FX_CANONICAL_NAN;
  }
  if ((flags & FX_POS_INF) != 0u) {
    return 0x7f800000u;
  }
  return select(0xffffffffu, 0xff800000u, (flags & FX_NEG_INF) != 0u);
}

fn fx_zero(flags: u32) -> u32 {
  return select(0u, 0x80000000u, (flags & (FX_NEG_ZERO | FX_NOT_NEG_ZERO)) == FX_NEG_ZERO);
}

// The sum acc·2^(e_max-214) rounded once to f32.
fn fx_to_f32(acc: vec4<u32>, e_max: u32, flags: u32) -> u32 {
  let special = fx_special(flags);
  if (special != 0xffffffffu) {
    return special;
  }
  if (all(acc == vec4<u32>(0u))) {
    return fx_zero(flags);
  }
  let neg = (acc.w >> 31u) == 1u;
  let mag = select(acc, fx_neg(acc), neg);
  return fx_round_mag(mag, i32(max(e_max, 1u)) - 150i - FX_GUARD, false) | select(0u, 0x80000000u, neg);
}

// The sum divided by n (n >= 1), rounded once to f32: the mean with a single rounding.
fn fx_div_to_f32(acc: vec4<u32>, e_max: u32, flags: u32, n: u32) -> u32 {
  let special = fx_special(flags);
  if (special != 0xffffffffu) {
    return special;
  }
  if (all(acc == vec4<u32>(0u))) {
    return fx_zero(flags);
  }
  let neg = (acc.w >> 31u) == 1u;
  let mag = select(acc, fx_neg(acc), neg);
  // Normalise so bit 127 is set: the quotient then keeps >= 96 bits and the remainder is sticky.
  let sh = 127i - fx_top_bit(mag);
  let num = fx_shl(mag, u32(sh));
  // n = 2^k needs no division: the quotient is num itself, k bits lower. Otherwise schoolbook division,
  // most significant digit first: for n < 2^16 the digits are 16 bits (the remainder times 2^16 plus a
  // digit still fits a u32, and u32 division is exact on every adapter: 8 steps, not 128), else one bit
  // a step. Each way gives the exact quotient and remainder. The trip counts are uniform (n is) rather
  // than branches, which a CPU adapter would run both sides of.
  let pow2 = countOneBits(n) == 1u;
  let k = select(0i, i32(firstTrailingBit(n)), pow2);
  let short = (n < 0x10000u) & !pow2;
  var q = select(vec4<u32>(0u), num, pow2);
  var rem = 0u;
  for (var i = 0u; i < select(0u, 8u, short); i++) {
    let w = 3u - i / 2u;
    let at = select(0u, 16u, (i & 1u) == 0u);
    let cur = (rem << 16u) | ((num[w] >> at) & 0xffffu);
    let d = cur / n;
    rem = cur - d * n;
    q[w] |= d << at;
  }
  for (var i = 0u; i < select(128u, 0u, short | pow2); i++) {
    let w = 3u - i / 32u;
    let b = 31u - i % 32u;
    let top = rem >> 31u; // the shifted remainder needs 33 bits; it is then >= n
    rem = (rem << 1u) | ((num[w] >> b) & 1u);
    let take = (top == 1u) | (rem >= n);
    rem = select(rem, rem - n, take);
    q[w] |= select(0u, 1u, take) << b;
  }
  let lsb = i32(max(e_max, 1u)) - 150i - FX_GUARD - sh - k;
  return fx_round_mag(q, lsb, rem != 0u) | select(0u, 0x80000000u, neg);
}

// A u32 whose unsigned order is the f32 order (-0 < +0); NaNs land beyond the infinities.
fn fx_order_key(bits: u32) -> u32 {
  return bits ^ select(0x80000000u, 0xffffffffu, (bits >> 31u) == 1u);
}

fn fx_from_order_key(key: u32) -> u32 {
  return key ^ select(0xffffffffu, 0x80000000u, (key >> 31u) == 1u);
}

// e^(x - m) for softmax and cross-entropy (here because this file is prepended to both). x - m is
// split exactly into hi + lo (Knuth's TwoSum, exact in round-to-nearest without overflow), so
// its rounding error does not grow with |x - m| the way exp(fl(x - m)) does. Twin: expSub in
// src/kernels/softmax.ts.
fn fx_exp_sub(x: u32, m: u32) -> u32 {
  let hi = sf_sub(x, m);
  let x1 = sf_add(hi, m);
  let nm1 = sf_sub(hi, x1);
  let lo = sf_add(sf_sub(x, x1), sf_sub(m ^ 0x80000000u, nm1));
  // lo must be tiny next to 1: use it only for |hi| < 128 (below -104 the result is 0 anyway);
  // past that lo can be huge, or NaN once hi has overflowed.
  let small = (hi & 0x7fffffffu) < 0x43000000u;
  let s = sf_exp_parts(hi, select(0u, lo, small));
  return sf_ldexp(s.y, s.k);
}
