// out[i] = dot4(a[i], b[i]): packed int8 dot products, one per word. The GPU self-check and the
// smallest test of the native vs emulated dot4 paths. Needs the dot4 prelude (src/gpu/shader.ts).
struct Params { n: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= params.n) {
    return;
  }
  out[i] = dot4(a[i], b[i]);
}
