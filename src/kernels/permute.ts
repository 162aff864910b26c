import source from '../../shaders/permute.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { empty, numel, type GpuTensor, type HostArray } from '../gpu/tensor.ts'
import { grid } from './elementwise.ts'

export interface PermutePlan {
  outShape: number[]
  /** For each output axis, the input stride of the axis it comes from. */
  srcStride: number[]
}

/** out.shape[i] = shape[order[i]]; e.g. [B, T, H, D] with order [0, 2, 1, 3] gives [B, H, T, D]. */
export function planPermute(shape: readonly number[], order: readonly number[]): PermutePlan {
  const rank = shape.length
  const sorted = [...order].sort((a, b) => a - b)
  if (rank > 6 || order.length !== rank || sorted.some((v, i) => v !== i)) {
    throw new ShapeError(
      `permute: [${order.join(', ')}] is not an ordering of the ${rank} axes of [${shape.join(', ')}] (at most 6).`,
    )
  }
  const stride = new Array<number>(rank)
  let s = 1
  for (let i = rank - 1; i >= 0; i--) {
    stride[i] = s
    s *= shape[i]
  }
  return { outShape: order.map((a) => shape[a]), srcStride: order.map((a) => stride[a]) }
}

/** The CPU reference: the same index arithmetic. */
export function permuteRef<A extends HostArray>(x: A, shape: readonly number[], order: readonly number[]): A {
  const { outShape, srcStride } = planPermute(shape, order)
  const out = new (x.constructor as new (n: number) => A)(x.length)
  for (let o = 0; o < x.length; o++) {
    let rest = o
    let src = 0
    for (let i = outShape.length - 1; i >= 0; i--) {
      src += (rest % outShape[i]) * srcStride[i]
      rest = Math.floor(rest / outShape[i])
    }
    out[o] = x[src]
  }
  return out
}

export interface PermuteOptions {
  /**
   * Outputs each invocation copies along the last axis; must divide its length. Default: the largest of
   * 16, 8, 4, 2 that does on a CPU adapter, where taking an index apart costs more than the copy, else 1
   * (neighbouring threads then write neighbouring words). Any run gives the same bits.
   */
  run?: number
}

/** Reorders the axes of x on the GPU (a bit-exact copy). The caller releases the result. */
export async function permute(
  gpu: Gpu,
  x: GpuTensor,
  order: readonly number[],
  options: PermuteOptions = {},
): Promise<GpuTensor> {
  const { outShape, srcStride } = planPermute(x.shape, order)
  const count = numel(x.shape)
  const last = outShape[outShape.length - 1] ?? 1
  const run = options.run ?? (gpu.report.fallback ? ([16, 8, 4, 2].find((r) => last % r === 0) ?? 1) : 1)
  if (!Number.isInteger(run) || run < 1 || last % run !== 0) {
    throw new ShapeError(`permute: run must be a whole number dividing the last axis (${last}); got ${run}.`)
  }
  const out = empty(gpu, outShape, x.dtype)
  if (count === 0) return out
  const params = new Uint32Array(20)
  params[0] = count
  params[1] = outShape.length
  params[2] = run
  params.set(outShape, 4)
  params.set(srcStride, 12)
  const pipeline = await gpu.pipeline({ id: 'permute', code: source })
  gpu.dispatch(
    pipeline,
    params,
    [x.buffer, out.buffer],
    grid(Math.ceil(count / run / 64), gpu.limits.maxComputeWorkgroupsPerDimension),
  )
  return out
}
