// ONNX Conv (2-D): im2col (src/kernels/im2col.ts), then the bq15 matmul (src/kernels/matmul.ts), then
// the bias. Its bits are defined by that sequence: for each group g, the patches P_g [N·oH·oW, K]
// (K = C/group · kH · kW, in (channel, row, column) order, zeros where the window reads padding) times
// W_g [M/group, K] transposed, each output rounded once from its exact sum; the bias is one f32 add. The
// GPU form builds the patches and runs the product on the GPU kernels, so where the node runs changes
// nothing. The window geometry (pads, strides, dilations, auto_pad, ceil_mode) is shared with the pools
// (pool.ts).
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import { download, upload } from '../gpu/tensor.ts'
import { im2col, im2colF32, im2colRef } from '../kernels/im2col.ts'
import { matmul, matmulRef } from '../kernels/matmul.ts'
import { matmulInt, matmulIntRef } from '../kernels/matmul_int.ts'
import { MAX_K } from '../kernels/quantize.ts'
import * as sf from '../kernels/softfloat.ts'
import {
  float,
  isFloat,
  type FloatTensor,
  type GpuContext,
  type Node,
  type OnnxOp,
  type RunContext,
  type Tensor,
} from './onnx.ts'
import { defineOp, size } from './op.ts'

/** Where a 2-D window sits: per spatial axis its kernel, stride, dilation, leading pad and output size. */
export interface Windows {
  kernel: [number, number]
  strides: [number, number]
  dilations: [number, number]
  pads: [number, number]
  out: [number, number]
  /** The padded extent's end (input size + trailing pad), for AveragePool's count_include_pad. */
  ends: [number, number]
}

const pair = (where: string, name: string, v: unknown, fallback: number[], min: number) => {
  const a = v === undefined ? fallback : v
  if (!Array.isArray(a) || a.length !== fallback.length || a.some((d) => !Number.isInteger(d) || d < min))
    throw new OnnxError(
      `${where}: ${name} ${JSON.stringify(v)} must be ${fallback.length} integers ≥ ${min}.`,
    )
  return a as number[]
}

/**
 * The windows of a 2-D Conv or pool over input [.., H, W]. Pads are [top, left, bottom, right];
 * auto_pad SAME_UPPER / SAME_LOWER put the odd pad last / first. ceil_mode (pools) keeps a last
 * partial window, but not one that starts in the trailing pad (onnxruntime's rule).
 */
export function windows(
  where: string,
  node: Node,
  input: number[],
  kernel: number[],
  pool: boolean,
): Windows {
  const a = node.attrs
  const strides = pair(where, 'strides', a.strides, [1, 1], 1)
  const dilations = pair(where, 'dilations', a.dilations, [1, 1], 1)
  const autoPad = a.auto_pad ?? 'NOTSET'
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(String(autoPad)))
    throw new OnnxError(`${where}: auto_pad ${JSON.stringify(autoPad)} is not supported.`)
  // onnxruntime refuses a dilated SAME Conv, and pads a dilated SAME pool as if undilated (not the spec).
  if (String(autoPad).startsWith('SAME') && dilations.some((d) => d !== 1))
    throw new OnnxError(`${where}: auto_pad ${autoPad} with dilations [${dilations}] is not supported.`)
  if (autoPad !== 'NOTSET' && a.pads !== undefined)
    throw new OnnxError(`${where}: pads cannot be given with auto_pad ${autoPad}.`)
  const ceil = a.ceil_mode === 1
  if (a.ceil_mode !== undefined && (!pool || (a.ceil_mode !== 0 && a.ceil_mode !== 1)))
    throw new OnnxError(`${where}: ceil_mode ${a.ceil_mode} is not supported.`)
  let pads = pair(where, 'pads', a.pads, [0, 0, 0, 0], 0)
  const span = kernel.map((k, i) => (k - 1) * dilations[i] + 1)
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = input.map((d, i) => Math.max(0, (Math.ceil(d / strides[i]) - 1) * strides[i] + span[i] - d))
    const lead = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)))
    pads = [...lead, ...total.map((t, i) => t - lead[i])]
  }
  if (pool && pads.some((p, i) => p >= kernel[i % 2]))
    throw new OnnxError(`${where}: pads [${pads}] must be smaller than the kernel [${kernel}].`)
  const out = input.map((d, i) => {
    const room = d + pads[i] + pads[i + 2] - span[i]
    if (room < 0) return 0
    let o = (ceil ? Math.ceil(room / strides[i]) : Math.floor(room / strides[i])) + 1
    if (ceil && (o - 1) * strides[i] >= d + pads[i]) o--
    return o
  })
  if (out.some((o) => o < 1))
    throw new OnnxShapeError(
      `${where}: the window [${kernel}] does not fit the input [${input}] with pads [${pads}].`,
    )
  return {
    kernel: kernel as [number, number],
    strides: strides as [number, number],
    dilations: dilations as [number, number],
    pads: [pads[0], pads[1]],
    out: out as [number, number],
    ends: [input[0] + pads[2], input[1] + pads[3]],
  }
}

/** The checked geometry of a Conv node: X [N, C, H, W], W [M, C/group, kH, kW], optional B [M]. */
export function convPlan(where: string, node: Node, x: number[], w: number[], b?: number[]) {
  if (x.length !== 4)
    throw new OnnxError(`${where}: only 2-D convolution is supported (X of rank 4); X is [${x}].`)
  if (w.length !== 4) throw new OnnxShapeError(`${where}: W [${w}] must have rank 4.`)
  const group = node.attrs.group ?? 1
  const [n, c] = x
  const [m, cg, kh, kw] = w
  if (typeof group !== 'number' || !Number.isInteger(group) || group < 1 || c % group || m % group)
    throw new OnnxError(`${where}: group ${group} must divide the ${c} input and ${m} output channels.`)
  if (cg * group !== c)
    throw new OnnxShapeError(
      `${where}: W [${w}] has ${cg} channels per group; X has ${c} in ${group} groups.`,
    )
  const ks = node.attrs.kernel_shape
  if (ks !== undefined && (!Array.isArray(ks) || ks.join() !== [kh, kw].join()))
    throw new OnnxShapeError(`${where}: kernel_shape ${JSON.stringify(ks)} is not W's [${kh},${kw}].`)
  if (b && (b.length !== 1 || b[0] !== m)) throw new OnnxShapeError(`${where}: B [${b}] must be [${m}].`)
  if (n < 1 || m < 1 || c < 1 || kh < 1 || kw < 1)
    throw new OnnxError(`${where}: empty tensors ([${x}], [${w}]) are not supported.`)
  const k = cg * kh * kw
  if (k > MAX_K) throw new OnnxError(`${where}: K = ${k} exceeds the exact-accumulation limit of ${MAX_K}.`)
  const win = windows(where, node, x.slice(2), [kh, kw], false)
  const positions = n * win.out[0] * win.out[1]
  return { n, c, m, group, cg, mg: m / group, k, win, positions }
}
type ConvPlan = ReturnType<typeof convPlan>

const productShapes = (p: ConvPlan) =>
  p.group === 1
    ? { a: [p.positions, p.k], b: [p.mg, p.k] }
    : { a: [p.group, p.positions, p.k], b: [p.group, p.mg, p.k] }

/** [group, positions, M/group] products into `out` as [N, M, oH, oW], each through `f` (Conv's bias). */
export function toNchw<T extends Float32Array | Int32Array>(
  y: T,
  p: ConvPlan,
  out: T,
  f: (v: number, m: number) => number = (v) => v,
): T {
  const plane = p.win.out[0] * p.win.out[1]
  for (let g = 0; g < p.group; g++)
    for (let q = 0; q < p.positions; q++) {
      const n = Math.floor(q / plane)
      for (let j = 0; j < p.mg; j++) {
        const m = g * p.mg + j
        out[(n * p.m + m) * plane + (q % plane)] = f(y[(g * p.positions + q) * p.mg + j], m)
      }
    }
  return out
}

/** The product's output, plus the bias (one f32 add). */
const finish = (y: Float32Array, p: ConvPlan, bias?: Float32Array): FloatTensor =>
  float(
    [p.n, p.m, ...p.win.out],
    toNchw(
      y,
      p,
      new Float32Array(p.n * p.m * p.win.out[0] * p.win.out[1]),
      bias && ((v, m) => sf.add(v, bias[m])),
    ),
  )

const planOf = (c: RunContext) => convPlan(c.where, c.node, c.ins[0]!.dims, c.ins[1]!.dims, c.ins[2]?.dims)

const Conv: OnnxOp = {
  inputs: [2, 3],
  shape: ({ node, where, float: dims, ins }) => {
    const p = convPlan(where, node, dims(0), dims(1), ins[2] ? dims(2) : undefined)
    return [{ type: 'float', dims: [p.n, p.m, ...p.win.out] }]
  },
  // The bq15 product (as MatMul prices it: src/ops/matmul.ts) over the patches, which are scratch.
  cost: ({ node, ins, out }) => {
    const p = convPlan('', node, ins[0]!.dims, ins[1]!.dims)
    const blocks = Math.ceil(p.k / 32)
    const cols = p.group * p.positions * p.k
    const vectors = p.group * (p.positions + p.mg)
    return {
      scratch: 2 * cols + vectors * (32 * blocks + 128),
      operations: out * (64 * blocks + 256) + 4 * cols,
    }
  },
  run: (c) => {
    const p = planOf(c)
    const s = productShapes(p)
    const cols = im2colF32(c.float(0).data, c.ins[0]!.dims, p)
    const y = matmulRef(cols, s.a, c.float(1).data, s.b, { transB: true })
    return [finish(y, p, c.ins[2] && c.float(2).data)]
  },
  gpu: async (g, c) => {
    const [x, w, b] = c.ins
    if (!isFloat(x) || !isFloat(w) || (b && !isFloat(b))) return null
    const p = planOf(c)
    // Past the adapter's dispatch limits (one group per batch, up to 8 positions per workgroup) it stays
    // on the CPU reference, with the same bits.
    const limit = g.gpu.limits.maxComputeWorkgroupsPerDimension
    if (p.group > limit || Math.ceil(p.positions / 8) > limit) return null
    const s = productShapes(p)
    const cols = await im2col(g.gpu, g.up(x), p)
    g.hold(cols)
    const y = await g.out(await matmul(g.gpu, cols, g.up(w, s.b), { transB: true }), [
      size(s.b) / p.k,
      p.positions,
    ])
    return finish(y.data, p, b?.data)
  },
}

/**
 * ConvInteger (quantize_dynamic's Conv): Conv's patches of x − x_zero_point (padding contributes 0, as
 * onnxruntime pads with the zero point) times w − w_zero_point, exact integer sums wrapped to int32 —
 * MatMulInteger's product (src/kernels/matmul_int.ts), on the GPU too.
 */
const operandsOf = (c: RunContext) => {
  const [xz, wz] = [c.ins[2], c.ins[3]].map((t) => (t ? Number(t.data[0]) : 0))
  return integerOperands(c.where, c.node, c.ins[0]!, c.ins[1]!, xz, wz)
}

/** The CPU reference's product (integerProduct without a GPU, synchronously). */
export function toNchwSync(q: ReturnType<typeof integerOperands>): Int32Array {
  const cols = im2colRef(q.x, q.dims, q.p, new Int32Array(q.p.group * q.p.positions * q.p.k))
  const y = matmulIntRef(cols, q.w, q.plan, 0, [q.wz])
  return toNchw(y, q.p, new Int32Array(y.length))
}

const ConvInteger: OnnxOp = {
  inputs: [2, 4],
  shape: ({ node, where, need, ins }) => {
    const [x, w] = [need(0), need(1)]
    for (const [i, t] of [x, w, ins[2], ins[3]].entries())
      if (t && t.type !== 'int8' && t.type !== 'uint8')
        throw new OnnxError(`${where}: input ${i} is ${t.type}; ConvInteger takes int8 and uint8.`)
    for (const [i, z] of [ins[2], ins[3]].entries())
      if (z && (z.type !== [x, w][i].type || size(z.dims) !== 1 || z.dims.length > 1))
        throw new OnnxError(
          `${where}: input ${i + 2} must be one ${[x, w][i].type} value (per-channel is not supported).`,
        )
    const p = convPlan(where, node, x.dims, w.dims)
    return [{ type: 'int32', dims: [p.n, p.m, ...p.win.out] }]
  },
  cost: ({ node, ins, out }) => {
    const p = convPlan('', node, ins[0]!.dims, ins[1]!.dims)
    const cols = p.group * p.positions * p.k
    return { scratch: cols, operations: out * (p.k + 4) + 4 * cols }
  },
  run: (c) => [{ type: 'int32', dims: c.planned[0].dims, data: toNchwSync(operandsOf(c)) }],
  gpu: async (g, c) => {
    const q = operandsOf(c)
    return fitsGpu(g, q) ? { type: 'int32', dims: c.planned[0].dims, data: await integerProduct(q, g) } : null
  },
}

/**
 * ConvInteger as MatMulInteger's product: per group, the patches of x − x_zero_point [positions, K]
 * times W_gᵀ [K, M/group] (a transposed copy of the weights), with w's zero point.
 */
export function integerOperands(where: string, node: Node, x: Tensor, w: Tensor, xz = 0, wz = 0) {
  const p = convPlan(where, node, x.dims, w.dims)
  const wd = w.data as ArrayLike<number>
  // x − x_zero_point first, so the patches are a copy (on either side) with zeros for the padding.
  const shifted = Int32Array.from(x.data as ArrayLike<number>, (v) => v - xz)
  const wt = new Int32Array(p.m * p.k)
  for (let g = 0; g < p.group; g++)
    for (let j = 0; j < p.mg; j++)
      for (let k = 0; k < p.k; k++) wt[(g * p.k + k) * p.mg + j] = wd[(g * p.mg + j) * p.k + k]
  const plan = { batch: p.group, m: p.positions, k: p.k, n: p.mg, shared: false }
  return { p, x: shifted, dims: x.dims, w: wt, wz, plan }
}

/** The operands' product in [N, M, oH, oW] order, on the GPU kernel when `gpu` is given. */
export async function integerProduct(
  q: ReturnType<typeof integerOperands>,
  g?: GpuContext,
): Promise<Int32Array> {
  if (!g) return toNchwSync(q)
  const t = [upload(g.gpu, q.x, q.dims), upload(g.gpu, q.w), upload(g.gpu, Int32Array.of(q.wz))]
  const cols = await im2col(g.gpu, t[0], q.p)
  g.hold(...t, cols)
  const y = await matmulInt(g.gpu, cols, t[1], t[2], q.plan)
  g.hold(y)
  return toNchw((await download(g.gpu, y)) as Int32Array, q.p, new Int32Array(size(y.shape)))
}

/** Whether the product fits the adapter's dispatch limits (else it stays on the CPU reference). */
export const fitsGpu = (g: GpuContext, q: ReturnType<typeof integerOperands>) => {
  const limit = g.gpu.limits.maxComputeWorkgroupsPerDimension
  return Math.ceil(q.plan.m / 8) <= limit && Math.ceil(q.plan.n / 8) <= limit && q.plan.batch <= limit
}

export default defineOp({ name: 'conv', onnx: { Conv, ConvInteger } })
