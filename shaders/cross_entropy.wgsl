// cross_entropy: per-row loss of logits [rows, vocab] against i32 targets, and the gradient of the
// mean loss; weighted: each row's loss times its f32 weight, and the gradient of their sum (the sum
// itself is reduce's exact sum, src/kernels/cross_entropy.ts). One workgroup per row; softfloat arithmetic (sf_*) and an exact fixed-point sum of
// exp(x - max) (fx_*), so neither the adapter, the workgroup size (override WG) nor other rows can
// change a bit. loss = log(sum) - (x[target] - max): no cancellation against a large max.
struct Params {
  rows: u32,
  vocab: u32,
  groups_x: u32,
  rows_f32: u32, // rows as f32 bits, the divisor of the mean
}

override WG: u32 = 64u;
// The forward's and the backward's first passes (cross_entropy_*_fast): cut-down arithmetic
// (shaders/lib/softfloat_fast.wgsl) that lists the rows it flags; cross_entropy_*_redo recomputes
// those rows in full. Same bits as the one pass. Chosen when the pipeline is made.
override FAST: bool = false;
// exp(x - max) <= 1, so every term's exponent field is below 128: a fixed scale, no max pass.
const EXP_SCALE: u32 = 128u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
// Forward: losses [rows]. Backward: dlogits [rows, vocab], which first holds exp(x - max).
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
// The weighted entry points only: one f32 (as bits) per row.
@group(0) @binding(4) var<storage, read> weights: array<u32>;

var<workgroup> wg_key: atomic<u32>;
var<workgroup> wg_nan: atomic<u32>;
var<workgroup> wg_flags: atomic<u32>;
var<workgroup> wg_acc: array<vec4<u32>, WG>;

// (max, sum of exp(x - max)) of the row at `base`; `keep` stores each exp in out. A NaN logit makes
// both NaN. Call from uniform control flow.
fn row_stats(base: u32, lid: u32, keep: bool) -> vec2<u32> {
  var key = 0u;
  var f = 0u;
  for (var k = lid; k < params.vocab; k += WG) {
    key = max(key, fx_order_key(logits[base + k]));
    f |= fx_flags(logits[base + k]) & FX_NAN;
  }
  atomicMax(&wg_key, key);
  atomicOr(&wg_nan, f);
  workgroupBarrier();
  let m = select(fx_from_order_key(atomicLoad(&wg_key)), FX_CANONICAL_NAN, atomicLoad(&wg_nan) != 0u);
  var acc = vec4<u32>(0u);
  var ef = 0u;
  for (var k = lid; k < params.vocab; k += WG) {
    let e = nf_pass_exp_sub(logits[base + k], m);
    if (keep) {
      out[base + k] = e; // read back below by this same thread
    }
    acc = fx_add(acc, fx_term(e, EXP_SCALE));
    ef |= fx_flags(e);
  }
  wg_acc[lid] = acc;
  atomicOr(&wg_flags, ef);
  workgroupBarrier();
  return vec2<u32>(m, fx_to_f32(tree_sum(lid), EXP_SCALE, atomicLoad(&wg_flags)));
}

// The launcher rejects out-of-range targets; one that slips through gives NaN, never a stray read.
fn target_of(r: u32) -> u32 {
  let t = targets[r];
  return select(0xffffffffu, u32(t), t >= 0i && u32(t) < params.vocab);
}

// One row's loss, by the workgroup. Its one log stays sf_ in both passes: a row's exps are the cost.
fn forward_row(r: u32, lid: u32) {
  let base = r * params.vocab;
  let stats = row_stats(base, lid, false);
  if (lid == 0u) {
    let t = target_of(r);
    if (t == 0xffffffffu) {
      out[r] = FX_CANONICAL_NAN;
    } else {
      out[r] = sf_sub(sf_log(stats.y), sf_sub(logits[base + t], stats.x));
    }
  }
}

@compute @workgroup_size(WG)
fn cross_entropy_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return;
  }
  forward_row(r, lid);
}

@compute @workgroup_size(WG)
fn cross_entropy_forward_fast(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  nf_list_begin((r == 0u) & (lid == 0u));
  if (r >= params.rows) {
    return;
  }
  forward_row(r, lid);
  nf_list_row(r, lid);
}

@compute @workgroup_size(WG)
fn cross_entropy_forward_redo(
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

// One row of the backward, by the workgroup; r is the same for all its invocations.
fn backward_row(r: u32, lid: u32) {
  let base = r * params.vocab;
  let s = row_stats(base, lid, true).y;
  let t = target_of(r);
  for (var k = lid; k < params.vocab; k += WG) {
    let p = nf_pass_div(out[base + k], s);
    let g = nf_pass_div(nf_pass_sub(p, select(0u, 0x3f800000u, k == t)), params.rows_f32);
    out[base + k] = select(g, FX_CANONICAL_NAN, t == 0xffffffffu);
  }
}

@compute @workgroup_size(WG)
fn cross_entropy_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return;
  }
  backward_row(r, lid);
}

@compute @workgroup_size(WG)
fn cross_entropy_backward_fast(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  nf_list_begin((r == 0u) & (lid == 0u));
  if (r >= params.rows) {
    return;
  }
  backward_row(r, lid);
  nf_list_row(r, lid);
}

@compute @workgroup_size(WG)
fn cross_entropy_backward_redo(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let j = wid.x + wid.y * groups.x;
  if (j >= nf_listed[3]) {
    return;
  }
  backward_row(nf_listed[4u + j], lid);
}

@compute @workgroup_size(WG)
fn cross_entropy_weighted_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return;
  }
  let base = r * params.vocab;
  let stats = row_stats(base, lid, false);
  if (lid == 0u) {
    let t = target_of(r);
    if (t == 0xffffffffu) {
      out[r] = FX_CANONICAL_NAN;
    } else {
      out[r] = sf_mul(weights[r], sf_sub(sf_log(stats.y), sf_sub(logits[base + t], stats.x)));
    }
  }
}

@compute @workgroup_size(WG)
fn cross_entropy_weighted_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.rows) {
    return;
  }
  let base = r * params.vocab;
  let s = row_stats(base, lid, true).y;
  let t = target_of(r);
  let w = weights[r];
  // d(sum of w_r * loss_r)/dx = (softmax(x) - onehot(target)) * w_r, each step rounded once.
  for (var k = lid; k < params.vocab; k += WG) {
    let p = sf_div(out[base + k], s);
    let g = sf_mul(sf_sub(p, select(0u, 0x3f800000u, k == t)), w);
    out[base + k] = select(g, FX_CANONICAL_NAN, t == 0xffffffffu);
  }
}
