import dot4Native from '../../shaders/lib/dot4_native.wgsl?raw'
import dot4Emulated from '../../shaders/lib/dot4_emulated.wgsl?raw'
import softfloat from '../../shaders/lib/softfloat.wgsl?raw'
import fixed from '../../shaders/lib/fixed.wgsl?raw'
import wide from '../../shaders/lib/wide.wgsl?raw'
import treeSum from '../../shaders/lib/tree_sum.wgsl?raw'
import norm from '../../shaders/lib/norm.wgsl?raw'

export interface PreludeOptions {
  /** Use WGSL's dot4I8Packed (true) or its exact emulation (false). */
  nativeDot4: boolean
  /** Add tree_sum (shaders/lib/tree_sum.wgsl): for reductions that declare `WG` and `wg_acc`. */
  treeSum?: boolean
  /** Add the row-norm library (shaders/lib/norm.wgsl, which needs tree_sum): for layernorm and rmsnorm. */
  norm?: boolean
}

/**
 * A kernel's full WGSL: the shared library (shaders/lib/) it may call, then the kernel itself.
 * The only place shader text is put together; kernels never splice strings of their own, and
 * specialise through pipeline override constants instead.
 */
export function withPrelude(kernel: string, options: PreludeOptions): string {
  const dot4 = options.nativeDot4 ? dot4Native : dot4Emulated
  const libs = [...(options.treeSum || options.norm ? [treeSum] : []), ...(options.norm ? [norm] : [])]
  return [dot4, wide, softfloat, fixed, ...libs, kernel].join('\n')
}
