// Launches a two-pass kernel: `fast` over its grid on the cut-down arithmetic (shaders/lib/softfloat_fast.wgsl),
// then `redo` over just the entries fast listed (shaders/lib/redo_list.wgsl), through an indirect dispatch
// whose workgroup counts fast wrote. The same bits as the kernel's one pass.
import type { Gpu } from '../gpu/runtime.ts'

/**
 * `buffers` are bindings 1..4 (null where unused), or 1..k for a kernel with more; the list takes the two
 * bindings after them: 5 (written by fast) and 6 (read by redo), or k + 1 and k + 2 (layernorm: 7 and 8).
 */
export function dispatchTwoPass(
  gpu: Gpu,
  [fast, redo]: [GPUComputePipeline, GPUComputePipeline],
  params: ArrayBufferView,
  buffers: (GPUBuffer | null)[],
  groups: [number, number],
  entries: number,
): void {
  const list = gpu.buffer(16 + 4 * entries)
  gpu.clear(list, 16)
  const bound = [...buffers, ...new Array<null>(Math.max(0, 4 - buffers.length)).fill(null)]
  gpu.dispatch(fast, params, [...bound, list], groups)
  gpu.dispatchIndirect(redo, params, [...bound, null, list], list)
  gpu.release(list)
}
