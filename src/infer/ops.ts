// ONNX operators on the deterministic CPU references: elementwise ops are IEEE binary32 via softfloat,
// MatMul/Gemm the bq15 matmul, Softmax/LayerNormalization/Reduce* the exact-sum kernels, shape ops exact
// copies. Same bits on every machine; the GPU kernels have these bits too.
import type { Node, Tensor } from './model.ts'
import { OnnxError } from '../errors/infer.ts'
import { axisIn, broadcastDims, outputInfo } from './shapes.ts'
import { binaryRef, scaleRef, unaryRef, type UnaryOp } from '../kernels/elementwise.ts'
import { matmulRef } from '../kernels/matmul.ts'
import { permuteRef } from '../kernels/permute.ts'
import { softmaxRef } from '../kernels/softmax.ts'
import { layernormRef } from '../kernels/layernorm.ts'
import { reduceRef } from '../kernels/reduce.ts'
import * as sf from '../kernels/softfloat.ts'

type F = Extract<Tensor, { type: 'float' }>
const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1)
const float = (dims: number[], data: Float32Array): F => ({ type: 'float', dims, data })

function needFloat(node: Node, t: Tensor | undefined, i: number): F {
  if (!t) throw new OnnxError(`${node.op} ${node.name}: input ${i} is missing.`)
  if (t.type !== 'float')
    throw new OnnxError(`${node.op} ${node.name}: input ${i} must be float, got ${t.type}.`)
  return t
}
function ints(node: Node, t: Tensor | undefined, what: string): number[] {
  if (!t || t.type !== 'int64')
    throw new OnnxError(`${node.op} ${node.name}: ${what} must be an int64 tensor.`)
  return Array.from(t.data, Number)
}
const axisOf = (node: Node, axis: unknown, rank: number) => axisIn(`${node.op} ${node.name}`, axis, rank)

/** Numpy broadcasting of two float tensors through a per-element function. */
function broadcast(node: Node, a: F, b: F, f: (x: number, y: number) => number): F {
  if (b.data.length === a.data.length && b.dims.join() === a.dims.join())
    return float(a.dims, binaryRefOr(a, b, f))
  const rank = Math.max(a.dims.length, b.dims.length)
  const pad = (d: number[]) => [...new Array(rank - d.length).fill(1), ...d]
  const [da, db] = [pad(a.dims), pad(b.dims)]
  const dims = broadcastDims(`${node.op} ${node.name}`, a.dims, b.dims)
  const strides = (d: number[]) => {
    const s = new Array(rank).fill(0)
    let k = 1
    for (let i = rank - 1; i >= 0; i--) {
      s[i] = d[i] === 1 ? 0 : k
      k *= d[i]
    }
    return s
  }
  const [sa, sb] = [strides(da), strides(db)]
  const out = new Float32Array(size(dims))
  const idx = new Array(rank).fill(0)
  for (let o = 0; o < out.length; o++) {
    let ia = 0
    let ib = 0
    for (let i = 0; i < rank; i++) {
      ia += idx[i] * sa[i]
      ib += idx[i] * sb[i]
    }
    out[o] = f(a.data[ia], b.data[ib])
    for (let i = rank - 1; i >= 0 && ++idx[i] === dims[i]; i--) idx[i] = 0
  }
  return float(dims, out)
}
const binaryRefOr = (a: F, b: F, f: (x: number, y: number) => number) =>
  sf.f32Array(a.data.length, (i) => f(a.data[i], b.data[i]))

export const onnxUnary: Record<string, UnaryOp> = {
  Sqrt: 'sqrt',
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Exp: 'exp',
  Log: 'log',
  Neg: 'neg',
  Abs: 'abs',
}
const binary: Record<string, (x: number, y: number) => number> = {
  Add: sf.add,
  Sub: sf.sub,
  Mul: sf.mul,
  Div: sf.div,
}

/** Moves `axes` to the end, flattening to [rows, n]; returns the permuted tensor and how to undo it. */
function toRows(x: F, axes: number[]) {
  const keep = x.dims.map((_, i) => i).filter((i) => !axes.includes(i))
  const order = [...keep, ...axes]
  const data = order.every((v, i) => v === i) ? x.data : permuteRef(x.data, x.dims, order)
  const n = size(axes.map((a) => x.dims[a]))
  return {
    data,
    rows: x.data.length / Math.max(1, n),
    n,
    order,
    keepDims: keep.map((i) => x.dims[i]),
    permutedDims: order.map((i) => x.dims[i]),
  }
}

export const SUPPORTED_OPS = new Set([
  ...Object.keys(onnxUnary),
  ...Object.keys(binary),
  'Pow',
  'Gelu',
  'MatMul',
  'Gemm',
  'Softmax',
  'LayerNormalization',
  'ReduceMean',
  'ReduceSum',
  'Reshape',
  'Flatten',
  'Transpose',
  'Concat',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Split',
  'Constant',
  'Identity',
  'Cast',
])

/** One node on the CPU references, after shapes.ts has checked it (and named what does not fit). */
export function runNode(node: Node, ins: (Tensor | undefined)[], opset: number): Tensor[] {
  const a = node.attrs
  const op = node.op
  const planned = outputInfo(node, ins, opset)
  if (op in onnxUnary) {
    const x = needFloat(node, ins[0], 0)
    return [float(x.dims, unaryRef(onnxUnary[op], x.data))]
  }
  if (op in binary)
    return [broadcast(node, needFloat(node, ins[0], 0), needFloat(node, ins[1], 1), binary[op])]
  switch (op) {
    case 'Identity':
      return [ins[0]!]
    case 'Constant': {
      if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return [a.value]
      if (typeof a.value_float === 'number') return [float([], new Float32Array([a.value_float]))]
      if (Array.isArray(a.value_floats))
        return [float([a.value_floats.length], Float32Array.from(a.value_floats))]
      if (typeof a.value_int === 'number')
        return [{ type: 'int64', dims: [], data: BigInt64Array.of(BigInt(a.value_int)) }]
      if (Array.isArray(a.value_ints))
        return [
          { type: 'int64', dims: [a.value_ints.length], data: BigInt64Array.from(a.value_ints.map(BigInt)) },
        ]
      throw new OnnxError(`Constant ${node.name}: unsupported value attribute.`)
    }
    case 'Cast': {
      const x = ins[0]!
      if (a.to === 1)
        return [
          x.type === 'float'
            ? x
            : float(
                x.dims,
                Float32Array.from(x.data, (v) => Math.fround(Number(v))),
              ),
        ]
      if (a.to === 7 && x.type === 'int64') return [x]
      throw new OnnxError(
        `Cast ${node.name}: only casts to float (and int64 to int64) are supported; got to=${a.to}.`,
      )
    }
    case 'Pow': {
      const x = needFloat(node, ins[0], 0)
      const p = needFloat(node, ins[1], 1).data[0]
      const f =
        p === 2
          ? (v: number) => sf.mul(v, v)
          : p === 3
            ? (v: number) => sf.mul(sf.mul(v, v), v)
            : p === 1
              ? (v: number) => sf.canon(v)
              : p === 0.5
                ? sf.sqrt
                : p === -1
                  ? (v: number) => sf.div(1, v)
                  : null
      if (!f)
        throw new OnnxError(`Pow ${node.name}: exponent ${p} is not supported (2, 3, 1, 0.5 and -1 are).`)
      // The exponent's dims broadcast with x's: [3] ^ [1, 1] is [1, 3], as in onnxruntime.
      return [
        float(
          planned[0].dims,
          sf.f32Array(x.data.length, (i) => f(x.data[i])),
        ),
      ]
    }
    case 'Gelu': {
      const x = needFloat(node, ins[0], 0)
      const approx = a.approximate ?? 'none'
      return [float(x.dims, unaryRef(approx === 'tanh' ? 'geluTanh' : 'geluErf', x.data))]
    }
    case 'MatMul': {
      const [x, w] = [needFloat(node, ins[0], 0), needFloat(node, ins[1], 1)]
      const xd = x.dims.length === 1 ? [1, x.dims[0]] : x.dims
      const wd = w.dims.length === 1 ? [w.dims[0], 1] : w.dims
      const batchX = xd.slice(0, -2)
      const batchW = wd.slice(0, -2)
      const [m, k] = xd.slice(-2)
      const n = wd[wd.length - 1]
      const B = size(batchX)
      const out = matmulRef(
        x.data,
        B > 1 || batchX.length ? [B, m, k] : [m, k],
        w.data,
        batchW.length ? [B, k, n] : [k, n],
      )
      return [float(planned[0].dims, out)]
    }
    case 'Gemm': {
      const [x, w] = [needFloat(node, ins[0], 0), needFloat(node, ins[1], 1)]
      const transA = a.transA === 1
      const transB = a.transB === 1
      let y = matmulRef(x.data, x.dims, w.data, w.dims, { transA, transB })
      const m = transA ? x.dims[1] : x.dims[0]
      const n = transB ? w.dims[0] : w.dims[1]
      const alpha = typeof a.alpha === 'number' ? a.alpha : 1
      const beta = typeof a.beta === 'number' ? a.beta : 1
      if (alpha !== 1) y = scaleRef(y, alpha)
      let out = float([m, n], y)
      if (ins[2]) {
        const c = needFloat(node, ins[2], 2)
        out = broadcast(node, out, beta === 1 ? c : float(c.dims, scaleRef(c.data, beta)), sf.add)
      }
      return [out]
    }
    case 'Softmax': {
      const x = needFloat(node, ins[0], 0)
      const axis = axisOf(node, a.axis ?? -1, x.dims.length)
      const r = toRows(x, [axis])
      const y = softmaxRef(r.data, [r.rows, r.n])
      const inverse = r.order.map((_, i) => r.order.indexOf(i))
      return [float(x.dims, r.order.every((v, i) => v === i) ? y : permuteRef(y, r.permutedDims, inverse))]
    }
    case 'LayerNormalization': {
      const x = needFloat(node, ins[0], 0)
      const axis = axisOf(node, a.axis ?? -1, x.dims.length)
      const n = size(x.dims.slice(axis))
      const g = needFloat(node, ins[1], 1)
      const b = ins[2] ? needFloat(node, ins[2], 2) : float([n], new Float32Array(n))
      const eps = typeof a.epsilon === 'number' ? a.epsilon : 1e-5
      return [float(x.dims, layernormRef(x.data, g.data, b.data, [x.data.length / n, n], { eps }).y)]
    }
    case 'ReduceMean':
    case 'ReduceSum': {
      const x = needFloat(node, ins[0], 0)
      const fromInput = op === 'ReduceSum' || opset >= 18
      let axes = fromInput ? (ins[1] ? ints(node, ins[1], 'axes') : []) : Array.isArray(a.axes) ? a.axes : []
      if (!axes.length) axes = a.noop_with_empty_axes === 1 ? [] : x.dims.map((_, i) => i)
      if (!axes.length) return [x]
      axes = axes.map((v) => axisOf(node, v, x.dims.length)).sort((p, q) => p - q)
      const r = toRows(x, axes)
      return [float(planned[0].dims, reduceRef(r.data, [r.rows, r.n], op === 'ReduceMean' ? 'mean' : 'sum'))]
    }
    // Views: the same values under the dims shapes.ts worked out (and checked).
    case 'Reshape':
    case 'Flatten':
    case 'Unsqueeze':
    case 'Squeeze':
      return [{ ...ins[0]!, dims: planned[0].dims } as Tensor]
    case 'Transpose': {
      const x = ins[0]!
      const perm = Array.isArray(a.perm) ? a.perm : x.dims.map((_, i) => x.dims.length - 1 - i)
      const dims = planned[0].dims
      return [
        x.type === 'float'
          ? float(dims, permuteRef(x.data, x.dims, perm))
          : { type: 'int64', dims, data: permuteInt(x.data, x.dims, perm) },
      ]
    }
    case 'Concat': {
      const xs = ins.map((t, i) => needFloat(node, t, i))
      const axis = axisOf(node, a.axis, xs[0].dims.length)
      const outer = size(xs[0].dims.slice(0, axis))
      const chunks = xs.map((t) => size(t.dims.slice(axis)))
      const out = new Float32Array(outer * chunks.reduce((p, q) => p + q, 0))
      let at = 0
      for (let o = 0; o < outer; o++)
        xs.forEach(
          (t, i) => (out.set(t.data.subarray(o * chunks[i], (o + 1) * chunks[i]), at), (at += chunks[i])),
        )
      return [float(planned[0].dims, out)]
    }
    case 'Gather': {
      const x = ins[0]!
      const idx = ints(node, ins[1], 'indices')
      const axis = axisOf(node, a.axis ?? 0, x.dims.length)
      const d = x.dims[axis]
      const rows = idx.map((v) => (v < 0 ? v + d : v))
      const outer = size(x.dims.slice(0, axis))
      const inner = size(x.dims.slice(axis + 1))
      const out = new (x.data.constructor as new (n: number) => Float32Array)(outer * rows.length * inner)
      for (let o = 0; o < outer; o++)
        rows.forEach((j, r) =>
          out.set(
            x.data.subarray((o * d + j) * inner, (o * d + j + 1) * inner) as Float32Array,
            (o * rows.length + r) * inner,
          ),
        )
      return [{ type: x.type, dims: planned[0].dims, data: out } as Tensor]
    }
    case 'Split': {
      const x = needFloat(node, ins[0], 0)
      const axis = axisOf(node, a.axis ?? 0, x.dims.length)
      const parts = planned.map((p) => p.dims[axis])
      const outer = size(x.dims.slice(0, axis))
      const inner = size(x.dims.slice(axis + 1))
      let start = 0
      return parts.map((p) => {
        const out = new Float32Array(outer * p * inner)
        for (let o = 0; o < outer; o++)
          out.set(
            x.data.subarray((o * x.dims[axis] + start) * inner, (o * x.dims[axis] + start + p) * inner),
            o * p * inner,
          )
        start += p
        const dims = [...x.dims]
        dims[axis] = p
        return float(dims, out)
      })
    }
  }
  throw new OnnxError(`Operator ${op} (node ${node.name}) is not supported.`)
}

function permuteInt(data: BigInt64Array, dims: number[], perm: number[]): BigInt64Array {
  const idx = permuteRef(
    Int32Array.from({ length: data.length }, (_, i) => i),
    dims,
    perm,
  )
  return BigInt64Array.from(idx, (i) => data[i])
}

export { binaryRef }
