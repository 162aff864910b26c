// softmax over the last axis of [rows, n], one workgroup per row, and its backward. With causal = 1
// the rows are [T, T] attention-score blocks (n = T) and row r sees columns 0 ..= r % T; the
// others get exactly 0. Arithmetic is softfloat (sf_*) and the row sum is the exact fixed-point
// sum (fx_*), so no adapter, workgroup size (override WG) or other row can change a bit.
struct Params {
  rows: u32,
  n: u32,
  causal: u32,
  groups_x: u32,
}

override WG: u32 = 64u;
// The forward's first pass (softmax_forward_fast): cut-down arithmetic (shaders/lib/softfloat_fast.wgsl)
// that lists the rows it flags; softmax_forward_redo recomputes those rows in full. Same bits as the one
// pass, softmax_forward. Chosen when the pipeline is made, so each variant compiles only its own code.
override FAST: bool = false;
// exp(x - max) <= 1, so every term's exponent field is below 128: a fixed scale, no max pass.
const EXP_SCALE: u32 = 128u;

@group(0) @binding(0) var<uniform> params: Params;

// Forward: y = softmax(x).
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

// Backward: dx = y * (dy - sum(y * dy)).
@group(0) @binding(1) var<storage, read> y_in: array<u32>;
@group(0) @binding(2) var<storage, read> dy: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<u32>;

var<workgroup> wg_key: atomic<u32>; // forward: the row max as an order key
var<workgroup> wg_nan: atomic<u32>;
var<workgroup> wg_max: atomic<u32>; // backward: the largest exponent of the products
var<workgroup> wg_flags: atomic<u32>;
var<workgroup> wg_acc: array<vec4<u32>, WG>;

fn visible(r: u32) -> u32 {
  return select(params.n, r % params.n + 1u, params.causal == 1u);
}

// One row of the forward, by the workgroup; r is the same for all its invocations.
fn forward_row(r: u32, lid: u32) {
  let base = r * params.n;
  let len = visible(r);
  var key = 0u;
  var f = 0u;
  for (var k = lid; k < len; k += WG) {
    key = max(key, fx_order_key(x[base + k]));
    f |= fx_flags(x[base + k]) & FX_NAN;
  }
  atomicMax(&wg_key, key);
  atomicOr(&wg_nan, f);
  workgroupBarrier();
  // A NaN anywhere makes the whole (visible) row NaN.
  let m = select(fx_from_order_key(atomicLoad(&wg_key)), FX_CANONICAL_NAN, atomicLoad(&wg_nan) != 0u);
  var acc = vec4<u32>(0u);
  var ef = 0u;
  for (var k = lid; k < len; k += WG) {
    let e = nf_pass_exp_sub(x[base + k], m);
    y[base + k] = e; // kept for the division below; the same thread reads it back
    acc = fx_add(acc, fx_term(e, EXP_SCALE));
    ef |= fx_flags(e);
  }
  for (var k = len + lid; k < params.n; k += WG) {
    y[base + k] = 0u;
  }
  wg_acc[lid] = acc;
  atomicOr(&wg_flags, ef);
  workgroupBarrier();
  let s = fx_to_f32(tree_sum(lid), EXP_SCALE, atomicLoad(&wg_flags));
  for (var k = lid; k < len; k += WG) {
    y[base + k] = nf_pass_div(y[base + k], s);
  }
}

@compute @workgroup_size(WG)
fn softmax_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return;
  }
  forward_row(r, lid);
}

@compute @workgroup_size(WG)
fn softmax_forward_fast(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  nf_list_begin((r == 0u) & (lid == 0u));
  if (r >= params.rows) {
    return;
  }
  forward_row(r, lid);
  nf_list_row(r, lid);
}

@compute @workgroup_size(WG)
fn softmax_forward_redo(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let j = wid.x + wid.y * groups.x;
  if (j >= nf_listed[3]) {
    return;
  }
  forward_row(nf_listed[4u + j], lid);
}

@compute @workgroup_size(WG)
fn softmax_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return;
  }
  let base = r * params.n;
  let len = visible(r);
  // Products rounded once each (sf_mul), then summed exactly at the scale of the largest.
  var e_max = 0u;
  var f = 0u;
  for (var k = lid; k < len; k += WG) {
    let p = sf_mul(y_in[base + k], dy[base + k]);
    dx[base + k] = p;
    e_max = max(e_max, fx_exponent(p));
    f |= fx_flags(p);
  }
  atomicMax(&wg_max, e_max);
  atomicOr(&wg_flags, f);
  workgroupBarrier();
  let scale = atomicLoad(&wg_max);
  var acc = vec4<u32>(0u);
  for (var k = lid; k < len; k += WG) {
    acc = fx_add(acc, fx_term(dx[base + k], scale));
  }
  wg_acc[lid] = acc;
  workgroupBarrier();
  let s = fx_to_f32(tree_sum(lid), scale, atomicLoad(&wg_flags));
  for (var k = lid; k < len; k += WG) {
    dx[base + k] = sf_mul(y_in[base + k], sf_sub(dy[base + k], s));
  }
  for (var k = len + lid; k < params.n; k += WG) {
    dx[base + k] = 0u;
  }
}
