// norm: what the row-normalisation kernels (layernorm.wgsl, rmsnorm.wgsl) share. One workgroup per row
// of [rows, n]; the uniforms and the inputs x and gamma at bindings 0-2 (each kernel adds its own from
// binding 3); the row-wide reductions every norm builds on. Included after tree_sum by withPrelude's
// `norm` option; the launcher half is planNorm / launchNorm in src/kernels/norm.ts.
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

// One slot per row-wide quantity: atomics cannot be reset without another barrier, so none is reused.
var<workgroup> wg_e: array<atomic<u32>, 3>;
var<workgroup> wg_f: array<atomic<u32>, 3>;
var<workgroup> wg_acc: array<vec4<u32>, WG>;

// This workgroup's row.
fn norm_row(wid: vec3<u32>) -> u32 {
  return wid.x + wid.y * params.groups_x;
}

// The row-wide max of e and OR of f. Call from uniform control flow.
fn norm_gather(slot: u32, e: u32, f: u32) -> vec2<u32> {
  atomicMax(&wg_e[slot], e);
  atomicOr(&wg_f[slot], f);
  workgroupBarrier();
  return vec2<u32>(atomicLoad(&wg_e[slot]), atomicLoad(&wg_f[slot]));
}

// The workgroup's total of the threads' fixed-point accumulators: a pairwise tree for any WG.
// Integer additions, so the tree's shape cannot matter. Call from uniform control flow.
fn norm_sum(lid: u32, acc: vec4<u32>) -> vec4<u32> {
  workgroupBarrier(); // every thread has read the previous total out of wg_acc[0]
  wg_acc[lid] = acc;
  workgroupBarrier();
  return tree_sum(lid);
}

// The power of two 2^-s that brings every |x| of the row below 2 (s = 0 when it already is), from the
// row's largest exponent field, so squares cannot overflow. Exact unless a value falls below 2^-126.
fn norm_shift(e_max: u32) -> i32 {
  return max(0i, i32(e_max) - 127i);
}
