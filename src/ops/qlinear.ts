// The int8 operators of quantised models (onnxruntime's quantize_dynamic and QDQ exports):
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and MatMulInteger. Every step is exact or one
// correctly rounded f32 operation (softfloat), so the bits are onnxruntime's: x / scale rounded once,
// then to the nearest integer with ties to even, plus the zero point, saturated; (q − zero point) · scale
// in one rounding; integer products summed exactly, wrapped to int32 as onnxruntime's int32 accumulator
// wraps (src/kernels/matmul_int.ts, on the GPU too). Where ONNX leaves a case open (NaN in, a zero
// scale) the rules below pick one answer.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import { download, upload } from '../gpu/tensor.ts'
import { INT_RANGE, intTensor } from '../kernels/cast.ts'
import { matmulInt, matmulIntRef } from '../kernels/matmul_int.ts'
import * as sf from '../kernels/softfloat.ts'
import { axisIn, float, type Meta, type OnnxOp, type RunContext, type Tensor } from './onnx.ts'
import { defineOp, size } from './op.ts'

type Int8Type = 'int8' | 'uint8'
const is8 = (t: string): t is Int8Type => t === 'int8' || t === 'uint8'

/** q = saturate(round_half_even(x / scale) + zero point); NaN quantises as 0 would. */
export function quantize(x: number, scale: number, zp: number, type: Int8Type): number {
  const { lo, hi } = INT_RANGE[type]
  return Math.min(hi, Math.max(lo, sf.roundToI32(sf.div(x, scale)) + zp))
}

/**
 * A scale (and its zero point) for every element of x: one for the tensor, or one per index along
 * `axis` (per-channel). Blocked quantisation (opset 21's block_size) is refused.
 */
function paramShape(where: string, node: RunContext['node'], x: number[], scale: Meta, zp?: Meta) {
  if (typeof node.attrs.block_size === 'number' && node.attrs.block_size > 0)
    throw new OnnxError(
      `${where}: blocked quantisation (block_size ${node.attrs.block_size}) is not supported.`,
    )
  if (scale.type !== 'float') throw new OnnxError(`${where}: the scale must be float, got ${scale.type}.`)
  const single = (d: number[]) => d.length <= 1 && size(d) === 1
  if (zp && zp.dims.join() !== scale.dims.join() && !(single(zp.dims) && single(scale.dims)))
    throw new OnnxShapeError(`${where}: zero point [${zp.dims}] and scale [${scale.dims}] differ in shape.`)
  if (single(scale.dims)) return
  const axis = axisIn(where, node.attrs.axis ?? 1, x.length)
  if (scale.dims.length !== 1 || scale.dims[0] !== x[axis])
    throw new OnnxShapeError(
      `${where}: scale [${scale.dims}] is neither a scalar nor one per index of axis ${axis} (size ${x[axis]}).`,
    )
}

/** The index into the scale and zero point of each element of a tensor of `dims`. */
function paramIndex(node: RunContext['node'], dims: number[], params: number): (i: number) => number {
  if (params === 1) return () => 0
  const axis = axisIn('', node.attrs.axis ?? 1, dims.length)
  const inner = size(dims.slice(axis + 1))
  return (i) => Math.floor(i / inner) % dims[axis]
}

const intData = (t: Tensor | undefined) => (t ? (t.data as ArrayLike<number>) : undefined)

const QuantizeLinear: OnnxOp = {
  inputs: [2, 3],
  shape: ({ node, where, float: dims, need, ins }) => {
    const x = dims(0)
    const zp = ins[2]
    paramShape(where, node, x, need(1), zp)
    const code = node.attrs.output_dtype
    const asked =
      code === 2 ? 'uint8' : code === 3 ? 'int8' : code === undefined || code === 0 ? null : 'other'
    if (asked === 'other')
      throw new OnnxError(`${where}: output_dtype ${code} is not supported (int8 and uint8 are).`)
    if (zp && !is8(zp.type))
      throw new OnnxError(`${where}: zero point type ${zp.type} is not supported (int8 and uint8 are).`)
    if (zp && asked && zp.type !== asked)
      throw new OnnxShapeError(`${where}: output_dtype ${asked} and zero point ${zp.type} disagree.`)
    return [{ type: zp?.type ?? asked ?? 'uint8', dims: x }]
  },
  cost: ({ out }) => ({ operations: 8 * out }),
  run: ({ node, float: input, ins, planned }) => {
    const x = input(0)
    const scale = input(1).data
    const zp = intData(ins[2])
    const type = planned[0].type as Int8Type
    const at = paramIndex(node, x.dims, scale.length)
    const q = Array.from(x.data, (v, i) => quantize(v, scale[at(i)], zp ? zp[at(i)] : 0, type))
    return [intTensor(type, x.dims, q)]
  },
}

const DequantizeLinear: OnnxOp = {
  inputs: [2, 3],
  shape: ({ node, where, need, ins }) => {
    const x = need(0)
    const zp = ins[2]
    if (!is8(x.type) && x.type !== 'int32')
      throw new OnnxError(`${where}: input type ${x.type} is not supported (int8, uint8 and int32 are).`)
    if (zp && zp.type !== x.type)
      throw new OnnxShapeError(`${where}: zero point ${zp.type} and input ${x.type} differ in type.`)
    paramShape(where, node, x.dims, need(1), zp)
    return [{ type: 'float', dims: x.dims }]
  },
  cost: ({ out }) => ({ operations: 8 * out }),
  run: ({ node, ins, float: input }) => {
    const x = ins[0]!
    const q = x.data as ArrayLike<number>
    const scale = input(1).data
    const zp = intData(ins[2])
    const at = paramIndex(node, x.dims, scale.length)
    // q − zp is an exact integer; its f32 is rounded once (only int32 can need it), then one f32 product.
    const y = sf.f32Array(q.length, (i) => sf.mul(Math.fround(q[i] - (zp ? zp[at(i)] : 0)), scale[at(i)]))
    return [float(x.dims, y)]
  },
}

/**
 * onnxruntime's GetQuantizationParameter, which the ONNX spec describes: the range [min(x, 0),
 * max(x, 0)] over 255 steps (scale 1 when it is empty), the zero point −min / scale clamped to
 * [0, 255] and rounded half to even. Min and max are exact; the rest is softfloat f32 (a NaN in x
 * makes the scale NaN and every output 0).
 */
export function dynamicParams(x: Float32Array): { scale: number; zp: number } {
  let lo = 0
  let hi = 0
  for (const v of x) {
    lo = sf.min(lo, v)
    hi = sf.max(hi, v)
  }
  const scale = hi === lo ? 1 : sf.div(sf.sub(hi, lo), 255)
  const z = sf.sub(0, sf.div(lo, scale))
  return { scale, zp: sf.roundToI32(z !== z ? z : Math.max(0, Math.min(255, z))) }
}

const DynamicQuantizeLinear: OnnxOp = {
  inputs: [1, 1],
  outputs: 'many',
  shape: ({ node, where, float: dims }) => {
    if (node.outputs.length !== 3)
      throw new OnnxShapeError(`${where}: must have three outputs (y, y_scale, y_zero_point).`)
    return [
      { type: 'uint8', dims: dims(0) },
      { type: 'float', dims: [] },
      { type: 'uint8', dims: [] },
    ]
  },
  cost: ({ x }) => ({ operations: 12 * x }),
  run: ({ float: input }) => {
    const x = input(0)
    const { scale, zp } = dynamicParams(x.data)
    const y = Array.from(x.data, (v) => quantize(v, scale, zp, 'uint8'))
    return [intTensor('uint8', x.dims, y), float([], Float32Array.of(scale)), intTensor('uint8', [], [zp])]
  },
}

/** [.., M, K] · [K, N] or [.., K, N] (batches alike), numpy's rank-1 rules; as MatMul (src/ops/matmul.ts). */
function productDims(where: string, x: number[], w: number[]) {
  if (!x.length || !w.length) throw new OnnxShapeError(`${where}: operands must have rank 1 or more.`)
  const xd = x.length === 1 ? [1, x[0]] : x
  const wd = w.length === 1 ? [w[0], 1] : w
  const [m, k] = xd.slice(-2)
  const [k2, n] = wd.slice(-2)
  if (k !== k2)
    throw new OnnxShapeError(`${where}: inner dimensions differ: [${x}] has ${k}, [${w}] has ${k2}.`)
  const batch = xd.slice(0, -2)
  if (wd.length > 2 && wd.slice(0, -2).join() !== batch.join())
    throw new OnnxError(`${where}: batch dims [${batch}] and [${wd.slice(0, -2)}] must match (or B be 2-D).`)
  let dims = [...batch, m, n]
  if (x.length === 1) dims = dims.filter((_, i) => i !== dims.length - 2)
  if (w.length === 1) dims = dims.slice(0, -1)
  return { dims, batch: size(batch), m, k, n, shared: wd.length === 2 }
}

const MatMulInteger: OnnxOp = {
  inputs: [2, 4],
  shape: ({ where, need, ins }) => {
    const [a, b] = [need(0), need(1)]
    for (const [i, t] of [a, b, ins[2], ins[3]].entries())
      if (t && !is8(t.type))
        throw new OnnxError(`${where}: input ${i} is ${t.type}; MatMulInteger takes int8 and uint8.`)
    const p = productDims(where, a.dims, b.dims)
    if (ins[2] && (ins[2].type !== a.type || size(ins[2].dims) !== 1 || ins[2].dims.length > 1))
      throw new OnnxError(`${where}: a_zero_point must be one ${a.type} value (per-row is not supported).`)
    const bz = ins[3]
    const perColumn = bz && bz.dims.length === 1 && bz.dims[0] === p.n && b.dims.length === 2
    if (bz && (bz.type !== b.type || (size(bz.dims) !== 1 && !perColumn) || bz.dims.length > 1))
      throw new OnnxError(`${where}: b_zero_point must be one ${b.type} value or one per column of a 2-D B.`)
    return [{ type: 'int32', dims: p.dims }]
  },
  // A multiply-add per step of K for every output, in JavaScript numbers.
  cost: ({ ins, out }) => ({ operations: out * (ins[0]!.dims.at(-1)! + 4) }),
  run: ({ where, ins, planned }) => {
    const [a, b, az, bz] = ins.map((t) => t?.data as ArrayLike<number> | undefined)
    const p = productDims(where, ins[0]!.dims, ins[1]!.dims)
    return [{ type: 'int32', dims: planned[0].dims, data: matmulIntRef(a!, b!, p, az?.[0], bz) }]
  },
  // Every size on the GPU kernel, up to the adapter's dispatch limits (else the CPU reference).
  gpu: async (g, { where, ins, planned }) => {
    const p = productDims(where, ins[0]!.dims, ins[1]!.dims)
    const limit = g.gpu.limits.maxComputeWorkgroupsPerDimension
    if (!p.m || !p.n || !p.k || !p.batch) return null
    if (Math.ceil(p.m / 8) > limit || Math.ceil(p.n / 8) > limit || p.batch > limit) return null
    const wide = (t: Tensor | undefined, fallback = 0) =>
      upload(g.gpu, Int32Array.from(t ? (t.data as ArrayLike<number>) : [fallback]))
    const [a, b, bz] = [wide(ins[0]), wide(ins[1]), wide(ins[3])]
    g.hold(a, b, bz)
    const y = await matmulInt(g.gpu, a, b, bz, p, ins[2] ? Number(ins[2].data[0]) : 0)
    g.hold(y)
    return { type: 'int32', dims: planned[0].dims, data: (await download(g.gpu, y)) as Int32Array }
  },
}

export default defineOp({
  name: 'qlinear',
  onnx: { QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger },
})
