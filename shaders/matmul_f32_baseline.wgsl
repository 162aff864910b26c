// matmul_f32_baseline: a plain tiled f32 matmul, C = A · B, row-major [M,K]·[K,N].
// NOT DETERMINISTIC: the compiler may contract `acc + a*b` into fma and reorder nothing else, so
// bits differ across adapters (NVIDIA fuses, SwiftShader does not). Kept only as the speed
// baseline that bench/ compares the deterministic matmul against.
struct Params {
  m: u32,
  n: u32,
  k: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const WG: u32 = 16u;
const T: u32 = 4u;       // outputs per thread per side
const BS: u32 = 64u;     // WG * T
const BK: u32 = 16u;

var<workgroup> ta: array<f32, BS * BK>; // [row][k]
var<workgroup> tb: array<f32, BK * BS>; // [k][col]

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.y * WG + lid.x;
  let row0 = wg.y * BS;
  let col0 = wg.x * BS;
  var acc: array<f32, 16>;
  for (var i = 0u; i < 16u; i++) {
    acc[i] = 0.0;
  }
  for (var k0 = 0u; k0 < p.k; k0 += BK) {
    for (var idx = t; idx < BS * BK; idx += WG * WG) {
      let r = idx / BK;
      let kk = idx % BK;
      let ar = row0 + r;
      let ak = k0 + kk;
      ta[idx] = select(0.0, a[ar * p.k + ak], ar < p.m && ak < p.k);
      let bk = k0 + idx / BS;
      let bc = col0 + idx % BS;
      tb[idx] = select(0.0, b[bk * p.n + bc], bk < p.k && bc < p.n);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < T; i++) {
        av[i] = ta[(lid.y + i * WG) * BK + kk];
        bv[i] = tb[kk * BS + lid.x + i * WG];
      }
      for (var i = 0u; i < T; i++) {
        for (var j = 0u; j < T; j++) {
          acc[i * T + j] = acc[i * T + j] + av[i] * bv[j];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < T; i++) {
    for (var j = 0u; j < T; j++) {
      let r = row0 + lid.y + i * WG;
      let col = col0 + lid.x + j * WG;
      if (r < p.m && col < p.n) {
        c[r * p.n + col] = acc[i * T + j];
      }
    }
  }
}
