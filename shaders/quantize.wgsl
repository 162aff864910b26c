// quantize: f32 vectors -> the bq15 matmul operand format (docs/determinism.md, "Matmul").
// A vector of K values along the reduction axis is cut into blocks of 32. Block j shares one
// power-of-two scale, its exponent field e_j = max(block max, Emax - 12, 1), where Emax is the
// vector's largest exponent field; it is stored as the offset o_j = e_j - Emax + 12 in [0, 12]. Each value becomes q = RNE(v * 2^(140 - e_j)), an exact
// integer with |q| <= 2^14, split as q = 256*hi + lo (hi in [-64, 64], lo in [-128, 127]) and
// packed four k's per word for dot4. Integer steps only: the same q on every adapter.
struct Params {
  vectors: u32,   // batch * rows
  rows: u32,      // vectors per batch
  k: u32,         // values per vector
  words: u32,     // ceil(k / 32) * 8: whole blocks
  stride_batch: u32,
  stride_row: u32,
  stride_k: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;                 // f32 bits
@group(0) @binding(2) var<storage, read_write> packed: array<vec2<u32>>; // (hi word, lo word)
// Per vector: [Emax or NONFINITE, o_0, o_1, ...] — words / 8 + 1 entries.
@group(0) @binding(3) var<storage, read_write> exps: array<u32>;

const WG: u32 = 64u;
const NONFINITE: u32 = 0xffffffffu;
const SPAN: u32 = 12u; // blocks sit at most this many binades below the vector maximum
var<workgroup> wmax: array<u32, WG>;

// RNE(m / 2^sh) for a 24-bit m and sh >= 10; sh > 24 always rounds to 0.
fn shift_rne(m: u32, sh: u32) -> u32 {
  if (sh > 24u) {
    return 0u;
  }
  let q = m >> sh;
  let rem = m & ((1u << sh) - 1u);
  let half = 1u << (sh - 1u);
  return q + select(0u, 1u, rem > half || (rem == half && (q & 1u) == 1u));
}

fn quant(bits: u32, e_block: u32) -> i32 {
  let e = (bits >> 23u) & 0xffu;
  let frac = bits & 0x7fffffu;
  let m = select(frac | 0x800000u, frac, e == 0u);
  let q = i32(shift_rne(m, e_block - max(e, 1u) + 10u));
  return select(q, -q, (bits >> 31u) == 1u);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let v = wg.x + wg.y * 65535u;
  if (v >= p.vectors) {
    return; // uniform per workgroup: no barrier is skipped by only some threads
  }
  let base = (v / p.rows) * p.stride_batch + (v % p.rows) * p.stride_row;
  var m = 0u;
  for (var k = t; k < p.k; k += WG) {
    m = max(m, x[base + k * p.stride_k] & 0x7fffffffu);
  }
  wmax[t] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      wmax[t] = max(wmax[t], wmax[t + s]);
    }
    workgroupBarrier();
  }
  let top = wmax[0];
  let finite = top < 0x7f800000u;
  let emax = max(top >> 23u, 1u);
  let blocks = p.words / 8u;
  let e_base = v * (blocks + 1u);
  if (t == 0u) {
    exps[e_base] = select(NONFINITE, emax, finite);
  }
  let floor_e = max(select(1u, emax - SPAN, emax > SPAN), 1u);
  for (var blk = t; blk < blocks; blk += WG) {
    var bmax = 0u;
    for (var i = 0u; i < 32u; i++) {
      let k = blk * 32u + i;
      if (k < p.k) {
        bmax = max(bmax, x[base + k * p.stride_k] & 0x7fffffffu);
      }
    }
    let e_block = max(bmax >> 23u, floor_e);
    // Non-finite vectors give NaN outputs; keep their offsets in range all the same.
    exps[e_base + 1u + blk] = select(0u, e_block + SPAN - emax, finite);
    for (var w = blk * 8u; w < blk * 8u + 8u; w++) {
      var hi = 0u;
      var lo = 0u;
      for (var j = 0u; j < 4u; j++) {
        let k = w * 4u + j;
        var q = 0i;
        if (k < p.k && finite) {
          q = quant(x[base + k * p.stride_k], e_block);
        }
        let h = (q + 128i) >> 8u;
        let l = q - h * 256i;
        hi |= (u32(h) & 0xffu) << (8u * j);
        lo |= (u32(l) & 0xffu) << (8u * j);
      }
      packed[v * p.words + w] = vec2<u32>(hi, lo);
    }
  }
}
