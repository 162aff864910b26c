// out[i] = op(a[ia], b[ib]) or select(c[ic], a[ia], b[ib]) with numpy broadcasting: each operand's
// offset comes from the output index through its strides (0 on a broadcast axis). f32 values as u32 bits;
// the arithmetic is shaders/lib/softfloat.wgsl's, so src/ops/binary.ts's and compare.ts's CPU forms
// (the references) agree bit for bit, and Where only copies bits. OP ids are elementwise.ts's binary ones,
// and 40 for Where; the launcher is src/kernels/broadcast.ts.
override OP: u32 = 16u;

struct Params {
  n: u32,
  rank: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read> c: array<u32>; // Where's condition, 0 or 1 a value
// [output dims, a's strides, b's strides, c's strides], rank values each
@group(0) @binding(4) var<storage, read> dims_strides: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let i = (group.y * groups.x + group.x) * 64u + lane;
  if (i >= params.n) {
    return;
  }
  let rank = params.rank;
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  var ic = 0u;
  for (var k = rank; k > 0u; k--) {
    let d = k - 1u;
    let dim = dims_strides[d];
    let at = rest % dim;
    rest = rest / dim;
    ia += at * dims_strides[rank + d];
    ib += at * dims_strides[2u * rank + d];
    ic += at * dims_strides[3u * rank + d];
  }
  let x = a[ia];
  let y = b[ib];
  switch OP {
    case 16u: { out[i] = sf_add(x, y); }
    case 17u: { out[i] = sf_sub(x, y); }
    case 18u: { out[i] = sf_mul(x, y); }
    case 19u: { out[i] = sf_div(x, y); }
    case 40u: { out[i] = select(y, x, c[ic] != 0u); }
    default: { out[i] = SF_NAN; }
  }
}
