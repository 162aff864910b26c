// permute: out = x with its (up to 6) axes reordered. A copy of bits: exact on every adapter.
// out's element at multi-index o (row-major over the output shape) is x at Σ o_i · src_stride_i,
// where src_stride_i is the input stride of the axis that output axis i comes from. Each invocation
// copies `run` consecutive outputs along the last axis (run divides its length): the index is taken
// apart once for them, which is most of the work on a CPU adapter (src/kernels/permute.ts picks run).
struct Params {
  count: u32,
  rank: u32,
  run: u32,
  _pad: u32,
  out_shape: array<vec4<u32>, 2>,  // 6 used, padded
  src_stride: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn at(v: array<vec4<u32>, 2>, i: u32) -> u32 {
  return v[i / 4u][i % 4u];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = (id.x + id.y * groups.x * 64u) * p.run;
  if (o >= p.count) {
    return;
  }
  var rest = o;
  var src = 0u;
  for (var i = p.rank; i > 0u; i--) {
    let d = at(p.out_shape, i - 1u);
    src += (rest % d) * at(p.src_stride, i - 1u);
    rest /= d;
  }
  let step = select(0u, at(p.src_stride, max(p.rank, 1u) - 1u), p.rank > 0u);
  for (var j = 0u; j < p.run; j++) {
    out[o + j] = x[src + j * step];
  }
}
