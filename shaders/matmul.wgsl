// matmul: C[b] = A[b] · B[b] on bq15 operands (shaders/quantize.wgsl), exact in integers.
// Per output and per block j of 32 k's: hh = Σ hiA·hiB and mx = Σ (hiA·loB + loA·hiB) in i32 via
// dot4, p_j = hh·256 + mx (|p_j| < 2^26), then acc += p_j · 2^(oA_j + oB_j) in i64 (block offsets
// o in [0, 12]: |acc| < 2^61 for K <= 65536). C = f32_RNE(acc · 2^(EmaxA + EmaxB - 296)), once.
// Integer sums are exact, so every tiling, split of K and workgroup count gives the same bits.
// An epilogue (override EPILOGUE) may then apply, to the rounded C, the elementwise steps that would
// otherwise be their own dispatches: C·s, + bias[col], residual + (all softfloat, in that order, as
// shaders/elementwise.wgsl does them: the same steps per element, so the same bits).
// Needs the prelude: dot4, wide and softfloat's add and mul (src/gpu/shader.ts).
struct Params {
  m: u32,
  n: u32,
  words: u32,     // packed words per vector: 8 per block of 32 k's
  batch: u32,
  a_batch: u32,   // packed words between batches of A (0 = broadcast)
  b_batch: u32,
  ea_batch: u32,  // exponent entries between batches of A (0 = broadcast)
  eb_batch: u32,
  split_blocks: u32, // blocks per split (entry point `partial`)
  splits: u32,
  scale: u32,     // f32 bits: the epilogue's factor
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec2<u32>>;   // [batch][m][words] (hi, lo)
@group(0) @binding(2) var<storage, read> b: array<vec2<u32>>;   // [batch][n][words] (hi, lo)
@group(0) @binding(3) var<storage, read> ea: array<u32>;        // [batch][m][1 + blocks]
@group(0) @binding(4) var<storage, read> eb: array<u32>;        // [batch][n][1 + blocks]
@group(0) @binding(5) var<storage, read_write> out: array<u32>;  // f32 bits, [batch][m][n]
@group(0) @binding(6) var<storage, read_write> partials: array<vec2<u32>>; // i64 [splits][batch][m][n]
@group(0) @binding(7) var<storage, read> bias: array<u32>;     // f32 bits, [n]
@group(0) @binding(8) var<storage, read> residual: array<u32>; // f32 bits, [batch][m][n]

const NONFINITE: u32 = 0xffffffffu;
const TM: u32 = 4u;
const TN: u32 = 4u;
override WG: u32 = 16u; // threads per side; tiles are (WG*TM) x (WG*TN); any value, same bits
const EPI_SCALE: u32 = 1u;
const EPI_BIAS: u32 = 2u;
const EPI_RESIDUAL: u32 = 4u;
override EPILOGUE: u32 = 0u; // the EPI_ steps to apply

var<workgroup> tile_a: array<vec2<u32>, WG * TM * 8u>;
var<workgroup> tile_b: array<vec2<u32>, WG * TN * 8u>;
var<workgroup> tile_ea: array<u32, WG * TM>;
var<workgroup> tile_eb: array<u32, WG * TN>;
var<private> acc: array<vec2<u32>, 16>;
var<private> top_a: array<u32, 4>;
var<private> top_b: array<u32, 4>;

fn blocks() -> u32 {
  return p.words / 8u;
}

// p_j · 2^(oA + oB): offsets are in [0, 12] (clamped only for non-finite vectors, whose
// outputs are NaN anyway).
fn block_term(hh: i32, mx: i32, o_a: u32, o_b: u32) -> vec2<u32> {
  return i64_shl(hh * 256i + mx, min(o_a + o_b, 24u));
}

fn finalize(x: vec2<u32>, t_a: u32, t_b: u32) -> u32 {
  if (t_a == NONFINITE || t_b == NONFINITE) {
    return 0x7fc00000u;
  }
  let sign = bitcast<u32>(bitcast<i32>(x.y) >> 31u);
  return i96_to_f32(vec3<u32>(x.x, x.y, sign), i32(t_a) + i32(t_b) - 296i);
}

// Output o (column c) after the epilogue: what scale, then a bias add, then a residual add would write.
fn epilogue(v: u32, o: u32, c: u32) -> u32 {
  var y = v;
  if ((EPILOGUE & EPI_SCALE) != 0u) {
    y = sf_mul(y, p.scale);
  }
  if ((EPILOGUE & EPI_BIAS) != 0u) {
    y = sf_add(y, bias[c]);
  }
  if ((EPILOGUE & EPI_RESIDUAL) != 0u) {
    y = sf_add(residual[o], y);
  }
  return y;
}

// Accumulates this thread's TM x TN outputs of tile (wg.x, wg.y), batch bz, blocks [b0, b1).
fn accumulate_tile(wg: vec3<u32>, lid: vec3<u32>, bz: u32, b0: u32, b1: u32) {
  let t = lid.y * WG + lid.x;
  let bm = WG * TM;
  let bn = WG * TN;
  let row0 = wg.y * bm;
  let col0 = wg.x * bn;
  let stride_e = blocks() + 1u;
  for (var i = 0u; i < TM; i++) {
    let r = min(row0 + lid.y + i * WG, p.m - 1u);
    top_a[i] = ea[bz * p.ea_batch + r * stride_e];
  }
  for (var j = 0u; j < TN; j++) {
    let c = min(col0 + lid.x + j * WG, p.n - 1u);
    top_b[j] = eb[bz * p.eb_batch + c * stride_e];
  }
  for (var i = 0u; i < TM * TN; i++) {
    acc[i] = vec2<u32>(0u);
  }
  for (var blk = b0; blk < b1; blk++) {
    for (var idx = t; idx < bm * 8u; idx += WG * WG) {
      let r = row0 + idx / 8u;
      tile_a[idx] = select(vec2<u32>(0u), a[bz * p.a_batch + r * p.words + blk * 8u + idx % 8u], r < p.m);
    }
    for (var idx = t; idx < bn * 8u; idx += WG * WG) {
      let c = col0 + idx / 8u;
      tile_b[idx] = select(vec2<u32>(0u), b[bz * p.b_batch + c * p.words + blk * 8u + idx % 8u], c < p.n);
    }
    for (var idx = t; idx < bm; idx += WG * WG) {
      tile_ea[idx] = ea[bz * p.ea_batch + min(row0 + idx, p.m - 1u) * stride_e + 1u + blk];
    }
    for (var idx = t; idx < bn; idx += WG * WG) {
      tile_eb[idx] = eb[bz * p.eb_batch + min(col0 + idx, p.n - 1u) * stride_e + 1u + blk];
    }
    workgroupBarrier();
    var hh = array<i32, 16>(); // per block: explicitly zeroed each iteration
    var mx = array<i32, 16>();
    for (var c = 0u; c < 8u; c++) {
      var av: array<vec2<u32>, 4>;
      var bv: array<vec2<u32>, 4>;
      for (var i = 0u; i < TM; i++) {
        av[i] = tile_a[(lid.y + i * WG) * 8u + c];
      }
      for (var j = 0u; j < TN; j++) {
        bv[j] = tile_b[(lid.x + j * WG) * 8u + c];
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          hh[i * TN + j] += dot4(av[i].x, bv[j].x);
          mx[i * TN + j] += dot4(av[i].x, bv[j].y) + dot4(av[i].y, bv[j].x);
        }
      }
    }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) {
        let term = block_term(hh[i * TN + j], mx[i * TN + j], tile_ea[lid.y + i * WG], tile_eb[lid.x + j * WG]);
        acc[i * TN + j] = i64_add(acc[i * TN + j], term);
      }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let bz = wg.z;
  accumulate_tile(wg, lid, bz, 0u, blocks());
  for (var i = 0u; i < TM; i++) {
    for (var j = 0u; j < TN; j++) {
      let r = wg.y * WG * TM + lid.y + i * WG;
      let c = wg.x * WG * TN + lid.x + j * WG;
      if (r < p.m && c < p.n) {
        let o = (bz * p.m + r) * p.n + c;
        out[o] = epilogue(finalize(acc[i * TN + j], top_a[i], top_b[j]), o, c);
      }
    }
  }
}

// Split-K: workgroup z = split * batch + b adds only its share of the blocks into partials.
@compute @workgroup_size(WG, WG)
fn partial(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let split = wg.z / p.batch;
  let bz = wg.z % p.batch;
  let b0 = min(split * p.split_blocks, blocks());
  accumulate_tile(wg, lid, bz, b0, min(b0 + p.split_blocks, blocks()));
  for (var i = 0u; i < TM; i++) {
    for (var j = 0u; j < TN; j++) {
      let r = wg.y * WG * TM + lid.y + i * WG;
      let c = wg.x * WG * TN + lid.x + j * WG;
      if (r < p.m && c < p.n) {
        partials[((split * p.batch + bz) * p.m + r) * p.n + c] = acc[i * TN + j];
      }
    }
  }
}

// Split-K, second pass: add the splits' exact partial sums and round once.
@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) id: vec3<u32>) {
  let total = p.batch * p.m * p.n;
  let o = id.x + id.y * 65535u * 64u;
  if (o >= total) {
    return;
  }
  var sum = vec2<u32>(0u);
  for (var s = 0u; s < p.splits; s++) {
    sum = i64_add(sum, partials[s * total + o]);
  }
  let bz = o / (p.m * p.n);
  let r = (o / p.n) % p.m;
  let c = o % p.n;
  let stride_e = blocks() + 1u;
  out[o] = epilogue(finalize(sum, ea[bz * p.ea_batch + r * stride_e], eb[bz * p.eb_batch + c * stride_e]), o, c);
}

// One thread per output, blocks and k walked backwards: a deliberately different order, for tests.
@compute @workgroup_size(8, 8)
fn naive(@builtin(global_invocation_id) id: vec3<u32>) {
  let c = id.x;
  let r = id.y;
  let bz = id.z;
  if (r >= p.m || c >= p.n) {
    return;
  }
  let stride_e = blocks() + 1u;
  let ta = ea[bz * p.ea_batch + r * stride_e];
  let tb = eb[bz * p.eb_batch + c * stride_e];
  var sum = vec2<u32>(0u);
  for (var blk = blocks(); blk > 0u; blk--) {
    var hh = 0i;
    var mx = 0i;
    for (var w = blk * 8u; w > blk * 8u - 8u; w--) {
      let va = a[bz * p.a_batch + r * p.words + w - 1u];
      let vb = b[bz * p.b_batch + c * p.words + w - 1u];
      hh += dot4(va.x, vb.x);
      mx += dot4(va.x, vb.y) + dot4(va.y, vb.x);
    }
    let e_a = ea[bz * p.ea_batch + r * stride_e + blk];
    let e_b = eb[bz * p.eb_batch + c * stride_e + blk];
    sum = i64_add(sum, block_term(hh, mx, e_a, e_b));
  }
  let o = (bz * p.m + r) * p.n + c;
  out[o] = epilogue(finalize(sum, ta, tb), o, c);
}

// Four adjacent outputs of one row per thread (the fastest on SwiftShader): A's words are loaded once
// for the four, and each accumulator is its own variable, which a CPU adapter keeps in registers where
// it would spill arrays. The same integer sums as main and naive, so the same bits.
fn row4_word(va: vec2<u32>, vb: vec2<u32>, hh: ptr<function, i32>, mx: ptr<function, i32>) {
  *hh += dot4(va.x, vb.x);
  *mx += dot4(va.x, vb.y) + dot4(va.y, vb.x);
}

@compute @workgroup_size(8, 8)
fn row4(@builtin(global_invocation_id) id: vec3<u32>) {
  let c0 = id.x * 4u;
  let r = id.y;
  let bz = id.z;
  if (r >= p.m || c0 >= p.n) {
    return;
  }
  let stride_e = blocks() + 1u;
  // Columns past the end read column n - 1 again and are not written.
  let c1 = min(c0 + 1u, p.n - 1u);
  let c2 = min(c0 + 2u, p.n - 1u);
  let c3 = min(c0 + 3u, p.n - 1u);
  let ra = bz * p.a_batch + r * p.words;
  let rb = vec4<u32>(c0, c1, c2, c3) * p.words + bz * p.b_batch;
  let ea_row = bz * p.ea_batch + r * stride_e;
  let eb_row = vec4<u32>(c0, c1, c2, c3) * stride_e + bz * p.eb_batch;
  var s0 = vec2<u32>(0u);
  var s1 = vec2<u32>(0u);
  var s2 = vec2<u32>(0u);
  var s3 = vec2<u32>(0u);
  for (var blk = 0u; blk < blocks(); blk++) {
    var h0 = 0i;
    var h1 = 0i;
    var h2 = 0i;
    var h3 = 0i;
    var m0 = 0i;
    var m1 = 0i;
    var m2 = 0i;
    var m3 = 0i;
    for (var w = blk * 8u; w < blk * 8u + 8u; w++) {
      let va = a[ra + w];
      row4_word(va, b[rb.x + w], &h0, &m0);
      row4_word(va, b[rb.y + w], &h1, &m1);
      row4_word(va, b[rb.z + w], &h2, &m2);
      row4_word(va, b[rb.w + w], &h3, &m3);
    }
    let e_a = ea[ea_row + 1u + blk];
    s0 = i64_add(s0, block_term(h0, m0, e_a, eb[eb_row.x + 1u + blk]));
    s1 = i64_add(s1, block_term(h1, m1, e_a, eb[eb_row.y + 1u + blk]));
    s2 = i64_add(s2, block_term(h2, m2, e_a, eb[eb_row.z + 1u + blk]));
    s3 = i64_add(s3, block_term(h3, m3, e_a, eb[eb_row.w + 1u + blk]));
  }
  let ta = ea[ea_row];
  let o = (bz * p.m + r) * p.n + c0;
  out[o] = epilogue(finalize(s0, ta, eb[eb_row.x]), o, c0);
  if (c0 + 1u < p.n) {
    out[o + 1u] = epilogue(finalize(s1, ta, eb[eb_row.y]), o + 1u, c0 + 1u);
  }
  if (c0 + 2u < p.n) {
    out[o + 2u] = epilogue(finalize(s2, ta, eb[eb_row.z]), o + 2u, c0 + 2u);
  }
  if (c0 + 3u < p.n) {
    out[o + 3u] = epilogue(finalize(s3, ta, eb[eb_row.w]), o + 3u, c0 + 3u);
  }
}

