// AdamW, one thread per parameter, updating p, m and v in place; and the global gradient norm
// that clipping needs, from an exact fixed-point sum of squares over every gradient tensor.
// Arithmetic is softfloat (sf_*) in the fixed order of adamwRef (src/kernels/adamw.ts), so every
// adapter writes the same bits. Scalars arrive as f32 bits computed on the CPU (schedule.ts).
struct Params {
  n: u32,
  groups_x: u32, // workgroups along x; the rest spill into y
  clip: u32, // 0: scale = params.scale; 1: scale = min(1, max_norm / norm[0]); 2: as 1, norm is a
  // step's scalars (step_guard) and the update is skipped unless their finite flag norm[1] is 1
  lr: u32,
  beta1: u32,
  one_minus_beta1: u32,
  beta2: u32,
  one_minus_beta2: u32,
  bias1: u32, // 1 - beta1^t
  bias2: u32, // 1 - beta2^t
  eps: u32,
  weight_decay: u32,
  scale: u32, // the gradient scale, or max_norm when clip = 1
}

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> p: array<u32>;
@group(0) @binding(2) var<storage, read> grad: array<u32>;
@group(0) @binding(3) var<storage, read_write> m: array<u32>;
@group(0) @binding(4) var<storage, read_write> v: array<u32>;
@group(0) @binding(5) var<storage, read> norm: array<u32>;

@compute @workgroup_size(WG)
fn adamw_step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * params.groups_x) * WG + lid;
  if (i >= params.n) {
    return;
  }
  if (params.clip == 2u && norm[1] != 1u) {
    return; // a refused step leaves p, m and v as they were
  }
  var scale = params.scale;
  if (params.clip != 0u) {
    scale = sf_min(SF_ONE, sf_div(params.scale, norm[0]));
  }
  let g = sf_mul(grad[i], scale);
  let mi = sf_add(sf_mul(params.beta1, m[i]), sf_mul(params.one_minus_beta1, g));
  let vi = sf_add(sf_mul(params.beta2, v[i]), sf_mul(params.one_minus_beta2, sf_mul(g, g)));
  let m_hat = sf_div(mi, params.bias1);
  let v_hat = sf_div(vi, params.bias2);
  let step = sf_add(sf_div(m_hat, sf_add(sf_sqrt(v_hat), params.eps)), sf_mul(params.weight_decay, p[i]));
  p[i] = sf_sub(p[i], sf_mul(params.lr, step));
  m[i] = mi;
  v[i] = vi;
}

// ---- Global gradient norm: sqrt(sum of g^2) over several tensors, in three kinds of dispatch. ----
// 1. norm_scale, per tensor: the largest exponent of all gradients and their NaN/Inf flags.
// 2. norm_partial, per tensor: each workgroup's exact sum of (g * 2^-s)^2, s = e_max - 127, which
//    brings every |g| below 2, so the squares are < 4: a fixed fixed-point scale (exponent field
//    128) with 86 bits below the largest square, and neither overflow nor loss at any magnitude.
// 3. norm_finish, once: adds the partial sums (integers: any order), rounds once, sqrt, * 2^s.
struct NormParams {
  n: u32, // norm_scale, norm_partial: this tensor's length; norm_finish: the number of partials
  groups: u32, // workgroups of this dispatch (grid-stride)
  offset: u32, // norm_partial: where this tensor's partial sums start
}

const NORM_SCALE: u32 = 128u;

@group(0) @binding(0) var<uniform> nparams: NormParams;
@group(0) @binding(1) var<storage, read> g_in: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<atomic<u32>, 2>; // e_max, flags
@group(0) @binding(3) var<storage, read_write> partials: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> norm_out: array<u32>;

var<workgroup> wg_e: atomic<u32>;
var<workgroup> wg_f: atomic<u32>;
var<workgroup> wg_acc: array<vec4<u32>, WG>;

@compute @workgroup_size(WG)
fn norm_scale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var e = 0u;
  var f = 0u;
  for (var i = wid.x * WG + lid; i < nparams.n; i += nparams.groups * WG) {
    e = max(e, fx_exponent(g_in[i]));
    f |= fx_flags(g_in[i]);
  }
  atomicMax(&wg_e, e);
  atomicOr(&wg_f, f);
  workgroupBarrier();
  if (lid == 0u) {
    atomicMax(&state[0], atomicLoad(&wg_e)); // integer max and or: order-free
    atomicOr(&state[1], atomicLoad(&wg_f));
  }
}

@compute @workgroup_size(WG)
fn norm_partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = i32(atomicLoad(&state[0])) - 127i;
  var acc = vec4<u32>(0u);
  for (var i = wid.x * WG + lid; i < nparams.n; i += nparams.groups * WG) {
    let t = sf_ldexp(g_in[i], -s);
    acc = fx_add(acc, fx_term(sf_mul(t, t), NORM_SCALE));
  }
  wg_acc[lid] = acc;
  workgroupBarrier();
  let total = tree_sum(lid);
  if (lid == 0u) {
    partials[nparams.offset + wid.x] = total;
  }
}

@compute @workgroup_size(WG)
fn norm_finish(@builtin(local_invocation_index) lid: u32) {
  var acc = vec4<u32>(0u);
  for (var i = lid; i < nparams.n; i += WG) {
    acc = fx_add(acc, partials[i]);
  }
  wg_acc[lid] = acc;
  workgroupBarrier();
  let total = tree_sum(lid);
  if (lid == 0u) {
    // The squares' flags: NaN stays NaN, an infinity of either sign squares to +Inf.
    let f = atomicLoad(&state[1]);
    let inf = select(0u, FX_POS_INF, (f & (FX_POS_INF | FX_NEG_INF)) != 0u);
    let sum = fx_to_f32(total, NORM_SCALE, (f & FX_NAN) | inf | FX_NOT_NEG_ZERO);
    norm_out[0] = sf_ldexp(sf_sqrt(sum), i32(atomicLoad(&state[0])) - 127i);
  }
}

// ---- The step guard: a training step's scalars, and whether its update may apply. ----
// One thread. scalars[0] = the gradient norm, [2] = the loss, [1] = 1 while this step's loss and norm
// and every earlier step's since the host set the flag were finite, else 0: a refusal sticks, so steps
// already queued behind a refused one skip their updates too. adamw_step with clip = 2 honours it.
@group(0) @binding(0) var<storage, read> guard_loss: array<u32>;
@group(0) @binding(1) var<storage, read> guard_norm: array<u32>;
@group(0) @binding(2) var<storage, read_write> step_scalars: array<u32>;

@compute @workgroup_size(1)
fn step_guard() {
  let loss = guard_loss[0];
  let n = guard_norm[0];
  let finite = (loss & SF_INF) != SF_INF && (n & SF_INF) != SF_INF;
  step_scalars[0] = n;
  step_scalars[1] = select(0u, step_scalars[1], finite);
  step_scalars[2] = loss;
}
