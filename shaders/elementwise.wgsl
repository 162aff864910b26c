// out[i] = op(a[i], b[i % period]) on f32 tensors held as u32 bits. Every op is a fixed sequence
// of softfloat calls (shaders/lib/softfloat.wgsl), so each adapter and the TypeScript reference in
// src/kernels/elementwise.ts agree bit for bit. OP, an override constant, picks the op when the
// pipeline is created; the ids are elementwise.ts's. Backward ops read the forward input from a
// and the upstream gradient from b, and write the input gradient.
override OP: u32 = 0u;

struct Params {
  n: u32,
  period: u32, // b is read at i % period: n for same-shape operands, the row length for a bias
  scalar: u32, // f32 bits: the factor of `scale`
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn ew_relu_grad(x: u32, g: u32) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  // A mask, not a product: an infinite gradient stays infinite where x > 0 and is dropped elsewhere.
  return select(0u, select(g, SF_NAN, sf_is_nan(g)), sf_lt(0u, x));
}

// sigma'(x) = e / (1 + e)^2 with e = e^-|x|, symmetric and free of 1 - sigma cancellation.
fn ew_sigmoid_grad(x: u32, g: u32) -> u32 {
  let s = sf_exp_parts(sf_neg(sf_abs(x)), 0u);
  let d = sf_add(SF_ONE, sf_ldexp(s.y, s.k));
  return sf_mul(g, sf_ldexp(sf_div(s.y, sf_mul(d, d)), s.k));
}

// tanh'(x) = 4e / (1 + e)^2 with e = e^-2|x| (the same shape as sigmoid's, no 1 - tanh^2).
fn ew_tanh_grad(x: u32, g: u32) -> u32 {
  let ax = sf_abs(x);
  let s = sf_exp_parts(sf_neg(sf_add(ax, ax)), 0u);
  let d = sf_add(SF_ONE, sf_ldexp(s.y, s.k));
  return sf_mul(g, sf_ldexp(sf_div(s.y, sf_mul(d, d)), s.k + 2));
}

// d/dx x sigma(v) = sigma(v) + x v' sigma'(v), and x v' = 2 sqrt(2/pi)(x + 3 * 0.044715 x^3) = 3v - 2w.
fn ew_gelu_tanh_grad(x: u32, g: u32) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  var dy = SF_ONE;
  if (sf_le(x, 0xc1300000u)) { // -11
    dy = SF_SIGN;
  } else if (sf_lt(x, 0x41200000u)) { // 10
    let v = sf_gelu_tanh_arg(x);
    let negative = sf_lt(v.x, 0u);
    let s = sf_exp_parts(select(sf_neg(v.x), v.x, negative), select(sf_neg(v.y), v.y, negative));
    let d = sf_add(SF_ONE, sf_ldexp(s.y, s.k));
    // x v'(x) = 3v - 2w, from the compensated v and w: only the last two steps round.
    let t = sf_two_sum(sf_add(v.x, v.x), v.x);
    let xdv = sf_add(sf_sub(t.x, sf_add(v.z, v.z)), sf_sub(sf_add(t.y, sf_mul(0x40400000u, v.y)), sf_add(v.w, v.w)));
    let sp = sf_div(s.y, sf_mul(d, d)); // sigma'(v) / 2^k
    if (negative) {
      dy = sf_ldexp(sf_add(sf_div(s.y, d), sf_mul(xdv, sp)), s.k);
    } else {
      dy = sf_add(sf_div(SF_ONE, d), sf_mul(xdv, sf_ldexp(sp, s.k)));
    }
  }
  return sf_mul(g, dy);
}

// d/dx x Phi(x) = Phi(x) + x phi(x).
fn ew_gelu_erf_grad(x: u32, g: u32) -> u32 {
  if (sf_is_nan(x)) {
    return SF_NAN;
  }
  var dy = SF_ONE;
  if (sf_le(x, 0xc1680000u)) { // -14.5
    dy = SF_SIGN;
  } else if (sf_lt(x, 0x40c00000u)) { // 6
    let ax = x & 0x7fffffffu;
    let s = sf_gauss_parts(ax);
    let phi = sf_mul(sf_ldexp(s.y, s.k), SF_INV_SQRT_2PI);
    if (sf_lt(ax, 0x3f400000u)) { // 0.75
      dy = sf_add(sf_phi_small(x), sf_mul(x, phi));
    } else {
      let w = sf_div(SF_ONE, ax);
      let h = sf_mills_fit(ax, w);
      if (sf_lt(x, 0u)) {
        dy = sf_ldexp(sf_mul(s.y, sf_sub(sf_mul(h, w), sf_mul(ax, SF_INV_SQRT_2PI))), s.k);
      } else {
        dy = sf_add(sf_sub(SF_ONE, sf_mul(sf_mul(sf_ldexp(s.y, s.k), h), w)), sf_mul(x, phi));
      }
    }
  }
  return sf_mul(g, dy);
}

fn ew_apply(x: u32, y: u32) -> u32 {
  switch OP {
    case 0u: { return sf_exp(x); }
    case 1u: { return sf_log(x); }
    case 2u: { return sf_tanh(x); }
    case 3u: { return sf_sigmoid(x); }
    case 4u: { return sf_max(x, 0u); }
    case 5u: { return sf_gelu_tanh(x); }
    case 6u: { return sf_gelu_erf(x); }
    case 7u: { return sf_sqrt(x); }
    case 8u: { return sf_rsqrt(x); }
    case 9u: { return sf_neg(x); }
    case 10u: { return sf_abs(x); }
    case 11u: { return sf_mul(x, params.scalar); }
    case 12u: { return sf_erf(x); }
    case 13u: { return sf_sin(x); }
    case 14u: { return sf_cos(x); }
    case 15u: { return sf_div(SF_ONE, x); }
    case 16u: { return sf_add(x, y); }
    case 17u: { return sf_sub(x, y); }
    case 18u: { return sf_mul(x, y); }
    case 19u: { return sf_div(x, y); }
    case 32u: { return ew_relu_grad(x, y); }
    case 33u: { return ew_gelu_tanh_grad(x, y); }
    case 34u: { return ew_gelu_erf_grad(x, y); }
    case 35u: { return ew_sigmoid_grad(x, y); }
    case 36u: { return ew_tanh_grad(x, y); }
    default: { return SF_NAN; }
  }
}

// The ops with a first pass on normal values (shaders/lib/softfloat_fast.wgsl); elementwise.ts's
// FAST_OPS lists the same ids. Any other OP flags every element, so its answers all come from redo.
fn ew_fast(x: u32, y: u32) -> u32 {
  switch OP {
    case 5u: { return nf_gelu_tanh(x); }
    case 33u: { return nf_gelu_tanh_grad(x, y); }
    default: {
      nf_slow = true;
      return 0u;
    }
  }
}

// A 2-D grid of 64-wide workgroups, so tensors past 65535 * 64 elements still fit one dispatch.
@compute @workgroup_size(64)
fn fast(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let i = (group.y * groups.x + group.x) * 64u + lane;
  nf_list_begin(i == 0u);
  if (i >= params.n) {
    return;
  }
  out[i] = ew_fast(a[i], b[i % params.period]);
  if (nf_slow) {
    nf_list_add(i, 64u);
  }
}

// Recomputes the flagged elements with the full softfloat functions, one per invocation (a loop around
// this much inlined code takes SwiftShader minutes to compile).
@compute @workgroup_size(64)
fn redo(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let j = (group.y * groups.x + group.x) * 64u + lane;
  if (j >= nf_listed[3]) {
    return;
  }
  let i = nf_listed[4u + j];
  out[i] = ew_apply(a[i], b[i % params.period]);
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let i = (group.y * groups.x + group.x) * 64u + lane;
  if (i >= params.n) {
    return;
  }
  out[i] = ew_apply(a[i], b[i % params.period]);
}
