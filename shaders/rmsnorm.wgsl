// rmsnorm over the last axis of [rows, n], one workgroup per row: y = x / rms * gamma with
// rms = sqrt(mean(x^2) + eps), and its backward (dx, plus the per-element products dy * xhat whose
// column sums are dgamma). Softfloat steps (sf_*) in a fixed order and exact fixed-point means
// (fx_*), so neither the adapter, the workgroup size (override WG) nor other rows change a bit.
// The TypeScript twin is rmsnormRef in src/kernels/rmsnorm.ts.
struct Params {
  rows: u32,
  n: u32,
  eps: u32, // f32 bits
  groups_x: u32, // workgroups along x; rows beyond 65535 spill into y
}

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> gamma: array<u32>;

// Forward.
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<storage, read_write> rms_out: array<u32>;

// Backward.
@group(0) @binding(3) var<storage, read> dy: array<u32>;
@group(0) @binding(4) var<storage, read> rms_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> dx: array<u32>;
@group(0) @binding(6) var<storage, read_write> dy_xhat: array<u32>;

// One slot per row-wide quantity: atomics cannot be reset without another barrier, so none is reused.
var<workgroup> wg_e: array<atomic<u32>, 2>;
var<workgroup> wg_f: array<atomic<u32>, 2>;
var<workgroup> wg_acc: array<vec4<u32>, WG>;

// The row-wide max of e and OR of f. Call from uniform control flow.
fn rms_gather(slot: u32, e: u32, f: u32) -> vec2<u32> {
  atomicMax(&wg_e[slot], e);
  atomicOr(&wg_f[slot], f);
  workgroupBarrier();
  return vec2<u32>(atomicLoad(&wg_e[slot]), atomicLoad(&wg_f[slot]));
}

// The workgroup's total of the threads' fixed-point accumulators: a pairwise tree for any WG.
// Integer additions, so the tree's shape cannot matter. Call from uniform control flow.
fn rms_sum(lid: u32, acc: vec4<u32>) -> vec4<u32> {
  workgroupBarrier(); // every thread has read the previous total out of wg_acc[0]
  wg_acc[lid] = acc;
  workgroupBarrier();
  return tree_sum(lid);
}

// The power of two 2^-s that brings every |x| of the row below 2 (s = 0 when it already is), so
// the squares cannot overflow. Exact unless a value falls below 2^-126 after it.
fn rms_shift(e_max: u32) -> i32 {
  return max(0i, i32(e_max) - 127i);
}

fn rms_square(v: u32, s: i32) -> u32 {
  let t = sf_ldexp(v, -s);
  return sf_mul(t, t);
}

// The largest exponent of the row: the scale s and the fixed-point scale of the squares.
fn rms_row_shift(base: u32, lid: u32) -> i32 {
  var e = 0u;
  for (var k = lid; k < params.n; k += WG) {
    e = max(e, fx_exponent(x[base + k]));
  }
  return rms_shift(rms_gather(0u, e, 0u).x);
}

@compute @workgroup_size(WG)
fn rmsnorm_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return; // the whole workgroup leaves together
  }
  let n = params.n;
  let base = r * n;
  let s = rms_row_shift(base, lid);
  // mean(x^2) * 2^-2s: the exact mean of the scaled squares, at the scale of the largest.
  var e = 0u;
  var f = 0u;
  for (var k = lid; k < n; k += WG) {
    let q = rms_square(x[base + k], s);
    e = max(e, fx_exponent(q));
    f |= fx_flags(q);
  }
  let sq = rms_gather(1u, e, f);
  var acc = vec4<u32>(0u);
  for (var k = lid; k < n; k += WG) {
    acc = fx_add(acc, fx_term(rms_square(x[base + k], s), sq.x));
  }
  let ms = fx_div_to_f32(rms_sum(lid, acc), sq.x, sq.y, n);
  let rms = sf_ldexp(sf_sqrt(sf_add(ms, sf_ldexp(params.eps, -2i * s))), s);
  for (var k = lid; k < n; k += WG) {
    y[base + k] = sf_mul(sf_div(x[base + k], rms), gamma[k]);
  }
  if (lid == 0u) {
    rms_out[r] = rms;
  }
}

// dx = (g - xhat * mean(g * xhat)) / rms with g = dy * gamma and xhat = x / rms as in the forward.
@compute @workgroup_size(WG)
fn rmsnorm_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return;
  }
  let n = params.n;
  let base = r * n;
  let rms = rms_in[r];
  // xhat parked in dx, g * xhat in dy_xhat (each thread reads back only its own elements).
  var e = 0u;
  var f = 0u;
  for (var k = lid; k < n; k += WG) {
    let xh = sf_div(x[base + k], rms);
    let q = sf_mul(sf_mul(dy[base + k], gamma[k]), xh);
    dx[base + k] = xh;
    dy_xhat[base + k] = q;
    e = max(e, fx_exponent(q));
    f |= fx_flags(q);
  }
  let sq = rms_gather(0u, e, f);
  var acc = vec4<u32>(0u);
  for (var k = lid; k < n; k += WG) {
    acc = fx_add(acc, fx_term(dy_xhat[base + k], sq.x));
  }
  let c = fx_div_to_f32(rms_sum(lid, acc), sq.x, sq.y, n);
  for (var k = lid; k < n; k += WG) {
    let xh = dx[base + k];
    let g = sf_mul(dy[base + k], gamma[k]);
    dx[base + k] = sf_div(sf_sub(g, sf_mul(xh, c)), rms);
    dy_xhat[base + k] = sf_mul(dy[base + k], xh);
  }
}
