// out[i] = one softfloat primitive applied to (a[i], b[i]), chosen by the OP override. Exposes the
// library to tests so every primitive can be checked bit for bit against the TypeScript twin.
// OP: 0 add, 1 sub, 2 mul, 3 div, 4 sqrt(a), 5 lt, 6 le, 7 eq, 8 max, 9 min, 10 from_i32(a as i32),
// 11 ldexp(a, b as i32), 12 round_to_i32(a), 13 neg(a), 14 abs(a). Predicates give 0 or 1.
// The first-pass library (shaders/lib/softfloat_fast.wgsl): 15 nf_add, 16 nf_mul, 17 nf_div,
// 18 nf_ldexp(a, b as i32), 19 nf_from_i32(a as i32), 20 nf_round_to_i32(a), 21 nf_gelu_tanh(a),
// 22 nf_gelu_tanh_grad(a, b), 23 nf_two_prod(a, b)'s error; OP + 100 gives whether it flagged the element (nf_slow) instead.
override OP: u32 = 0u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn probe(x: u32, y: u32) -> u32 {
  switch OP {
    case 0u: { return sf_add(x, y); }
    case 1u: { return sf_sub(x, y); }
    case 2u: { return sf_mul(x, y); }
    case 3u: { return sf_div(x, y); }
    case 4u: { return sf_sqrt(x); }
    case 5u: { return sf_bit(sf_lt(x, y)); }
    case 6u: { return sf_bit(sf_le(x, y)); }
    case 7u: { return sf_bit(sf_eq(x, y)); }
    case 8u: { return sf_max(x, y); }
    case 9u: { return sf_min(x, y); }
    case 10u: { return sf_from_i32(bitcast<i32>(x)); }
    case 11u: { return sf_ldexp(x, bitcast<i32>(y)); }
    case 12u: { return bitcast<u32>(sf_round_to_i32(x)); }
    case 13u: { return sf_neg(x); }
    case 14u: { return sf_abs(x); }
    default: { return probe_fast(x, y); }
  }
}

fn probe_fast(x: u32, y: u32) -> u32 {
  var r = 0u;
  switch OP % 100u {
    case 15u: { r = nf_add(x, y); }
    case 16u: { r = nf_mul(x, y); }
    case 17u: { r = nf_div(x, y); }
    case 18u: { r = nf_ldexp(x, bitcast<i32>(y)); }
    case 19u: { r = nf_from_i32(bitcast<i32>(x)); }
    case 20u: { r = bitcast<u32>(nf_round_to_i32(x)); }
    case 21u: { r = nf_gelu_tanh(x); }
    case 22u: { r = nf_gelu_tanh_grad(x, y); }
    case 23u: { r = nf_two_prod(x, y).y; }
    default: {}
  }
  return select(r, sf_bit(nf_slow), OP >= 100u);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= params.n) {
    return;
  }
  out[i] = probe(a[i], b[i]);
}
