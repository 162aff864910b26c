// The QOperator format's int8 operators (quantize_static with QuantFormat.QOperator; the ONNX model
// zoo's int8 models): QLinearMatMul and QLinearConv. Each is its integer twin's exact int32 product
// (MatMulInteger's, ConvInteger's; QLinearConv adds its int32 bias) requantised as onnxruntime's
// MlasRequantizeOutput does: the multiplier f32(f32(a_scale · b_scale) / y_scale), then
// saturate(round_half_even(f32(f32(acc) · multiplier)) + y_zero_point) — one f32 rounding each.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import { download, upload } from '../gpu/tensor.ts'
import { INT_RANGE, intTensor } from '../kernels/cast.ts'
import { matmulInt, matmulIntRef } from '../kernels/matmul_int.ts'
import * as sf from '../kernels/softfloat.ts'
import { fitsGpu, integerOperands, integerProduct, toNchwSync, convPlan } from './conv.ts'
import type { Meta, OnnxOp, RunContext, ShapeContext } from './onnx.ts'
import { defineOp, size } from './op.ts'

type Int8Type = 'int8' | 'uint8'

/** One value, or (`per` > 0) one per output channel. */
function checkParam(where: string, name: string, t: Meta, type: string, per = 0) {
  const one = t.dims.length <= 1 && size(t.dims) === 1
  if (t.type !== type) throw new OnnxError(`${where}: ${name} must be ${type}, got ${t.type}.`)
  if (!one && !(per > 0 && t.dims.length === 1 && t.dims[0] === per))
    throw new OnnxShapeError(
      `${where}: ${name} [${t.dims}] must be one value${per ? ` or ${per}, one per output channel` : ''}.`,
    )
}

function checkQuantised(c: ShapeContext, x: number, w: number, per: number) {
  const [xq, wq] = [c.need(x), c.need(w)]
  for (const t of [xq, wq])
    if (t.type !== 'int8' && t.type !== 'uint8')
      throw new OnnxError(`${c.where}: quantised inputs must be int8 or uint8, got ${t.type}.`)
  checkParam(c.where, 'the input scale', c.need(x + 1), 'float')
  checkParam(c.where, 'the input zero point', c.need(x + 2), xq.type)
  checkParam(c.where, 'the weight scale', c.need(w + 1), 'float', per)
  checkParam(c.where, 'the weight zero point', c.need(w + 2), wq.type)
  checkParam(c.where, 'the output scale', c.need(w + 3), 'float')
  const yz = c.need(w + 4)
  if (yz.type !== 'int8' && yz.type !== 'uint8')
    throw new OnnxError(`${c.where}: the output zero point must be int8 or uint8, got ${yz.type}.`)
  checkParam(c.where, 'the output zero point', yz, yz.type)
  return yz.type as Int8Type
}

/** Requantises an int32 product [.., channels, inner] (channel `at(i)` per element). */
function requantise(c: RunContext, acc: Int32Array, scaleAt: (i: number) => number, w: number) {
  const f = (i: number) => (c.ins[i]!.data as Float32Array)[0]
  const ws = c.ins[w + 1]!.data as Float32Array
  const ys = f(w + 3)
  const yz = Number(c.ins[w + 4]!.data[0])
  const type = c.planned[0].type as Int8Type
  const { lo, hi } = INT_RANGE[type]
  const as = f(1)
  const multipliers = Array.from(ws, (s) => sf.div(sf.mul(as, s), ys))
  const q = Array.from(acc, (v, i) => {
    const m = multipliers[multipliers.length === 1 ? 0 : scaleAt(i)]
    return Math.min(hi, Math.max(lo, sf.roundToI32(sf.mul(Math.fround(v), m)) + yz))
  })
  return intTensor(type, c.planned[0].dims, q)
}

const zeroOf = (c: RunContext, i: number) => Number(c.ins[i]!.data[0])

/** [.., M, K] · [K, N] with B 2-D (the QOperator MatMul's weights). */
function productPlan(where: string, a: number[], b: number[]) {
  if (a.length < 2 || b.length !== 2)
    throw new OnnxError(`${where}: A must have rank 2 or more and B rank 2; got [${a}] and [${b}].`)
  const [m, k] = a.slice(-2)
  if (k !== b[0]) throw new OnnxShapeError(`${where}: inner dimensions differ: [${a}] and [${b}].`)
  return { batch: size(a.slice(0, -2)), m, k, n: b[1], shared: true, dims: [...a.slice(0, -1), b[1]] }
}

const QLinearMatMul: OnnxOp = {
  inputs: [8, 8],
  shape: (c) => {
    const p = productPlan(c.where, c.need(0).dims, c.need(3).dims)
    return [{ type: checkQuantised(c, 0, 3, p.n), dims: p.dims }]
  },
  cost: ({ ins, out }) => ({ operations: out * (ins[0]!.dims.at(-1)! + 12) }),
  run: (c) => {
    const p = productPlan(c.where, c.ins[0]!.dims, c.ins[3]!.dims)
    const a = c.ins[0]!.data as ArrayLike<number>
    const b = c.ins[3]!.data as ArrayLike<number>
    const acc = matmulIntRef(a, b, p, zeroOf(c, 2), [zeroOf(c, 5)])
    return [requantise(c, acc, (i) => i % p.n, 3)]
  },
  gpu: async (g, c) => {
    const p = productPlan(c.where, c.ins[0]!.dims, c.ins[3]!.dims)
    const limit = g.gpu.limits.maxComputeWorkgroupsPerDimension
    if (Math.ceil(p.m / 8) > limit || Math.ceil(p.n / 8) > limit || p.batch > limit) return null
    const wide = (i: number) => upload(g.gpu, Int32Array.from(c.ins[i]!.data as ArrayLike<number>))
    const t = [wide(0), wide(3), wide(5)]
    g.hold(...t)
    const y = await matmulInt(g.gpu, t[0], t[1], t[2], p, zeroOf(c, 2))
    g.hold(y)
    return requantise(c, (await download(g.gpu, y)) as Int32Array, (i) => i % p.n, 3)
  },
}

const QLinearConv: OnnxOp = {
  inputs: [8, 9],
  shape: (c) => {
    const p = convPlan(c.where, c.node, c.need(0).dims, c.need(3).dims)
    const type = checkQuantised(c, 0, 3, p.m)
    const bias = c.ins[8]
    if (bias && (bias.type !== 'int32' || bias.dims.join() !== String(p.m)))
      throw new OnnxShapeError(`${c.where}: B must be int32 [${p.m}], got ${bias.type} [${bias.dims}].`)
    return [{ type, dims: [p.n, p.m, ...p.win.out] }]
  },
  cost: ({ node, ins, out }) => {
    const p = convPlan('', node, ins[0]!.dims, ins[3]!.dims)
    const cols = p.group * p.positions * p.k
    return { scratch: cols, operations: out * (p.k + 12) + 4 * cols }
  },
  run: (c) => [finishConv(c, toNchwSync(operands(c)))],
  gpu: async (g, c) => {
    const q = operands(c)
    return fitsGpu(g, q) ? finishConv(c, await integerProduct(q, g)) : null
  },
}

const operands = (c: RunContext) =>
  integerOperands(c.where, c.node, c.ins[0]!, c.ins[3]!, zeroOf(c, 2), zeroOf(c, 5))

/** The int32 bias (an exact add: onnxruntime adds it to the accumulator), then requantisation. */
function finishConv(c: RunContext, acc: Int32Array) {
  const [, m, h, w] = c.planned[0].dims
  const plane = h * w
  const bias = c.ins[8]?.data as Int32Array | undefined
  if (bias) for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] + bias[Math.floor(i / plane) % m]) | 0
  return requantise(c, acc, (i) => Math.floor(i / plane) % m, 3)
}

export default defineOp({ name: 'qoperator', onnx: { QLinearMatMul, QLinearConv } })
