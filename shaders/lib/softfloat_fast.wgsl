// softfloat_fast: the softfloat primitives cut down to normal operands and normal results, for a
// kernel's first pass. Each one either returns exactly what its sf_ twin returns or sets nf_slow; a
// kernel that sees nf_slow set for an element recomputes that element with the sf_ functions in a
// second, much smaller pass (shaders/elementwise.wgsl `fast` and `redo`). So the bits are the sf_
// functions' by construction, whatever the fast path gets wrong when it flags.
//
// Why: SwiftShader runs a shader's every branch for every lane, taken or not, so the cost of a softfloat
// call is all of its code, special cases included, and GELU inlines about sixty of them. Here the rare
// cases (zeros aside: NaN, Inf, subnormals, overflow, underflow) are one flag, not code. On a real GPU the
// first pass is the same arithmetic with fewer branches. Flags combine with `|` and `&`, never `||` or `&&`:
// WGSL's short-circuit operators are branches, and SwiftShader pays for each.
// Every name starts with nf_.

var<private> nf_slow: bool = false;

// A stand-in argument (about 1.2345) that no step flags: its significand is long, so no product of it is
// exact (an exact product's error is a zero whose sign only the full sequence decides).
const NF_TAME: u32 = 0x3f9e0419u;

// sf_round_pack for 0 < e < 0xfd, where it neither makes a subnormal nor overflows.
fn nf_pack(sign: u32, e: i32, s: u32) -> u32 {
  let r = (s + 0x40u) >> 7u;
  return (sign << 31u) + (u32(e) << 23u) + (r & ~sf_bit((s & 0x7fu) == 0x40u));
}

// True for a finite nonzero value whose exponent field is 0 (a subnormal) or 0xff (NaN, Inf).
fn nf_special(a: u32) -> bool {
  let e = (a >> 23u) & 0xffu;
  return (e == 0xffu) | ((e == 0u) & ((a & 0x7fffffffu) != 0u));
}

fn nf_add(a: u32, b: u32) -> u32 {
  let aa = a & 0x7fffffffu;
  let ab = b & 0x7fffffffu;
  let za = aa == 0u;
  let zb = ab == 0u;
  let swap = ab > aa;
  let x = select(a, b, swap);
  let y = select(b, a, swap);
  let ex = i32((x >> 23u) & 0xffu);
  let n = u32(ex - i32((y >> 23u) & 0xffu));
  let mx = ((x & 0x7fffffu) | 0x800000u) << 6u;
  let my0 = ((y & 0x7fffffu) | 0x800000u) << 6u;
  // sf_shr_jam(my0, n) without its branches.
  let jam = sf_bit((n != 0u) & ((my0 << ((32u - n) & 31u)) != 0u));
  let my = select((my0 >> (n & 31u)) | jam, 1u, n >= 32u);
  let s = select(mx + my, mx - my, (x ^ y) >= SF_SIGN);
  let k = countLeadingZeros(s) - 1u;
  let e = ex - i32(k);
  let exact = za | zb | (s == 0u); // x + 0, 0 + 0 and exact cancellation, as sf_add answers them
  nf_slow = nf_slow | nf_special(a) | nf_special(b) | (!exact & ((e <= 0) | (e >= 0xfd)));
  let zeros = select(select(a, b, za), a & b, za & zb);
  return select(select(nf_pack(x >> 31u, e, s << (k & 31u)), 0u, s == 0u), zeros, za | zb);
}

fn nf_sub(a: u32, b: u32) -> u32 {
  return nf_add(a, b ^ SF_SIGN);
}

fn nf_mul(a: u32, b: u32) -> u32 {
  let z = ((a & 0x7fffffffu) == 0u) | ((b & 0x7fffffffu) == 0u);
  let p = sf_mul_wide((a & 0x7fffffu) | 0x800000u, (b & 0x7fffffu) | 0x800000u);
  let sig = (p.x << 15u) | (p.y >> 17u) | sf_bit((p.y & 0x1ffffu) != 0u);
  let low = sig < 0x40000000u;
  let e = i32((a >> 23u) & 0xffu) + i32((b >> 23u) & 0xffu) - 127 - i32(sf_bit(low));
  nf_slow = nf_slow | nf_special(a) | nf_special(b) | (!z & ((e <= 0) | (e >= 0xfd)));
  return select(nf_pack((a ^ b) >> 31u, e, select(sig, sig << 1u, low)), (a ^ b) & SF_SIGN, z);
}

// a / b for b nonzero; a zero gives a signed zero as sf_div does.
fn nf_div(a: u32, b: u32) -> u32 {
  let za = (a & 0x7fffffffu) == 0u;
  let mb = (b & 0x7fffffu) | 0x800000u;
  var r = (a & 0x7fffffu) | 0x800000u;
  var e = i32((a >> 23u) & 0xffu) - i32((b >> 23u) & 0xffu) + 126;
  if (r < mb) {
    r = r << 1u;
    e = e - 1;
  }
  var q = 0u;
  for (var i = 0u; i < 26u; i++) {
    q = q << 1u;
    if (r >= mb) {
      r = r - mb;
      q = q | 1u;
    }
    r = r << 1u;
  }
  let zb = (b & 0x7fffffffu) == 0u;
  nf_slow = nf_slow | nf_special(a) | nf_special(b) | zb | (!za & ((e <= 0) | (e >= 0xfd)));
  return select(nf_pack((a ^ b) >> 31u, e, (q << 5u) | sf_bit(r != 0u)), (a ^ b) & SF_SIGN, za);
}

// a * 2^n for a normal (or zero) a and a normal result: only the exponent field moves.
fn nf_ldexp(a: u32, n: i32) -> u32 {
  let e = i32((a >> 23u) & 0xffu) + n;
  let z = (a & 0x7fffffffu) == 0u;
  nf_slow = nf_slow | nf_special(a) | (!z & ((e <= 0) | (e >= 0xff)));
  return select((a & 0x807fffffu) | (u32(e) << 23u), a, z);
}

// sf_from_i32 for |n| < 2^24, which converts exactly.
fn nf_from_i32(n: i32) -> u32 {
  let mag = u32(abs(n));
  let lz = countLeadingZeros(mag);
  nf_slow = nf_slow | (lz < 8u);
  let bits = (sf_bit(n < 0) << 31u) | (u32(158 - i32(lz)) << 23u) | ((mag << ((lz + 1u) & 31u)) >> 9u);
  return select(bits, 0u, n == 0);
}

// sf_round_to_i32 for |a| < 2^23 (ties to even).
fn nf_round_to_i32(a: u32) -> i32 {
  let e = i32((a >> 23u) & 0xffu);
  nf_slow = nf_slow | (e >= 150);
  let m = (a & 0x7fffffu) | 0x800000u;
  let sh = u32(clamp(150 - e, 1, 31));
  var q = m >> sh;
  let rem = m & ((1u << sh) - 1u);
  let half = 1u << (sh - 1u);
  q = q + sf_bit((rem > half) | ((rem == half) & ((q & 1u) == 1u)));
  return select(select(i32(q), -i32(q), a >= SF_SIGN), 0, e < 126);
}

// sf_two_prod's (p, e) from the exact product. Where both are normal, the product's unit
// 2^(ea + eb - 300) is at least 2^-149 and p neither overflows nor is exact, every step of Dekker's
// sequence in sf_two_prod is exact, so its e is a * b - p itself (docs/determinism-softfloat.md, "The
// first pass"): here the low word of the 48-bit product less p's significand, |d| <= 2^23.
fn nf_two_prod(a: u32, b: u32) -> vec2<u32> {
  let p = nf_mul(a, b);
  let ea = i32((a >> 23u) & 0xffu);
  let eb = i32((b >> 23u) & 0xffu);
  let w = sf_mul_wide((a & 0x7fffffu) | 0x800000u, (b & 0x7fffffu) | 0x800000u);
  let k = u32(i32((p >> 23u) & 0xffu) - ea - eb + 150) & 31u; // 23, 24 or 25
  let d = i32(w.y - (((p & 0x7fffffu) | 0x800000u) << k));
  let m = u32(abs(d));
  let lz = countLeadingZeros(m);
  let ef = ea + eb - 142 - i32(lz);
  nf_slow = nf_slow | (ea == 0) | (eb == 0) | (ea + eb < 151) | (ea + eb > 378) | (d == 0) | (ef < 1);
  let sign = ((a ^ b) & SF_SIGN) ^ select(0u, SF_SIGN, d < 0);
  return vec2<u32>(p, sign | (u32(ef) << 23u) | ((m << ((lz - 8u) & 31u)) & 0x7fffffu));
}

fn nf_two_sum(a: u32, b: u32) -> vec2<u32> {
  let s = nf_add(a, b);
  let bb = nf_sub(s, a);
  return vec2<u32>(s, nf_add(nf_sub(a, nf_sub(s, bb)), nf_sub(b, bb)));
}

fn nf_exp_poly(r: u32) -> u32 {
  var p = 0x39506967u;
  p = nf_add(nf_mul(p, r), 0x3ab743ceu);
  p = nf_add(nf_mul(p, r), 0x3c088908u);
  p = nf_add(nf_mul(p, r), 0x3d2aa9c1u);
  p = nf_add(nf_mul(p, r), 0x3e2aaaaau);
  return nf_add(nf_mul(p, r), 0x3f000000u);
}

// sf_exp_parts for hi in [-110, 100], where its clamp leaves hi alone.
fn nf_exp_parts(hi: u32, lo: u32) -> sf_scaled {
  nf_slow = nf_slow | sf_is_nan(hi) | sf_lt(hi, 0xc2dc0000u) | sf_lt(0x42c80000u, hi);
  let k = nf_round_to_i32(nf_mul(hi, SF_LOG2E));
  let kf = nf_from_i32(k);
  let r = nf_add(nf_sub(nf_sub(hi, nf_mul(kf, SF_LN2_HI)), nf_mul(kf, SF_LN2_LO)), lo);
  let y = nf_add(nf_add(nf_mul(nf_exp_poly(r), nf_mul(r, r)), r), SF_ONE);
  return sf_scaled(y, k);
}

fn nf_gelu_tanh_arg(x: u32) -> vec4<u32> {
  let x2 = nf_two_prod(x, x);
  let t = nf_two_prod(0x3d372713u, x2.x);
  let tl = nf_add(t.y, nf_add(nf_mul(0x3d372713u, x2.y), nf_mul(0x30d4801fu, x2.x)));
  let u = nf_two_sum(SF_ONE, t.x);
  let ul = nf_add(u.y, tl);
  let w = nf_two_prod(0x3fcc422au, x);
  let wl = nf_add(w.y, nf_mul(0xb342bc9bu, x));
  let v = nf_two_prod(w.x, u.x);
  return vec4<u32>(v.x, nf_add(v.y, nf_add(nf_mul(w.x, ul), nf_mul(wl, u.x))), w.x, wl);
}

// sf_gelu_tanh. Its saturated ends (x >= 10 gives x, x <= -11 gives -0) are selects here, with the
// core run on NF_TAME instead so that it flags nothing for them; NaN is left to sf_gelu_tanh.
fn nf_gelu_tanh(x: u32) -> u32 {
  let big = sf_le(0x41200000u, x); // 10
  let small = sf_le(x, 0xc1300000u); // -11
  nf_slow = nf_slow | sf_is_nan(x);
  return select(select(nf_gelu_tanh_core(select(x, NF_TAME, big | small)), SF_SIGN, small), x, big);
}

fn nf_gelu_tanh_core(x: u32) -> u32 {
  let v = nf_gelu_tanh_arg(x);
  let negative = sf_lt(v.x, 0u);
  let s = nf_exp_parts(select(sf_neg(v.x), v.x, negative), select(sf_neg(v.y), v.y, negative));
  let d = nf_add(SF_ONE, nf_ldexp(s.y, s.k));
  // sf_gelu_tanh's two branches, (x * y / d) * 2^k and x * (1 / d), share one division: a lane runs
  // both branches wherever its SIMD group holds both signs. The other branch's steps get 1 and 0 (exact,
  // flagging nothing), so each lane's result is its own branch's, step for step.
  let q = nf_div(nf_mul(select(SF_ONE, x, negative), select(SF_ONE, s.y, negative)), d);
  return nf_ldexp(nf_mul(select(x, SF_ONE, negative), q), select(0i, s.k, negative));
}

// ew_gelu_tanh_grad (shaders/elementwise.wgsl): the same steps, and its ends as selects.
fn nf_gelu_tanh_grad(x: u32, g: u32) -> u32 {
  let big = sf_le(0x41200000u, x); // 10
  let small = sf_le(x, 0xc1300000u); // -11
  nf_slow = nf_slow | sf_is_nan(x);
  let dy = nf_gelu_tanh_grad_core(select(x, NF_TAME, big | small));
  return nf_mul(g, select(select(dy, SF_SIGN, small), SF_ONE, big));
}

fn nf_gelu_tanh_grad_core(x: u32) -> u32 {
  let v = nf_gelu_tanh_arg(x);
  let negative = sf_lt(v.x, 0u);
  let s = nf_exp_parts(select(sf_neg(v.x), v.x, negative), select(sf_neg(v.y), v.y, negative));
  let d = nf_add(SF_ONE, nf_ldexp(s.y, s.k));
  let t = nf_two_sum(nf_add(v.x, v.x), v.x);
  let xdv = nf_add(nf_sub(t.x, nf_add(v.z, v.z)), nf_sub(nf_add(t.y, nf_mul(0x40400000u, v.y)), nf_add(v.w, v.w)));
  let sp = nf_div(s.y, nf_mul(d, d));
  // The two branches, (y / d + xdv * sp) * 2^k and 1 / d + xdv * (sp * 2^k), share one division, as
  // in nf_gelu_tanh_core: each lane's other-branch steps are scalings by 2^0 (exact, flagging nothing).
  let q = nf_div(select(SF_ONE, s.y, negative), d);
  let u = nf_mul(xdv, nf_ldexp(sp, select(s.k, 0i, negative)));
  return nf_ldexp(nf_add(q, u), select(0i, s.k, negative));
}

// fx_exp_sub (shaders/lib/fixed.wgsl): e^(x - m) with x - m carried as hi + lo, for |hi| < 128 (beyond,
// the full function drops lo).
fn nf_exp_sub(x: u32, m: u32) -> u32 {
  let hi = nf_sub(x, m);
  let x1 = nf_add(hi, m);
  let nm1 = nf_sub(hi, x1);
  let lo = nf_add(nf_sub(x, x1), nf_sub(m ^ SF_SIGN, nm1));
  nf_slow = nf_slow | ((hi & 0x7fffffffu) >= 0x43000000u);
  let s = nf_exp_parts(hi, lo);
  return nf_ldexp(s.y, s.k);
}
