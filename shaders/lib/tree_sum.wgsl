// tree_sum: the workgroup's total of its threads' fixed-point accumulators in wg_acc (shaders/lib/fixed.wgsl),
// as a pairwise tree for any WG (not only powers of two). Integer additions, so the tree's shape cannot
// change a bit. For kernels that declare `override WG` and `var<workgroup> wg_acc: array<vec4<u32>, WG>`
// (withPrelude adds it to any kernel that calls it). Call from uniform control flow.
fn tree_sum(lid: u32) -> vec4<u32> {
  var live = WG;
  while (live > 1u) {
    let half = (live + 1u) / 2u;
    if (lid < live - half) {
      wg_acc[lid] = fx_add(wg_acc[lid], wg_acc[lid + half]);
    }
    workgroupBarrier();
    live = half;
  }
  return wg_acc[0];
}
