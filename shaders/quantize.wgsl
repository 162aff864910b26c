// quantize: f32 vectors -> the bq15 matmul operand format (docs/determinism.md, "Matmul").
// A vector of K values along the reduction axis is cut into blocks of 32. Block j shares one
// power-of-two scale, its exponent field e_j = max(block max, Emax - 12, 1), where Emax is the
// vector's largest exponent field; it is stored as the offset o_j = e_j - Emax + 12 in [0, 12]. Each value becomes q = RNE(v * 2^(140 - e_j)), an exact
// integer with |q| <= 2^14, split as q = 256*hi + lo (hi in [-64, 64], lo in [-128, 127]) and
// packed four k's per word for dot4. Integer steps only: the same q on every adapter.
// One dispatch quantises the vectors of one operand (x) or of both a matmul needs (x, then y): workgroup
// v < first takes vector v of x, the rest take the vectors of y, each with its own layout and its own
// place in `packed` and `exps`. A vector's words depend on its values only, so sharing a dispatch
// changes no bit.
struct Params {
  vectors: u32,   // vectors of both operands
  first: u32,     // vectors of x (batch * rows); the rest are y's
  k: u32,         // values per vector
  words: u32,     // ceil(k / 32) * 8: whole blocks
  rows_x: u32,    // vectors per batch
  stride_batch_x: u32,
  stride_row_x: u32,
  stride_k_x: u32,
  rows_y: u32,
  stride_batch_y: u32,
  stride_row_y: u32,
  stride_k_y: u32,
  packed_y: u32,  // where y's words start in `packed`
  exps_y: u32,    // where y's exponents start in `exps`
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;                 // f32 bits
@group(0) @binding(2) var<storage, read_write> packed: array<vec2<u32>>; // (hi word, lo word)
// Per vector: [Emax or NONFINITE, o_0, o_1, ...] — words / 8 + 1 entries.
@group(0) @binding(3) var<storage, read_write> exps: array<u32>;
@group(0) @binding(4) var<storage, read> y: array<u32>;                 // f32 bits (x again when alone)

const WG: u32 = 64u;
const NONFINITE: u32 = 0xffffffffu;
const SPAN: u32 = 12u; // blocks sit at most this many binades below the vector maximum
var<workgroup> wmax: array<u32, WG>;

// RNE(m / 2^sh) for a 24-bit m and sh >= 10. Past sh = 24 the answer is 0, and the steps below give 0
// for every s in [25, 31] too (q = 0, rem = m < half), so clamping to 31 (WGSL shifts wrap at 32) stands
// in for a branch: no branches, no short-circuit operators, which CPU adapters run both sides of.
fn shift_rne(m: u32, sh: u32) -> u32 {
  let s = min(sh, 31u);
  let q = m >> s;
  let rem = m & ((1u << s) - 1u);
  let half = 1u << (s - 1u);
  return q + select(0u, 1u, (rem > half) | ((rem == half) & ((q & 1u) == 1u)));
}

fn quant(bits: u32, e_block: u32) -> i32 {
  let e = (bits >> 23u) & 0xffu;
  let frac = bits & 0x7fffffu;
  let m = select(frac | 0x800000u, frac, e == 0u);
  let q = i32(shift_rne(m, e_block - max(e, 1u) + 10u));
  return select(q, -q, (bits >> 31u) == 1u);
}

// Element i of x, or of y for the second operand's vectors (uniform per workgroup in `main`).
fn load(second: bool, i: u32) -> u32 {
  if (second) {
    return y[i];
  }
  return x[i];
}

// Vector `id` of the dispatch: its operand, its first element and its stride along k.
struct Vector {
  second: bool,
  v: u32,      // index within its operand
  base: u32,
  stride_k: u32,
}

fn vector_at(id: u32) -> Vector {
  let second = id >= p.first;
  let v = select(id, id - p.first, second);
  let rows = select(p.rows_x, p.rows_y, second);
  let base = (v / rows) * select(p.stride_batch_x, p.stride_batch_y, second) +
    (v % rows) * select(p.stride_row_x, p.stride_row_y, second);
  return Vector(second, v, base, select(p.stride_k_x, p.stride_k_y, second));
}

// The largest |value| bits among the vector's k = t, t + step, ...
fn vector_max(q: Vector, t: u32, step: u32) -> u32 {
  var m = 0u;
  for (var k = t; k < p.k; k += step) {
    m = max(m, load(q.second, q.base + k * q.stride_k) & 0x7fffffffu);
  }
  return m;
}

// What a vector's blocks share, from its largest |value| bits `top`: whether it is finite, its Emax, the
// floor of its block exponents, and where its exponent entries and words start.
struct Head {
  finite: bool,
  emax: u32,
  floor_e: u32,
  e_base: u32,
  w_base: u32,
}

fn head_of(q: Vector, top: u32) -> Head {
  let emax = max(top >> 23u, 1u);
  return Head(
    top < 0x7f800000u,
    emax,
    max(select(1u, emax - SPAN, emax > SPAN), 1u),
    select(0u, p.exps_y, q.second) + q.v * (p.words / 8u + 1u),
    select(0u, p.packed_y, q.second) + q.v * p.words,
  );
}

// q15 = 256 * hi + lo (hi in [-64, 64], lo in [-128, 127]) as byte j of the hi word and of the lo word.
fn q15_bytes(q15: i32, j: u32) -> vec2<u32> {
  let h = (q15 + 128i) >> 8u;
  let l = q15 - h * 256i;
  return vec2<u32>((u32(h) & 0xffu) << (8u * j), (u32(l) & 0xffu) << (8u * j));
}

// Writes Emax (t = 0) and blocks t, t + step, ... of the vector whose largest |value| bits are `top`.
fn write_vector(q: Vector, top: u32, t: u32, step: u32) {
  let hd = head_of(q, top);
  let blocks = p.words / 8u;
  if (t == 0u) {
    exps[hd.e_base] = select(NONFINITE, hd.emax, hd.finite);
  }
  for (var blk = t; blk < blocks; blk += step) {
    var bmax = 0u;
    for (var i = 0u; i < 32u; i++) {
      let k = blk * 32u + i;
      if (k < p.k) {
        bmax = max(bmax, load(q.second, q.base + k * q.stride_k) & 0x7fffffffu);
      }
    }
    let e_block = max(bmax >> 23u, hd.floor_e);
    // Non-finite vectors give NaN outputs; keep their offsets in range all the same.
    exps[hd.e_base + 1u + blk] = select(0u, e_block + SPAN - hd.emax, hd.finite);
    for (var w = blk * 8u; w < blk * 8u + 8u; w++) {
      var word = vec2<u32>(0u);
      for (var j = 0u; j < 4u; j++) {
        let k = w * 4u + j;
        var q15 = 0i;
        if (k < p.k && hd.finite) {
          q15 = quant(load(q.second, q.base + k * q.stride_k), e_block);
        }
        word |= q15_bytes(q15, j);
      }
      packed[hd.w_base + w] = word;
    }
  }
}

// One workgroup per vector: its threads share the max and the blocks (for GPUs).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let id = wg.x + wg.y * 65535u;
  if (id >= p.vectors) {
    return; // uniform per workgroup: no barrier is skipped by only some threads
  }
  let q = vector_at(id);
  wmax[t] = vector_max(q, t, WG);
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      wmax[t] = max(wmax[t], wmax[t + s]);
    }
    workgroupBarrier();
  }
  write_vector(q, wmax[0], t, WG);
}

// One thread per vector, no barriers: faster where workgroups are emulated (CPU adapters). Each block's
// 32 values are loaded once, into `vals`, for both its maximum and its words (write_vector loads them
// twice). The same integer steps, so the same words.
@compute @workgroup_size(WG)
fn per_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let id = gid.x + gid.y * groups.x * WG;
  if (id >= p.vectors) {
    return;
  }
  let q = vector_at(id);
  let hd = head_of(q, vector_max(q, 0u, 1u));
  exps[hd.e_base] = select(NONFINITE, hd.emax, hd.finite);
  var vals: array<u32, 32>;
  for (var blk = 0u; blk < p.words / 8u; blk++) {
    var bmax = 0u;
    for (var i = 0u; i < 32u; i++) {
      let k = blk * 32u + i;
      var v = 0u; // past k: a zero, which neither raises the maximum nor changes a word
      if (k < p.k) {
        v = load(q.second, q.base + k * q.stride_k);
      }
      vals[i] = v;
      bmax = max(bmax, v & 0x7fffffffu);
    }
    let e_block = max(bmax >> 23u, hd.floor_e);
    exps[hd.e_base + 1u + blk] = select(0u, e_block + SPAN - hd.emax, hd.finite);
    for (var w = 0u; w < 8u; w++) {
      var word = vec2<u32>(0u);
      for (var j = 0u; j < 4u; j++) {
        word |= q15_bytes(select(0i, quant(vals[w * 4u + j], e_block), hd.finite), j);
      }
      packed[hd.w_base + blk * 8u + w] = word;
    }
  }
}
