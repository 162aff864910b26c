// The list a first pass (shaders/lib/softfloat_fast.wgsl) leaves for its redo pass, shared by the
// two-pass kernels (elementwise, softmax, cross_entropy, layernorm; launched by src/kernels/twoPass.ts). Words: [0],
// [1], [2] the redo dispatch's workgroups (x, y, z), [3] how many entries, then the entries (element or
// row indices) in any order: each one's answer is its own. The first pass writes it through binding 5;
// redo reads it through binding 6, read-only, since its dispatch also reads it as indirect arguments and
// a writable binding may not share that scope. Every name starts with nf_.

@group(0) @binding(5) var<storage, read_write> nf_list: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read> nf_listed: array<u32>;
var<workgroup> nf_row_flagged: atomic<u32>;

// Sets the redo dispatch's z; the first invocation of the first pass calls it with true.
fn nf_list_begin(first: bool) {
  if (first) {
    atomicStore(&nf_list[2], 1u);
  }
}

// Appends entry v; redo takes `per_group` entries per workgroup, on a grid 65535 workgroups wide.
fn nf_list_add(v: u32, per_group: u32) {
  let j = atomicAdd(&nf_list[3], 1u);
  atomicStore(&nf_list[4u + j], v);
  let g = j / per_group;
  atomicMax(&nf_list[0], min(g + 1u, 65535u));
  atomicMax(&nf_list[1], g / 65535u + 1u);
}

// A row kernel's end of its first pass: lists row r if any invocation of the workgroup flagged.
fn nf_list_row(r: u32, lid: u32) {
  if (nf_slow) {
    atomicOr(&nf_row_flagged, 1u);
  }
  workgroupBarrier();
  if ((lid == 0u) & (atomicLoad(&nf_row_flagged) != 0u)) {
    nf_list_add(r, 1u);
  }
}

// A two-pass kernel's arithmetic, chosen by the kernel's own `override FAST: bool`: the nf_ primitive in
// its first pass, the full function in its redo. Each pipeline compiles only its own branch.
fn nf_pass_add(a: u32, b: u32) -> u32 {
  if (FAST) {
    return nf_add(a, b);
  }
  return sf_add(a, b);
}

fn nf_pass_sub(a: u32, b: u32) -> u32 {
  if (FAST) {
    return nf_sub(a, b);
  }
  return sf_sub(a, b);
}

fn nf_pass_mul(a: u32, b: u32) -> u32 {
  if (FAST) {
    return nf_mul(a, b);
  }
  return sf_mul(a, b);
}

fn nf_pass_div(a: u32, b: u32) -> u32 {
  if (FAST) {
    return nf_div(a, b);
  }
  return sf_div(a, b);
}

fn nf_pass_ldexp(a: u32, n: i32) -> u32 {
  if (FAST) {
    return nf_ldexp(a, n);
  }
  return sf_ldexp(a, n);
}

fn nf_pass_exp_sub(x: u32, m: u32) -> u32 {
  if (FAST) {
    return nf_exp_sub(x, m);
  }
  return fx_exp_sub(x, m);
}
