// reduce: one workgroup per reduction of `len` f32 values at x[r * rstride + k * step], k < len.
// Rows of [rows, n]: rstride = n, step = 1; columns: rstride = 1, step = n. Sums use the exact
// fixed-point accumulator of shaders/lib/fixed.wgsl and max compares integer order keys, so the
// workgroup size (override WG) and the order of the inputs cannot change a bit of the result.
struct Params {
  count: u32, // reductions
  len: u32, // values per reduction
  rstride: u32,
  step: u32,
  mean: u32, // 1: divide the sum by len (one rounding)
  groups_x: u32, // workgroups along x; reductions beyond 65535 spill into y
}

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

var<workgroup> wg_max: atomic<u32>;
var<workgroup> wg_flags: atomic<u32>;
var<workgroup> wg_acc: array<vec4<u32>, WG>;

@compute @workgroup_size(WG)
fn reduce_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.count) {
    return; // the whole workgroup leaves together
  }
  let base = r * params.rstride;
  // Pass 1: the scale (largest exponent) and the NaN/Inf/-0 flags.
  var e = 0u;
  var f = 0u;
  for (var k = lid; k < params.len; k += WG) {
    let b = x[base + k * params.step];
    e = max(e, fx_exponent(b));
    f |= fx_flags(b);
  }
  atomicMax(&wg_max, e);
  atomicOr(&wg_flags, f);
  workgroupBarrier();
  let e_max = atomicLoad(&wg_max);
  // Pass 2: exact sum at that scale.
  var acc = vec4<u32>(0u);
  for (var k = lid; k < params.len; k += WG) {
    acc = fx_add(acc, fx_term(x[base + k * params.step], e_max));
  }
  wg_acc[lid] = acc;
  workgroupBarrier();
  let total = tree_sum(lid);
  if (lid == 0u) {
    let flags = atomicLoad(&wg_flags);
    if (params.mean == 1u) {
      out[r] = fx_div_to_f32(total, e_max, flags, params.len);
    } else {
      out[r] = fx_to_f32(total, e_max, flags);
    }
  }
}

@compute @workgroup_size(WG)
fn reduce_max(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * params.groups_x;
  if (r >= params.count) {
    return;
  }
  let base = r * params.rstride;
  var key = 0u;
  var f = 0u;
  for (var k = lid; k < params.len; k += WG) {
    let b = x[base + k * params.step];
    key = max(key, fx_order_key(b));
    f |= fx_flags(b);
  }
  atomicMax(&wg_max, key);
  atomicOr(&wg_flags, f);
  workgroupBarrier();
  if (lid == 0u) {
    let nan = (atomicLoad(&wg_flags) & FX_NAN) != 0u;
    out[r] = select(fx_from_order_key(atomicLoad(&wg_max)), FX_CANONICAL_NAN, nan);
  }
}
