// matmul_int: C = (A − a_zero) · (B − b_zero) for MatMulInteger, over int8 / uint8 values widened to
// i32. WGSL's i32 + and * wrap (two's complement), so every order of the sum gives the exact sum mod
// 2^32: onnxruntime's int32 accumulator and the CPU reference (src/kernels/matmul_int.ts) alike. One
// output per thread, K walked in order.
struct Params {
  m: u32,
  n: u32,
  k: u32,
  b_stride: u32,  // elements between B's batches: 0 for a B shared by every batch
  a_zero: i32,
  per_column: u32,  // b_zero holds one value per column (else one value)
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<i32>;
@group(0) @binding(2) var<storage, read> b: array<i32>;
@group(0) @binding(3) var<storage, read> b_zero: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  let i = id.y;
  let z = id.z;
  if (i >= p.m || j >= p.n) {
    return;
  }
  let bz = b_zero[select(0u, j, p.per_column == 1u)];
  let ao = (z * p.m + i) * p.k;
  let bo = z * p.b_stride;
  var acc = 0i;
  for (var q = 0u; q < p.k; q++) {
    acc += (a[ao + q] - p.a_zero) * (b[bo + q * p.n + j] - bz);
  }
  out[(z * p.m + i) * p.n + j] = acc;
}
