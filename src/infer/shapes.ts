// Shape inference for one node: the type and dims of each output, from the inputs' types and dims (and
// the values of int64 inputs that act as shapes or axes). It refuses every graph onnxruntime refuses —
// inner dimensions that differ, axes out of range, ranks that do not match — with a named error, so no
// kernel ever reads out of bounds. The budgets (plan.ts) are charged from what it returns, before any
// float tensor is allocated; runNode checks with it too, so no path runs an unchecked node.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import { MAX_K } from '../kernels/quantize.ts'
import type { Node } from './model.ts'

/** What the shape pass knows of a tensor: its type and dims; its values only when it is int64. */
export interface Meta {
  type: 'float' | 'int64'
  dims: number[]
  data?: Float32Array | BigInt64Array
}
export type Info = Pick<Meta, 'type' | 'dims'>

export const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1)
const ELEMENTWISE = ['Sqrt', 'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Neg', 'Abs']
const BINARY = ['Add', 'Sub', 'Mul', 'Div']
/** [fewest, most] inputs; Concat takes any number from one. */
const ARITY: Record<string, [number, number]> = {
  Pow: [2, 2],
  Gelu: [1, 1],
  MatMul: [2, 2],
  Gemm: [2, 3],
  Softmax: [1, 1],
  LayerNormalization: [2, 3],
  ReduceMean: [1, 2],
  ReduceSum: [1, 2],
  Reshape: [2, 2],
  Flatten: [1, 1],
  Transpose: [1, 1],
  Concat: [1, Infinity],
  Gather: [2, 2],
  Unsqueeze: [1, 2],
  Squeeze: [1, 2],
  Split: [1, 2],
  Constant: [0, 0],
  Identity: [1, 1],
  Cast: [1, 1],
  ...Object.fromEntries([...ELEMENTWISE.map((op) => [op, [1, 1]]), ...BINARY.map((op) => [op, [2, 2]])]),
}
/** Operators that entered the default domain after opset 13. */
const SINCE: Record<string, number> = { Gelu: 20, LayerNormalization: 17 }

/** Numpy broadcasting of two shapes (multidirectional, as ONNX's elementwise operators). */
export function broadcastDims(where: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length)
  const pad = (d: readonly number[]) => [...new Array<number>(rank - d.length).fill(1), ...d]
  const [da, db] = [pad(a), pad(b)]
  return da.map((x, i) => {
    if (x !== db[i] && x !== 1 && db[i] !== 1)
      throw new OnnxShapeError(`${where}: shapes [${a}] and [${b}] do not broadcast.`)
    return x === 1 ? db[i] : x
  })
}

/** An axis attribute or input value, made non-negative; refused outside [-rank, rank - 1]. */
export function axisIn(where: string, axis: unknown, rank: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    throw new OnnxShapeError(`${where}: axis ${JSON.stringify(axis)} is not an integer.`)
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= rank) throw new OnnxShapeError(`${where}: axis ${axis} is out of range for rank ${rank}.`)
  return a
}

/** Axes (for Reduce*, Squeeze, Unsqueeze): each in range, none twice. */
function axesIn(where: string, axes: readonly number[], rank: number): number[] {
  const norm = axes.map((v) => axisIn(where, v, rank))
  if (new Set(norm).size !== norm.length) throw new OnnxShapeError(`${where}: axes [${axes}] repeat an axis.`)
  return norm
}

export function outputInfo(node: Node, ins: readonly (Meta | undefined)[], opset: number): Info[] {
  const { op, attrs: a } = node
  const where = `${op} ${node.name}`
  const [fewest, most] = ARITY[op] ?? [0, -1]
  if (most < 0) throw new OnnxError(`Operator ${op} (node ${node.name}) is not supported.`)
  if (opset < (SINCE[op] ?? 0))
    throw new OnnxError(`${where}: ${op} needs opset ${SINCE[op]}; the model has ${opset}.`)
  if (node.inputs.length > most)
    throw new OnnxShapeError(`${where}: takes at most ${most} inputs, has ${node.inputs.length}.`)
  const multi = op === 'Split' || op === 'LayerNormalization'
  if (node.outputs.length < 1 || (!multi && node.outputs.length > 1))
    throw new OnnxShapeError(`${where}: must have ${multi ? 'at least one output' : 'exactly one output'}.`)
  const need = (i: number): Meta => {
    const t = ins[i]
    if (!t) throw new OnnxShapeError(`${where}: input ${i} is missing.`)
    return t
  }
  for (let i = 0; i < fewest; i++) need(i)
  const float = (i: number): number[] => {
    const t = need(i)
    if (t.type !== 'float') throw new OnnxError(`${where}: input ${i} must be float, got ${t.type}.`)
    return t.dims
  }
  const ints = (i: number, what: string): number[] => {
    const t = need(i)
    if (t.type !== 'int64' || !t.data) throw new OnnxShapeError(`${where}: ${what} must be an int64 tensor.`)
    if (t.dims.length > 1) throw new OnnxShapeError(`${where}: ${what} must be 1-D, got [${t.dims}].`)
    return Array.from(t.data as BigInt64Array, Number)
  }
  const f = (dims: number[]): Info[] => [{ type: 'float', dims }]
  const same = (i: number, dims = need(i).dims): Info[] => [{ type: need(i).type, dims }]

  if (ELEMENTWISE.includes(op) || op === 'Gelu') {
    if (op === 'Gelu' && !['none', 'tanh'].includes(String(a.approximate ?? 'none')))
      throw new OnnxError(`${where}: approximate="${a.approximate}" is not defined.`)
    return f(float(0))
  }
  if (BINARY.includes(op)) return f(broadcastDims(where, float(0), float(1)))
  switch (op) {
    case 'Pow': {
      const [x, e] = [float(0), float(1)]
      if (size(e) !== 1) throw new OnnxError(`${where}: only a scalar exponent is supported.`)
      return f(broadcastDims(where, x, e))
    }
    case 'MatMul': {
      const [x, w] = [float(0), float(1)]
      if (!x.length || !w.length) throw new OnnxShapeError(`${where}: operands must have rank 1 or more.`)
      const xd = x.length === 1 ? [1, x[0]] : x
      const wd = w.length === 1 ? [w[0], 1] : w
      const [m, k] = xd.slice(-2)
      const [k2, n] = wd.slice(-2)
      if (k !== k2)
        throw new OnnxShapeError(`${where}: inner dimensions differ: [${x}] has ${k}, [${w}] has ${k2}.`)
      const batch = xd.slice(0, -2)
      if (wd.length > 2 && wd.slice(0, -2).join() !== batch.join())
        throw new OnnxError(
          `${where}: batch dims [${batch}] and [${wd.slice(0, -2)}] must match (or B be 2-D).`,
        )
      matmulSupported(where, m, k, n)
      if (size(batch) === 0) throw new OnnxError(`${where}: an empty batch is not supported.`)
      let dims = [...batch, m, n]
      if (x.length === 1) dims = dims.filter((_, i) => i !== dims.length - 2)
      if (w.length === 1) dims = dims.slice(0, -1)
      return f(dims)
    }
    case 'Gemm': {
      const [x, w] = [float(0), float(1)]
      if (x.length !== 2 || w.length !== 2)
        throw new OnnxShapeError(`${where}: A and B must be 2-D, got [${x}] and [${w}].`)
      const [m, k] = a.transA === 1 ? [x[1], x[0]] : x
      const [k2, n] = a.transB === 1 ? [w[1], w[0]] : w
      if (k !== k2) throw new OnnxShapeError(`${where}: inner dimensions differ: ${k} and ${k2}.`)
      matmulSupported(where, m, k, n)
      if (ins[2]) {
        const c = float(2)
        const fits = c.length <= 2 && c.every((d, i) => d === 1 || d === [m, n][i + 2 - c.length])
        if (!fits) throw new OnnxShapeError(`${where}: C [${c}] does not broadcast to [${m},${n}].`)
      }
      return f([m, n])
    }
    case 'Softmax': {
      const x = float(0)
      axisIn(where, a.axis ?? -1, x.length)
      return f(x)
    }
    case 'LayerNormalization': {
      const x = float(0)
      if (node.outputs.slice(1).some(Boolean))
        throw new OnnxError(`${where}: only the Y output is supported.`)
      const n = size(x.slice(axisIn(where, a.axis ?? -1, x.length)))
      for (const i of [1, 2])
        if ((i === 1 || ins[2]) && size(float(i)) !== n)
          throw new OnnxShapeError(`${where}: scale and bias must have ${n} values.`)
      return f(x)
    }
    case 'ReduceMean':
    case 'ReduceSum': {
      const x = float(0)
      const fromInput = op === 'ReduceSum' || opset >= 18
      const given = fromInput ? (ins[1] ? ints(1, 'axes') : []) : Array.isArray(a.axes) ? a.axes : []
      const axes = given.length
        ? axesIn(where, given, x.length)
        : a.noop_with_empty_axes === 1
          ? []
          : x.map((_, i) => i)
      if (!axes.length) return f(x)
      return f(
        a.keepdims !== 0
          ? x.map((d, i) => (axes.includes(i) ? 1 : d))
          : x.filter((_, i) => !axes.includes(i)),
      )
    }
    case 'Reshape': {
      const x = need(0).dims
      const shape = ints(1, 'shape')
      const zero = a.allowzero === 1
      if (
        shape.filter((d) => d === -1).length > 1 ||
        shape.some((d) => d < -1) ||
        (zero && shape.includes(0) && shape.includes(-1))
      )
        throw new OnnxShapeError(`${where}: shape [${shape}] is not a valid target shape.`)
      const dims = shape.map((d, i) => (d === 0 && !zero ? (i < x.length ? x[i] : NaN) : d))
      const known = size(dims.filter((d) => d !== -1))
      const out = dims.map((d) => (d === -1 ? size(x) / known : d))
      if (size(out) !== size(x) || out.some((d) => !Number.isInteger(d) || d < 0))
        throw new OnnxShapeError(`${where}: cannot reshape [${x}] to [${shape}].`)
      return same(0, out)
    }
    case 'Flatten': {
      const x = need(0).dims
      const r = x.length
      const axis = typeof a.axis === 'number' ? (a.axis < 0 ? a.axis + r : a.axis) : 1
      if (!Number.isInteger(axis) || axis < 0 || axis > r)
        throw new OnnxShapeError(`${where}: axis ${a.axis} is out of range for rank ${r}.`)
      return same(0, [size(x.slice(0, axis)), size(x.slice(axis))])
    }
    case 'Transpose': {
      const x = need(0).dims
      const perm = Array.isArray(a.perm) ? a.perm : x.map((_, i) => x.length - 1 - i)
      const ok =
        perm.length === x.length &&
        perm.every((p, i) => Number.isInteger(p) && p >= 0 && p < x.length && perm.indexOf(p) === i)
      if (!ok) throw new OnnxShapeError(`${where}: perm [${perm}] is not a permutation of rank ${x.length}.`)
      return same(
        0,
        perm.map((p) => x[p]),
      )
    }
    case 'Concat': {
      const xs = node.inputs.map((_, i) => float(i))
      const rank = xs[0].length
      const axis = axisIn(where, a.axis, rank)
      xs.forEach((d, i) => {
        if (d.length !== rank || d.some((v, j) => j !== axis && v !== xs[0][j]))
          throw new OnnxShapeError(
            `${where}: input ${i} [${d}] does not fit input 0 [${xs[0]}] beside axis ${a.axis}.`,
          )
      })
      const dims = [...xs[0]]
      dims[axis] = xs.reduce((p, d) => p + d[axis], 0)
      return f(dims)
    }
    case 'Gather': {
      const x = need(0).dims
      const idx = need(1)
      const axis = axisIn(where, a.axis ?? 0, x.length)
      if (idx.type !== 'int64' || !idx.data)
        throw new OnnxShapeError(`${where}: indices must be an int64 tensor.`)
      const bad = Array.from(idx.data as BigInt64Array, Number).find((v) => v < -x[axis] || v >= x[axis])
      if (bad !== undefined)
        throw new OnnxShapeError(`${where}: index ${bad} is out of range for axis of size ${x[axis]}.`)
      return same(0, [...x.slice(0, axis), ...idx.dims, ...x.slice(axis + 1)])
    }
    case 'Unsqueeze': {
      const x = need(0).dims
      const given = ins[1] ? ints(1, 'axes') : Array.isArray(a.axes) ? a.axes : null
      if (!given) throw new OnnxShapeError(`${where}: axes are required.`)
      const rank = x.length + given.length
      const axes = axesIn(where, given, rank)
      const dims: number[] = []
      for (let i = 0, k = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x[k++])
      return same(0, dims)
    }
    case 'Squeeze': {
      const x = need(0).dims
      const axes = ins[1] ? axesIn(where, ints(1, 'axes'), x.length) : null
      axes?.forEach((i) => {
        if (x[i] !== 1) throw new OnnxShapeError(`${where}: cannot squeeze axis ${i} of size ${x[i]}.`)
      })
      return same(
        0,
        x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)),
      )
    }
    case 'Split': {
      const x = float(0)
      const axis = axisIn(where, a.axis ?? 0, x.length)
      const outs = node.outputs.length
      const parts = ins[1] ? ints(1, 'split') : new Array<number>(outs).fill(x[axis] / outs)
      if (
        parts.length !== outs ||
        parts.some((p) => !Number.isInteger(p) || p < 0) ||
        parts.reduce((p, q) => p + q, 0) !== x[axis]
      )
        throw new OnnxShapeError(
          `${where}: parts [${parts}] do not divide axis ${axis} of [${x}] into ${outs} outputs.`,
        )
      return parts.map((p) => ({ type: 'float', dims: x.map((d, i) => (i === axis ? p : d)) }))
    }
    case 'Constant': {
      const v = a.value
      if (v && typeof v === 'object' && !Array.isArray(v)) return [{ type: v.type, dims: v.dims }]
      if (typeof a.value_float === 'number') return f([])
      if (Array.isArray(a.value_floats)) return f([a.value_floats.length])
      if (typeof a.value_int === 'number') return [{ type: 'int64', dims: [] }]
      if (Array.isArray(a.value_ints)) return [{ type: 'int64', dims: [a.value_ints.length] }]
      throw new OnnxError(`${where}: unsupported value attribute.`)
    }
    case 'Identity':
      return same(0)
    case 'Cast': {
      const x = need(0)
      if (a.to === 1) return f(x.dims)
      if (a.to === 7 && x.type === 'int64') return same(0)
      throw new OnnxError(`${where}: only casts to float (and int64 to int64) are supported; got to=${a.to}.`)
    }
  }
  throw new OnnxError(`Operator ${op} (node ${node.name}) is not supported.`)
}

/** What the bq15 matmul can do: no empty operand, K within its exact-accumulation limit. */
function matmulSupported(where: string, m: number, k: number, n: number) {
  if (m < 1 || k < 1 || n < 1)
    throw new OnnxError(`${where}: empty operands ([${m}×${k}]·[${k}×${n}]) are not supported.`)
  if (k > MAX_K) throw new OnnxError(`${where}: K = ${k} exceeds the exact-accumulation limit of ${MAX_K}.`)
}
