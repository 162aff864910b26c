// dequantize: bq15 operand (shaders/quantize.wgsl) -> f32 values at the operand's layout.
// Value = (256·hi + lo) · 2^(Emax − 12 + o_j − 140): exact for every finite vector (15 significant
// bits at most, never below 2^-139), except the one case that rounds up to 2^128 = infinity.
// Non-finite vectors come back as NaN. Needs the prelude: wide (i96_to_f32).
struct Params {
  vectors: u32,
  rows: u32,
  k: u32,
  words: u32,
  stride_batch: u32,
  stride_row: u32,
  stride_k: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> packed: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> exps: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<u32>; // f32 bits

const NONFINITE: u32 = 0xffffffffu;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x + id.y * 65535u * 64u; // one value per thread: (vector, k)
  if (i >= p.vectors * p.k) {
    return;
  }
  let v = i / p.k;
  let k = i % p.k;
  let e_base = v * (p.words / 8u + 1u);
  let top = exps[e_base];
  let dst = (v / p.rows) * p.stride_batch + (v % p.rows) * p.stride_row + k * p.stride_k;
  if (top == NONFINITE) {
    x[dst] = 0x7fc00000u;
    return;
  }
  let word = packed[v * p.words + k / 4u];
  let lane = (k % 4u) * 8u;
  let hi = extractBits(bitcast<i32>(word.x), lane, 8u);
  let lo = extractBits(bitcast<i32>(word.y), lane, 8u);
  let q = hi * 256i + lo;
  let e = i32(top) - 12i + i32(exps[e_base + 1u + k / 32u]) - 140i;
  x[dst] = i96_to_f32(vec3<u32>(bitcast<u32>(q), bitcast<u32>(q >> 31u), bitcast<u32>(q >> 31u)), e);
}
