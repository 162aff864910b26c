// softfloat: IEEE 754 binary32 arithmetic on bit patterns (u32), built from integer operations only.
// WGSL lets a compiler fuse a*b+c, flush subnormals and approximate exp/log/sqrt, so deterministic
// kernels never touch f32 arithmetic: they call these functions, whose integer ops every adapter
// evaluates the same way. src/kernels/softfloat.ts is the TypeScript twin; docs/determinism-softfloat.md
// explains the algorithms. Longer than our usual file because the prelude is one file per library and
// the primitives and the transcendentals built on them must ship together.
// Every name starts with sf_ (SF_ for constants): this text is prepended to every kernel.

const SF_NAN: u32 = 0x7fc00000u;
const SF_INF: u32 = 0x7f800000u;
const SF_SIGN: u32 = 0x80000000u;
const SF_ONE: u32 = 0x3f800000u;

fn sf_is_nan(a: u32) -> bool {
  return (a & 0x7fffffffu) > SF_INF;
}

fn sf_bit(c: bool) -> u32 {
  return select(0u, 1u, c);
}

// a >> n, with every bit shifted out OR-ed into bit 0 so rounding still sees it. WGSL masks shift
// amounts to 5 bits, so n >= 32 is handled by hand.
fn sf_shr_jam(a: u32, n: u32) -> u32 {
  if (n == 0u) {
    return a;
  }
  if (n >= 32u) {
    return sf_bit(a != 0u);
  }
  return (a >> n) | sf_bit((a << (32u - n)) != 0u);
}

// A finite nonzero value as m * 2^(e - 150) with m's leading one at bit 23; subnormals are
// normalised, so e can drop below 1 and every later step treats them like normal numbers.
struct sf_parts {
  e: i32,
  m: u32,
}

fn sf_unpack(a: u32) -> sf_parts {
  let e = i32((a >> 23u) & 0xffu);
  let f = a & 0x7fffffu;
  if (e != 0) {
    return sf_parts(e, f | 0x800000u);
  }
  let s = countLeadingZeros(f) - 8u;
  return sf_parts(1 - i32(s), f << s);
}

// Rounds sig * 2^(e - 156) to nearest-even and packs it (Berkeley SoftFloat's roundPackToF32).
// sig's leading one must be at bit 30 when e > 0; bits 6..0 are guard and sticky bits. e <= 0 makes a
// subnormal (shifting with jam before the one rounding, so there is no double rounding); rounding
// may carry into the exponent field, which is why the fields are added, not OR-ed.
fn sf_round_pack(sign: u32, e: i32, sig: u32) -> u32 {
  var s = sig;
  var ex = e;
  if (ex < 0) {
    s = sf_shr_jam(s, u32(-ex));
    ex = 0;
  } else if (ex > 0xfd || (ex == 0xfd && s >= 0x7fffffc0u)) {
    return (sign << 31u) | SF_INF;
  }
  let round_bits = s & 0x7fu;
  s = (s + 0x40u) >> 7u;
  if (round_bits == 0x40u) {
    s = s & ~1u;
  }
  return (sign << 31u) + (u32(ex) << 23u) + s;
}

fn sf_add(a: u32, b: u32) -> u32 {
  if (sf_is_nan(a) || sf_is_nan(b)) {
    return SF_NAN;
  }
  let aa = a & 0x7fffffffu;
  let ab = b & 0x7fffffffu;
  if (aa == SF_INF) {
    return select(a, SF_NAN, ab == SF_INF && a != b);
  }
  if (ab == SF_INF) {
    return b;
  }
  if (aa == 0u) {
    // (-0) + (-0) = -0, every other sum of zeros is +0.
    return select(b, a & b, ab == 0u);
  }
  if (ab == 0u) {
    return a;
  }
  let swap = ab > aa;
  let x = select(a, b, swap);
  let y = select(b, a, swap);
  let px = sf_unpack(x);
  let py = sf_unpack(y);
  // Six spare low bits: the smaller operand's shifted-out bits are jammed, and a difference can need
  // at most two of them for renormalisation, so the one rounding below sees exact guard bits.
  let mx = px.m << 6u;
  let my = sf_shr_jam(py.m << 6u, u32(px.e - py.e));
  var s = mx + my;
  if ((x ^ y) >= SF_SIGN) {
    s = mx - my;
  }
  if (s == 0u) {
    return 0u;
  }
  let k = countLeadingZeros(s) - 1u;
  return sf_round_pack(x >> 31u, px.e - i32(k), s << k);
}

fn sf_sub(a: u32, b: u32) -> u32 {
  return sf_add(a, b ^ SF_SIGN);
}

// The full 64-bit product of two u32 as (high, low), from 16-bit halves.
fn sf_mul_wide(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let t = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return vec2<u32>(ah * bh + (lh >> 16u) + (hl >> 16u) + (t >> 16u), (ll & 0xffffu) | (t << 16u));
}

fn sf_mul(a: u32, b: u32) -> u32 {
  if (sf_is_nan(a) || sf_is_nan(b)) {
    return SF_NAN;
  }
  let sign = (a ^ b) >> 31u;
  let aa = a & 0x7fffffffu;
  let ab = b & 0x7fffffffu;
  if (aa == SF_INF || ab == SF_INF) {
    return select((sign << 31u) | SF_INF, SF_NAN, aa == 0u || ab == 0u);
  }
  if (aa == 0u || ab == 0u) {
    return sign << 31u;
  }
  let pa = sf_unpack(a);
  let pb = sf_unpack(b);
  // The 48-bit product lies in [2^46, 2^48); keep its top 31 bits, jamming the other 17.
  let p = sf_mul_wide(pa.m, pb.m);
  var sig = (p.x << 15u) | (p.y >> 17u) | sf_bit((p.y & 0x1ffffu) != 0u);
  var e = pa.e + pb.e - 127;
  if (sig < 0x40000000u) {
    sig = sig << 1u;
    e = e - 1;
  }
  return sf_round_pack(sign, e, sig);
}

fn sf_div(a: u32, b: u32) -> u32 {
  if (sf_is_nan(a) || sf_is_nan(b)) {
    return SF_NAN;
  }
  let sign = (a ^ b) >> 31u;
  let aa = a & 0x7fffffffu;
  let ab = b & 0x7fffffffu;
  if (aa == SF_INF) {
    return select((sign << 31u) | SF_INF, SF_NAN, ab == SF_INF);
  }
  if (ab == SF_INF) {
    return sign << 31u;
  }
  if (ab == 0u) {
    return select((sign << 31u) | SF_INF, SF_NAN, aa == 0u);
  }
  if (aa == 0u) {
    return sign << 31u;
  }
  let pa = sf_unpack(a);
  let pb = sf_unpack(b);
  var r = pa.m;
  var e = pa.e - pb.e + 126;
  if (r < pb.m) {
    r = r << 1u;
    e = e - 1;
  }
  // Restoring division, one quotient bit per step: 24 bits, a guard bit and one more, with the
  // remainder as sticky. Plain compares and subtractions, so no adapter can answer differently.
  var q = 0u;
  for (var i = 0u; i < 26u; i++) {
    q = q << 1u;
    if (r >= pb.m) {
      r = r - pb.m;
      q = q | 1u;
    }
    r = r << 1u;
  }
  return sf_round_pack(sign, e, (q << 5u) | sf_bit(r != 0u));
}

fn sf_sqrt(a: u32) -> u32 {
  if (sf_is_nan(a)) {
    return SF_NAN;
  }
  if ((a & 0x7fffffffu) == 0u || a == SF_INF) {
    return a;
  }
  if (a >= SF_SIGN) {
    return SF_NAN;
  }
  let p = sf_unpack(a);
  // value = m * 2^t with t even and m in [2^24, 2^26); the root of m * 2^26 then has 26 bits.
  var t = p.e - 150;
  var m = p.m << 1u;
  if ((t & 1) == 0) {
    m = p.m << 2u;
    t = t - 2;
  } else {
    t = t - 1;
  }
  // Digit-by-digit square root, two radicand bits per step: m's 13 pairs, then 13 pairs of zeros.
  var rem = 0u;
  var root = 0u;
  for (var i = 0u; i < 26u; i++) {
    var pair = 0u;
    if (i < 13u) {
      pair = (m >> (24u - 2u * i)) & 3u;
    }
    rem = (rem << 2u) | pair;
    let trial = (root << 2u) | 1u;
    root = root << 1u;
    if (rem >= trial) {
      rem = rem - trial;
      root = root | 1u;
    }
  }
  return sf_round_pack(0u, (t >> 1u) + 138, (root << 5u) | sf_bit(rem != 0u));
}

fn sf_neg(a: u32) -> u32 {
  return select(a ^ SF_SIGN, SF_NAN, sf_is_nan(a));
}

fn sf_abs(a: u32) -> u32 {
  return select(a & 0x7fffffffu, SF_NAN, sf_is_nan(a));
}

// A signed integer that orders floats like IEEE comparison does, with -0 == +0.
fn sf_order_key(a: u32) -> i32 {
  if (a >= SF_SIGN) {
    return -i32(a & 0x7fffffffu);
  }
  return i32(a);
}

fn sf_lt(a: u32, b: u32) -> bool {
  return !sf_is_nan(a) && !sf_is_nan(b) && sf_order_key(a) < sf_order_key(b);
}

fn sf_le(a: u32, b: u32) -> bool {
  return !sf_is_nan(a) && !sf_is_nan(b) && sf_order_key(a) <= sf_order_key(b);
}

fn sf_eq(a: u32, b: u32) -> bool {
  return !sf_is_nan(a) && !sf_is_nan(b) && sf_order_key(a) == sf_order_key(b);
}

// IEEE 754-2019 maximum/minimum: NaN if either is NaN, and +0 > -0.
fn sf_max(a: u32, b: u32) -> u32 {
  if (sf_is_nan(a) || sf_is_nan(b)) {
    return SF_NAN;
  }
  if (sf_order_key(a) == sf_order_key(b)) {
    return a & b;
  }
  return select(b, a, sf_order_key(a) > sf_order_key(b));
}

fn sf_min(a: u32, b: u32) -> u32 {
  if (sf_is_nan(a) || sf_is_nan(b)) {
    return SF_NAN;
  }
  if (sf_order_key(a) == sf_order_key(b)) {
    return a | b;
  }
  return select(b, a, sf_order_key(a) < sf_order_key(b));
}

fn sf_from_i32(n: i32) -> u32 {
  if (n == 0) {
    return 0u;
  }
  let neg = n < 0;
  let mag = select(u32(n), 0u - u32(n), neg);
  let lz = countLeadingZeros(mag);
  if (lz == 0u) {
    return sf_round_pack(sf_bit(neg), 157, sf_shr_jam(mag, 1u));
  }
  return sf_round_pack(sf_bit(neg), 157 - i32(lz), mag << (lz - 1u));
}

// a * 2^n, rounded once (so subnormal results are correctly rounded too).
fn sf_ldexp(a: u32, n: i32) -> u32 {
  if (sf_is_nan(a)) {
    return SF_NAN;
  }
  if ((a & 0x7fffffffu) == 0u || (a & 0x7fffffffu) == SF_INF) {
    return a;
  }
  let p = sf_unpack(a);
  // Beyond +-400 every finite input has already over- or underflowed; clamping keeps e in range.
  return sf_round_pack(a >> 31u, p.e + clamp(n, -400, 400) - 1, p.m << 7u);
}

// Nearest integer, ties to even; NaN gives 0 and out-of-range values saturate.
fn sf_round_to_i32(a: u32) -> i32 {
  if (sf_is_nan(a)) {
    return 0;
  }
  let neg = a >= SF_SIGN;
  let aa = a & 0x7fffffffu;
  if (aa >= 0x4f000000u) {
    return select(2147483647, bitcast<i32>(SF_SIGN), neg);
  }
  let e = i32(aa >> 23u);
  if (e < 126) {
    return 0;
  }
  let m = (aa & 0x7fffffu) | 0x800000u;
  var q: u32;
  if (e >= 150) {
    q = m << u32(e - 150);
  } else {
    let sh = u32(150 - e);
    q = m >> sh;
    let rem = m & ((1u << sh) - 1u);
    let half = 1u << (sh - 1u);
    if (rem > half || (rem == half && (q & 1u) == 1u)) {
      q = q + 1u;
    }
  }
  return select(i32(q), -i32(q), neg);
}

// ---- Transcendentals: fixed sequences of the primitives above, mirrored line for line in
// src/kernels/softfloat.ts (which documents each step). Never reorder or fuse one side alone. ----

const SF_HALF: u32 = 0x3f000000u;
const SF_LOG2E: u32 = 0x3fb8aa3bu;
// Cody–Waite split of ln 2: the high part has 9 significant bits, so k * hi is exact.
const SF_LN2_HI: u32 = 0x3f318000u;
const SF_LN2_LO: u32 = 0xb95e8083u;

// value = y * 2^k; callers that divide or multiply y before scaling round once into subnormals.
struct sf_scaled {
  y: u32,
  k: i32,
}

fn sf_exp_poly(r: u32) -> u32 {
  var p = 0x39506967u;
  p = sf_add(sf_mul(p, r), 0x3ab743ceu);
  p = sf_add(sf_mul(p, r), 0x3c088908u);
  p = sf_add(sf_mul(p, r), 0x3d2aa9c1u);
  p = sf_add(sf_mul(p, r), 0x3e2aaaaau);
  return sf_add(sf_mul(p, r), 0x3f000000u);
}

// e^(hi + lo), lo tiny next to 1 (the extra bits of a compensated argument).
fn sf_exp_parts(hi: u32, lo: u32) -> sf_scaled {
  let x = sf_min(sf_max(hi, 0xc2dc0000u), 0x42c80000u); // clamp to [-110, 100]
  let k = sf_round_to_i32(sf_mul(x, SF_LOG2E));
  let kf = sf_from_i32(k);
  let r = sf_add(sf_sub(sf_sub(x, sf_mul(kf, SF_LN2_HI)), sf_mul(kf, SF_LN2_LO)), lo);
  let y = sf_add(sf_add(sf_mul(sf_exp_poly(r), sf_mul(r, r)), r), SF_ONE);
  return sf_scaled(y, k);
}

fn sf_exp(x: u32) -> u32 {
  let s = sf_exp_parts(x, 0u);
  return sf_ldexp(s.y, s.k);
}

fn sf_log_poly(t: u32) -> u32 {
  var p = 0x3d9021bbu;
  p = sf_add(sf_mul(p, t), 0xbdebd1b8u);
  p = sf_add(sf_mul(p, t), 0x3def251au);
  p = sf_add(sf_mul(p, t), 0xbdfe5d4fu);
  p = sf_add(sf_mul(p, t), 0x3e11e9bfu);
  p = sf_add(sf_mul(p, t), 0xbe2aae50u);
  p = sf_add(sf_mul(p, t), 0x3e4cceacu);
  p = sf_add(sf_mul(p, t), 0xbe7ffffcu);
  return sf_add(sf_mul(p, t), 0x3eaaaaaau);
}

fn sf_log(a: u32) -> u32 {
  if (sf_is_nan(a) || a > SF_SIGN) {
    return SF_NAN;
  }
  if ((a & 0x7fffffffu) == 0u) {
    return 0xff800000u;
  }
  if (a == SF_INF) {
    return a;
  }
  let p = sf_unpack(a);
  let m = (126u << 23u) | (p.m & 0x7fffffu); // a = m * 2^e, m in [0.5, 1)
  var e = p.e - 126;
  var t = sf_sub(m, SF_ONE);
  if (sf_lt(m, 0x3f3504f3u)) { // sqrt(1/2)
    e = e - 1;
    t = sf_sub(sf_add(m, m), SF_ONE);
  }
  let z = sf_mul(t, t);
  var y = sf_mul(sf_mul(sf_log_poly(t), t), z);
  let fe = sf_from_i32(e);
  if (e != 0) {
    y = sf_add(y, sf_mul(fe, SF_LN2_LO));
  }
  y = sf_sub(y, sf_mul(SF_HALF, z));
  let r = sf_add(t, y);
  if (e != 0) {
    return sf_add(r, sf_mul(fe, SF_LN2_HI));
  }
  return r;
}

fn sf_tanh_poly(s: u32) -> u32 {
  var p = 0xbbbaf0eau;
  p = sf_add(sf_mul(p, s), 0x3ca9134eu);
  p = sf_add(sf_mul(p, s), 0xbd5c1e2du);
  p = sf_add(sf_mul(p, s), 0x3e088393u);
  return sf_add(sf_mul(p, s), 0xbeaaaa99u);
}

fn sf_tanh(x: u32) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  let z = x & 0x7fffffffu;
  if (sf_lt(0x42300000u, z)) { // 44
    return (x & SF_SIGN) | SF_ONE;
  }
  if (sf_le(0x3f200000u, z)) { // 0.625
    let r = sf_sub(SF_ONE, sf_div(0x40000000u, sf_add(sf_exp(sf_add(z, z)), SF_ONE)));
    return (x & SF_SIGN) | r;
  }
  if (z == 0u) {
    return x;
  }
  let s = sf_mul(x, x);
  return sf_add(sf_mul(sf_mul(sf_tanh_poly(s), s), x), x);
}

fn sf_sigmoid(x: u32) -> u32 {
  let s = sf_exp_parts(sf_neg(sf_abs(x)), 0u);
  let d = sf_add(SF_ONE, sf_ldexp(s.y, s.k));
  if (sf_lt(x, 0u)) {
    return sf_ldexp(sf_div(s.y, d), s.k);
  }
  return sf_div(SF_ONE, d);
}

fn sf_rsqrt(x: u32) -> u32 {
  return sf_div(SF_ONE, sf_sqrt(x));
}

// ---- Compensated arithmetic (value = x + y of a vec2): the GELU tails are e^v with |v| up to
// ~110, where one rounding of v alone would cost ~100 ulp. ----

// a * b exactly as (product, error) (Dekker). Masking 12 mantissa bits leaves halves whose
// products have at most 24 significant bits, so every partial product below is exact.
fn sf_two_prod(a: u32, b: u32) -> vec2<u32> {
  let p = sf_mul(a, b);
  let ah = a & 0xfffff000u;
  let al = sf_sub(a, ah);
  let bh = b & 0xfffff000u;
  let bl = sf_sub(b, bh);
  let e = sf_add(sf_add(sf_add(sf_sub(sf_mul(ah, bh), p), sf_mul(ah, bl)), sf_mul(al, bh)), sf_mul(al, bl));
  return vec2<u32>(p, e);
}

// a + b exactly as (sum, error) (Knuth).
fn sf_two_sum(a: u32, b: u32) -> vec2<u32> {
  let s = sf_add(a, b);
  let bb = sf_sub(s, a);
  return vec2<u32>(s, sf_add(sf_sub(a, sf_sub(s, bb)), sf_sub(b, bb)));
}


// v = 2 sqrt(2/pi) (x + 0.044715 x^3) as hi + lo (.xy), for |x| <= 11, and w = 2 sqrt(2/pi) x
// (.zw), which the derivative needs.
fn sf_gelu_tanh_arg(x: u32) -> vec4<u32> {
  let x2 = sf_two_prod(x, x);
  let t = sf_two_prod(0x3d372713u, x2.x);
  let tl = sf_add(t.y, sf_add(sf_mul(0x3d372713u, x2.y), sf_mul(0x30d4801fu, x2.x)));
  let u = sf_two_sum(SF_ONE, t.x);
  let ul = sf_add(u.y, tl);
  let w = sf_two_prod(0x3fcc422au, x);
  let wl = sf_add(w.y, sf_mul(0xb342bc9bu, x));
  let v = sf_two_prod(w.x, u.x);
  return vec4<u32>(v.x, sf_add(v.y, sf_add(sf_mul(w.x, ul), sf_mul(wl, u.x))), w.x, wl);
}

// GPT-2's GELU 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))), computed as x * sigmoid(v).
fn sf_gelu_tanh(x: u32) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  if (sf_le(0x41200000u, x)) { // 10
    return x;
  }
  if (sf_le(x, 0xc1300000u)) { // -11
    return SF_SIGN;
  }
  let v = sf_gelu_tanh_arg(x);
  let negative = sf_lt(v.x, 0u);
  let s = sf_exp_parts(select(sf_neg(v.x), v.x, negative), select(sf_neg(v.y), v.y, negative));
  let d = sf_add(SF_ONE, sf_ldexp(s.y, s.k));
  if (negative) {
    return sf_ldexp(sf_div(sf_mul(x, s.y), d), s.k);
  }
  return sf_mul(x, sf_div(SF_ONE, d));
}

const SF_INV_SQRT_2PI: u32 = 0x3ecc422au;

// Phi(x) = 1/2 + x P(x^2), for |x| < 0.75.
fn sf_phi_small(x: u32) -> u32 {
  let t = sf_mul(x, x);
  var p = 0x38d7e1cbu;
  p = sf_add(sf_mul(p, t), 0xba9ad559u);
  p = sf_add(sf_mul(p, t), 0x3c236310u);
  p = sf_add(sf_mul(p, t), 0xbd882c10u);
  p = sf_add(sf_mul(p, t), 0x3ecc422au);
  return sf_add(SF_HALF, sf_mul(x, p));
}

// e^(-a^2/2), with a^2 carried exactly.
fn sf_gauss_parts(a: u32) -> sf_scaled {
  let h = sf_two_prod(a, a);
  return sf_exp_parts(sf_mul(h.x, 0xbf000000u), sf_mul(h.y, 0xbf000000u));
}

// H(a) = a Q(a) e^(a^2/2) for a in [0.75, 14.5], w = 1/a; Q is the normal upper tail.
fn sf_mills_fit(a: u32, w: u32) -> u32 {
  if (sf_lt(a, 0x40400000u)) { // 3: a polynomial in a - 1.5 (exact for a in [0.75, 3])
    let t = sf_sub(a, 0x3fc00000u);
    var p = 0xb609cc94u;
    p = sf_add(sf_mul(p, t), 0x3783483bu);
    p = sf_add(sf_mul(p, t), 0xb886b54cu);
    p = sf_add(sf_mul(p, t), 0x3965083au);
    p = sf_add(sf_mul(p, t), 0xba3ad781u);
    p = sf_add(sf_mul(p, t), 0x3b10ca39u);
    p = sf_add(sf_mul(p, t), 0xbbcf785au);
    p = sf_add(sf_mul(p, t), 0x3c86b0c2u);
    p = sf_add(sf_mul(p, t), 0xbd199024u);
    p = sf_add(sf_mul(p, t), 0x3d90201au);
    return sf_add(sf_mul(p, t), 0x3e9e0a20u);
  }
  var p = 0xc095fbefu;
  p = sf_add(sf_mul(p, w), 0x40ca0c81u);
  p = sf_add(sf_mul(p, w), 0xbfbd1e2eu);
  p = sf_add(sf_mul(p, w), 0xc00e1a38u);
  p = sf_add(sf_mul(p, w), 0x3fd686d8u);
  p = sf_add(sf_mul(p, w), 0xbd739a2eu);
  p = sf_add(sf_mul(p, w), 0xbeca0650u);
  p = sf_add(sf_mul(p, w), 0xb9381005u);
  return sf_add(sf_mul(p, w), 0x3ecc428eu);
}

// The exact GELU x Phi(x) = 0.5x(1 + erf(x / sqrt 2)).
fn sf_gelu_erf(x: u32) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  if (sf_le(0x40c00000u, x)) { // 6
    return x;
  }
  if (sf_le(x, 0xc1680000u)) { // -14.5
    return SF_SIGN;
  }
  let a = x & 0x7fffffffu;
  if (sf_lt(a, 0x3f400000u)) { // 0.75
    return sf_mul(x, sf_phi_small(x));
  }
  let s = sf_gauss_parts(a);
  let w = sf_div(SF_ONE, a);
  let h = sf_mills_fit(a, w);
  if (sf_lt(x, 0u)) {
    return sf_neg(sf_ldexp(sf_mul(s.y, h), s.k));
  }
  return sf_mul(x, sf_sub(SF_ONE, sf_mul(sf_mul(sf_ldexp(s.y, s.k), h), w)));
}

// ---- erf, sin, cos: the twins of src/kernels/special.ts (which documents each step). ----

// Truncation toward zero of a finite f32 below 2^31 in magnitude, on its bits.
fn sf_trunc_to_i32(a: u32) -> i32 {
  let e = i32((a >> 23u) & 0xffu) - 127;
  if (e < 0) {
    return 0;
  }
  let m = (a & 0x7fffffu) | 0x800000u;
  var v = m >> u32(max(23 - e, 0));
  if (e > 23) {
    v = m << u32(e - 23);
  }
  if ((a & SF_SIGN) != 0u) {
    return -i32(v);
  }
  return i32(v);
}

fn sf_erf(x: u32) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  let a = x & 0x7fffffffu;
  if (sf_le(0x40800000u, a)) { // 4
    return (x & SF_SIGN) | SF_ONE;
  }
  let t = sf_mul(a, 0x3fb504f3u); // sqrt 2
  if (sf_lt(t, 0x3f400000u)) { // 0.75
    let u = sf_mul(sf_mul(x, x), 0x40000000u);
    var p = 0x38d7e1cbu;
    p = sf_add(sf_mul(p, u), 0xba9ad559u);
    p = sf_add(sf_mul(p, u), 0x3c236310u);
    p = sf_add(sf_mul(p, u), 0xbd882c10u);
    p = sf_add(sf_mul(p, u), 0x3ecc422au);
    return sf_mul(x, sf_mul(0x403504f3u, p)); // 2 sqrt 2
  }
  let h = sf_two_prod(a, a);
  let s = sf_exp_parts(sf_neg(h.x), sf_neg(h.y));
  let w = sf_div(SF_ONE, t);
  let r = sf_sub(SF_ONE, sf_ldexp(sf_mul(s.y, sf_mul(sf_mills_fit(t, w), w)), s.k + 1));
  if ((x & SF_SIGN) != 0u) {
    return sf_neg(r);
  }
  return r;
}

// sin (cos = false) or cos (cos = true) of x; NaN from |x| = 51471 on.
fn sf_sin_cos(x: u32, want_cos: bool) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  let a = x & 0x7fffffffu;
  if (!sf_lt(a, 0x47490f00u)) { // 51471
    return SF_NAN;
  }
  if (a == 0u) {
    if (want_cos) {
      return SF_ONE;
    }
    return x;
  }
  var j = sf_trunc_to_i32(sf_mul(a, 0x3fa2f983u)); // 4 / pi
  if ((j & 1) == 1) {
    j += 1;
  }
  let y = sf_from_i32(j);
  var r = sf_sub(a, sf_mul(y, 0x3f490000u)); // pi / 4 in five parts
  r = sf_sub(r, sf_mul(y, 0x397d0000u));
  r = sf_sub(r, sf_mul(y, 0x352a0000u));
  r = sf_sub(r, sf_mul(y, 0x30080000u));
  r = sf_sub(r, sf_mul(y, 0x2bb4611au));
  var octant = j & 7;
  var negative = !want_cos && (x & SF_SIGN) != 0u;
  if (octant > 3) {
    negative = !negative;
    octant -= 4;
  }
  if (want_cos && octant > 1) {
    negative = !negative;
  }
  let z = sf_mul(r, r);
  var v: u32;
  if ((octant == 2) != want_cos) {
    var p = 0x37ccf5ceu;
    p = sf_add(sf_mul(p, z), 0xbab6061au);
    p = sf_add(sf_mul(p, z), 0x3d2aaaa5u);
    v = sf_add(sf_sub(sf_mul(sf_mul(p, z), z), sf_mul(SF_HALF, z)), SF_ONE);
  } else {
    var p = 0xb94ca1f9u;
    p = sf_add(sf_mul(p, z), 0x3c08839eu);
    p = sf_add(sf_mul(p, z), 0xbe2aaaa3u);
    v = sf_add(sf_mul(sf_mul(p, z), r), r);
  }
  if (negative) {
    return sf_neg(v);
  }
  return v;
}

fn sf_sin(x: u32) -> u32 {
  return sf_sin_cos(x, false);
}

fn sf_cos(x: u32) -> u32 {
  return sf_sin_cos(x, true);
}
