// layernorm over the last axis of [rows, n], one workgroup per row, and its backward (dx, plus the
// per-element products dy * xhat whose column sums are dgamma). Arithmetic is softfloat (sf_*), each
// step rounded once in a fixed order; row means are exact fixed-point sums (fx_*) divided with one
// rounding. So neither the adapter, the workgroup size (override WG) nor other rows change a bit.
// The TypeScript twin is layernormRef in src/kernels/layernorm.ts; docs/determinism-norms-optim.md
// lists the operation order. Params, x, gamma and the row reductions (norm_*) are shaders/lib/norm.wgsl.
// The launcher runs each in two passes, _fast then _redo (below): the same bits as the one pass.

// Forward: y = (x - mean) / std * gamma + beta, with std = sqrt(var + eps) kept for the backward.
@group(0) @binding(3) var<storage, read> beta: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;
@group(0) @binding(5) var<storage, read_write> mean_out: array<u32>;
@group(0) @binding(6) var<storage, read_write> std_out: array<u32>;

// Backward: dx, and dy * xhat per element (dgamma = its column sums, taken by reduce).
@group(0) @binding(3) var<storage, read> dy: array<u32>;
@group(0) @binding(4) var<storage, read> std_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> dx: array<u32>;
@group(0) @binding(6) var<storage, read_write> dy_xhat: array<u32>;

// The two-pass entry points (layernorm_*_fast / _redo): the first pass runs each row on cut-down
// arithmetic (shaders/lib/softfloat_fast.wgsl) under FAST and lists the rows in which any step flagged;
// the redo recomputes those rows in full. Same bits as one pass. The redo list sits after the six
// bindings above (shaders/lib/redo_list.wgsl declares it at 5 and 6, taken here), and the row's one
// square root and its fixed-point sums are the same in both passes.
override FAST: bool = false;
@group(0) @binding(7) var<storage, read_write> nf_list: array<atomic<u32>>;
@group(0) @binding(8) var<storage, read> nf_listed: array<u32>;

// a * n modulo 2^128: two's complement, so a negative a works too.
fn ln_mul_small(a: vec4<u32>, n: u32) -> vec4<u32> {
  let w0 = sf_mul_wide(a.x, n);
  let w1 = sf_mul_wide(a.y, n);
  let w2 = sf_mul_wide(a.z, n);
  let w3 = sf_mul_wide(a.w, n);
  return fx_add(vec4<u32>(w0.y, w1.y, w2.y, w3.y), vec4<u32>(0u, w0.x, w1.x, w2.x));
}

// The row's mean as hi + lo, and the scale s of the row.
// hi is the exact mean rounded once; lo is the remainder (sum - n * hi) / n in fixed point, rounded
// once. hi is at most the row's largest value, so it fits the sum's scale, exactly unless it is
// 2^64 below that value (then to 2^-87 of it, far finer than lo needs).
// x - hi is exact wherever x is within a factor two of hi (Sterbenz), so (x - hi) - lo loses
// nothing to the rounding of the mean, however large the mean is next to the spread.
// The row is then computed at the power-of-two scale 2^-s that brings every |x| below 2 (s = 0 when
// it already is), so deviations and their squares cannot overflow. Scaling is exact unless a value
// falls below 2^-126 after it, 2^-103 below the largest value's ulp. Call from uniform control flow.
struct ln_mean {
  hi: u32,
  lo: u32,
  s: i32,
}

fn ln_row_mean(base: u32, lid: u32) -> ln_mean {
  let n = params.n;
  var e = 0u;
  var f = 0u;
  for (var k = lid; k < n; k += WG) {
    e = max(e, fx_exponent(x[base + k]));
    f |= fx_flags(x[base + k]);
  }
  let sx = norm_gather(0u, e, f);
  var acc = vec4<u32>(0u);
  for (var k = lid; k < n; k += WG) {
    acc = fx_add(acc, fx_term(x[base + k], sx.x));
  }
  let total = norm_sum(lid, acc);
  let hi = fx_div_to_f32(total, sx.x, sx.y, n);
  let rest = fx_add(total, fx_neg(ln_mul_small(fx_term(hi, sx.x), n)));
  let lo = fx_div_to_f32(rest, sx.x, sx.y, n);
  return ln_mean(hi, lo, norm_shift(sx.x));
}

// The scaled deviation (x - mean) * 2^-s, as ((x - hi) - lo) * 2^-s computed at scale.
fn ln_dev(v: u32, m: ln_mean) -> u32 {
  return nf_pass_sub(nf_pass_sub(nf_pass_ldexp(v, -m.s), nf_pass_ldexp(m.hi, -m.s)), nf_pass_ldexp(m.lo, -m.s));
}

// One row of the forward, by the workgroup. Call from uniform control flow.
fn forward_row(r: u32, lid: u32) {
  let n = params.n;
  let base = r * n;
  let mean = ln_row_mean(base, lid);
  // var * 2^-2s: the exact mean of the squared scaled deviations, at the scale of the largest.
  // The deviations are parked in y; each thread reads back only its own elements.
  var e = 0u;
  var f = 0u;
  for (var k = lid; k < n; k += WG) {
    let d = ln_dev(x[base + k], mean);
    y[base + k] = d;
    let q = nf_pass_mul(d, d);
    e = max(e, fx_exponent(q));
    f |= fx_flags(q);
  }
  let sq = norm_gather(1u, e, f);
  var acc = vec4<u32>(0u);
  for (var k = lid; k < n; k += WG) {
    acc = fx_add(acc, fx_term(nf_pass_mul(y[base + k], y[base + k]), sq.x));
  }
  let v = fx_div_to_f32(norm_sum(lid, acc), sq.x, sq.y, n);
  let sigma = sf_sqrt(sf_add(v, sf_ldexp(params.eps, -2i * mean.s))); // std * 2^-s
  for (var k = lid; k < n; k += WG) {
    y[base + k] = nf_pass_add(nf_pass_mul(nf_pass_div(y[base + k], sigma), gamma[k]), beta[k]);
  }
  if (lid == 0u) {
    mean_out[r] = mean.hi;
    std_out[r] = sf_ldexp(sigma, mean.s);
  }
}

@compute @workgroup_size(WG)
fn layernorm_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = norm_row(wid);
  if (r >= params.rows) {
    return; // the whole workgroup leaves together
  }
  forward_row(r, lid);
}

@compute @workgroup_size(WG)
fn layernorm_forward_fast(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = norm_row(wid);
  nf_list_begin((r == 0u) & (lid == 0u));
  if (r >= params.rows) {
    return;
  }
  forward_row(r, lid);
  nf_list_row(r, lid);
}

@compute @workgroup_size(WG)
fn layernorm_forward_redo(
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

// dx = ((g - mean(g)) - xhat * mean(g * xhat)) / std with g = dy * gamma. xhat is recomputed
// exactly as the forward computed it: the mean again from x (two integer passes, cheaper than
// saving hi, lo and s), and std * 2^-s is exact (std >= sqrt(eps) is normal).
fn backward_row(r: u32, lid: u32) {
  let n = params.n;
  let base = r * n;
  let mean = ln_row_mean(base, lid);
  let sigma = nf_pass_ldexp(std_in[r], -mean.s);
  // xhat parked in dx and g * xhat in dy_xhat; g itself is one multiplication, so it is recomputed.
  var eg = 0u;
  var fg = 0u;
  var eq = 0u;
  var fq = 0u;
  for (var k = lid; k < n; k += WG) {
    let xh = nf_pass_div(ln_dev(x[base + k], mean), sigma);
    let g = nf_pass_mul(dy[base + k], gamma[k]);
    let q = nf_pass_mul(g, xh);
    dx[base + k] = xh;
    dy_xhat[base + k] = q;
    eg = max(eg, fx_exponent(g));
    fg |= fx_flags(g);
    eq = max(eq, fx_exponent(q));
    fq |= fx_flags(q);
  }
  let sg = norm_gather(1u, eg, fg);
  let sq = norm_gather(2u, eq, fq);
  var acc_g = vec4<u32>(0u);
  var acc_q = vec4<u32>(0u);
  for (var k = lid; k < n; k += WG) {
    acc_g = fx_add(acc_g, fx_term(nf_pass_mul(dy[base + k], gamma[k]), sg.x));
    acc_q = fx_add(acc_q, fx_term(dy_xhat[base + k], sq.x));
  }
  let a = fx_div_to_f32(norm_sum(lid, acc_g), sg.x, sg.y, n);
  let b = fx_div_to_f32(norm_sum(lid, acc_q), sq.x, sq.y, n);
  for (var k = lid; k < n; k += WG) {
    let xh = dx[base + k];
    let g = nf_pass_mul(dy[base + k], gamma[k]);
    dx[base + k] = nf_pass_div(nf_pass_sub(nf_pass_sub(g, a), nf_pass_mul(xh, b)), std_in[r]);
    dy_xhat[base + k] = nf_pass_mul(dy[base + k], xh);
  }
}

@compute @workgroup_size(WG)
fn layernorm_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = norm_row(wid);
  if (r >= params.rows) {
    return;
  }
  backward_row(r, lid);
}

@compute @workgroup_size(WG)
fn layernorm_backward_fast(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = norm_row(wid);
  nf_list_begin((r == 0u) & (lid == 0u));
  if (r >= params.rows) {
    return;
  }
  backward_row(r, lid);
  nf_list_row(r, lid);
}

@compute @workgroup_size(WG)
fn layernorm_backward_redo(
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
