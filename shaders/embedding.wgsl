// embedding: the forward gathers table rows by token id (a copy of bits, no arithmetic); the
// backward sums each token's gradient row into its id's row. The backward never scatters: the host
// buckets token positions by id (offsets/order), and each thread owns one (id, column) and adds
// its bucket with the exact fixed-point accumulator, so no atomics, no float order, and a token's
// position in the batch cannot change a bit. One thread per output element, 64 per workgroup;
// element indices past 65535 workgroups continue in y.
struct Params {
  tokens: u32,
  dim: u32,
  vocab: u32,
  groups_x: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

// Forward bindings.
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn embedding_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.groups_x * 64u;
  if (i >= params.tokens * params.dim) {
    return;
  }
  let id = ids[i / params.dim];
  // The launcher rejects bad ids; should one get here anyway, its row is zeros, never a stray read.
  if (id < 0i || u32(id) >= params.vocab) {
    out[i] = 0u;
    return;
  }
  out[i] = table[u32(id) * params.dim + i % params.dim];
}

// Backward bindings: positions of id v are order[offsets[v] .. offsets[v + 1]].
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read> dout: array<u32>;
@group(0) @binding(4) var<storage, read_write> dtable: array<u32>;

@compute @workgroup_size(64)
fn embedding_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.groups_x * 64u;
  if (i >= params.vocab * params.dim) {
    return;
  }
  let v = i / params.dim;
  let c = i % params.dim;
  let start = min(offsets[v], params.tokens);
  let end = min(offsets[v + 1u], params.tokens);
  var e_max = 0u;
  var flags = 0u;
  for (var k = start; k < end; k++) {
    let t = min(order[k], params.tokens - 1u);
    let b = dout[t * params.dim + c];
    e_max = max(e_max, fx_exponent(b));
    flags |= fx_flags(b);
  }
  var acc = vec4<u32>(0u);
  for (var k = start; k < end; k++) {
    let t = min(order[k], params.tokens - 1u);
    acc = fx_add(acc, fx_term(dout[t * params.dim + c], e_max));
  }
  dtable[i] = fx_to_f32(acc, e_max, flags); // an id no token used gets +0
}
