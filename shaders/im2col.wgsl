// im2col: Conv's patches [group, N·oH·oW, K] from X [N, C, H, W] (K in channel, row, column order),
// zero bits where a window reads padding. A copy of bits: exact on every adapter, as its CPU twin
// (src/kernels/im2col.ts).
struct Params {
  count: u32,
  c: u32,
  h: u32,
  w: u32,
  cg: u32,
  k: u32,
  positions: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  dh: u32,
  dw: u32,
  ph: u32,
  pw: u32,
  oh: u32,
  ow: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> cols: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = id.x + id.y * groups.x * 64u;
  if (o >= p.count) {
    return;
  }
  let kk = o % p.k;
  let q = (o / p.k) % p.positions;
  let g = o / (p.k * p.positions);
  let j = kk % p.kw;
  let i = (kk / p.kw) % p.kh;
  let ch = kk / (p.kw * p.kh);
  let ox = q % p.ow;
  let oy = (q / p.ow) % p.oh;
  let n = q / (p.ow * p.oh);
  // Rows and columns before the leading pad wrap to large u32s, which the bounds test refuses.
  let y = oy * p.sh + i * p.dh - p.ph;
  let xx = ox * p.sw + j * p.dw - p.pw;
  var v = 0u;
  if (oy * p.sh + i * p.dh >= p.ph && y < p.h && ox * p.sw + j * p.dw >= p.pw && xx < p.w) {
    v = x[((n * p.c + g * p.cg + ch) * p.h + y) * p.w + xx];
  }
  cols[o] = v;
}
