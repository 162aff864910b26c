// rmsnorm over the last axis of [rows, n], one workgroup per row: y = x / rms * gamma with
// rms = sqrt(mean(x^2) + eps), and its backward (dx, plus the per-element products dy * xhat whose
// column sums are dgamma). Softfloat steps (sf_*) in a fixed order and exact fixed-point means
// (fx_*), so neither the adapter, the workgroup size (override WG) nor other rows change a bit.
// The TypeScript twin is rmsnormRef in src/kernels/rmsnorm.ts. Params, x, gamma and the row
// reductions (norm_*) are shaders/lib/norm.wgsl.

// Forward.
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<storage, read_write> rms_out: array<u32>;

// Backward.
@group(0) @binding(3) var<storage, read> dy: array<u32>;
@group(0) @binding(4) var<storage, read> rms_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> dx: array<u32>;
@group(0) @binding(6) var<storage, read_write> dy_xhat: array<u32>;

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
  return norm_shift(norm_gather(0u, e, 0u).x);
}

@compute @workgroup_size(WG)
fn rmsnorm_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = norm_row(wid);
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
  let sq = norm_gather(1u, e, f);
  var acc = vec4<u32>(0u);
  for (var k = lid; k < n; k += WG) {
    acc = fx_add(acc, fx_term(rms_square(x[base + k], s), sq.x));
  }
  let ms = fx_div_to_f32(norm_sum(lid, acc), sq.x, sq.y, n);
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
  let r = norm_row(wid);
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
  let sq = norm_gather(0u, e, f);
  var acc = vec4<u32>(0u);
  for (var k = lid; k < n; k += WG) {
    acc = fx_add(acc, fx_term(dy_xhat[base + k], sq.x));
  }
  let c = fx_div_to_f32(norm_sum(lid, acc), sq.x, sq.y, n);
  for (var k = lid; k < n; k += WG) {
    let xh = dx[base + k];
    let g = sf_mul(dy[base + k], gamma[k]);
    dx[base + k] = sf_div(sf_sub(g, sf_mul(xh, c)), rms);
    dy_xhat[base + k] = sf_mul(dy[base + k], xh);
  }
}
