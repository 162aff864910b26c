// im2col (shaders/im2col.wgsl): the patches a 2-D convolution multiplies, [group, N·oH·oW, K] from
// X [N, C, H, W], K in (channel, row, column) order, zeros where a window reads padding. Conv runs them
// through the bq15 matmul, ConvInteger through the integer one (src/ops/conv.ts). A copy of bits.
import source from '../../shaders/im2col.wgsl?raw'
import type { Gpu } from '../gpu/runtime.ts'
import { empty, requireDType, type GpuTensor } from '../gpu/tensor.ts'
import { grid } from './elementwise.ts'

/** Where the windows sit (src/ops/conv.ts `windows`) and how the channels split into groups. */
export interface PatchPlan {
  n: number
  c: number
  group: number
  /** Channels per group. */
  cg: number
  /** cg · kH · kW. */
  k: number
  /** N · oH · oW. */
  positions: number
  win: {
    kernel: [number, number]
    strides: [number, number]
    dilations: [number, number]
    pads: [number, number]
    out: [number, number]
  }
}

/** The CPU reference, into `cols`, less `shift` (ConvInteger's zero point; 0 copies bits exactly). */
export function im2colRef<T extends Float32Array | Int32Array | Uint32Array>(
  x: ArrayLike<number>,
  dims: readonly number[],
  p: PatchPlan,
  cols: T,
  shift = 0,
): T {
  const [h, w] = dims.slice(2)
  const { kernel, strides, dilations, pads, out } = p.win
  let at = 0
  for (let g = 0; g < p.group; g++)
    for (let n = 0; n < p.n; n++)
      for (let oy = 0; oy < out[0]; oy++)
        for (let ox = 0; ox < out[1]; ox++)
          for (let c = 0; c < p.cg; c++) {
            const plane = (n * p.c + g * p.cg + c) * h * w
            for (let i = 0; i < kernel[0]; i++) {
              const y = oy * strides[0] + i * dilations[0] - pads[0]
              for (let j = 0; j < kernel[1]; j++, at++) {
                const xx = ox * strides[1] + j * dilations[1] - pads[1]
                if (y >= 0 && y < h && xx >= 0 && xx < w) cols[at] = x[plane + y * w + xx] - shift
              }
            }
          }
  return cols
}

/** f32 patches with the input's exact bits (a NaN's payload included), as the GPU copies them. */
export function im2colF32(x: Float32Array, dims: readonly number[], p: PatchPlan): Float32Array {
  const cols = new Float32Array(p.group * p.positions * p.k)
  im2colRef(new Uint32Array(x.buffer, x.byteOffset, x.length), dims, p, new Uint32Array(cols.buffer))
  return cols
}

/** The patches of an f32 or i32 tensor on the GPU, [group, positions, K] (or [positions, K] for one group). */
export async function im2col(gpu: Gpu, x: GpuTensor, p: PatchPlan): Promise<GpuTensor> {
  if (x.dtype === 'u32') requireDType('im2col', x, 'f32')
  const [, , h, w] = x.shape
  const { kernel, strides, dilations, pads, out } = p.win
  const count = p.group * p.positions * p.k
  const cols = empty(gpu, p.group === 1 ? [p.positions, p.k] : [p.group, p.positions, p.k], x.dtype)
  if (count === 0) return cols
  const params = new Uint32Array([
    count,
    p.c,
    h,
    w,
    p.cg,
    p.k,
    p.positions,
    ...kernel,
    ...strides,
    ...dilations,
    ...pads,
    ...out,
    0,
    0,
    0,
  ])
  const pipeline = await gpu.pipeline({ id: 'im2col', code: source })
  gpu.dispatch(
    pipeline,
    params,
    [x.buffer, cols.buffer],
    grid(Math.ceil(count / 64), gpu.limits.maxComputeWorkgroupsPerDimension),
  )
  return cols
}
