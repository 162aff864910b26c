// Exact sums (shaders/reduce.wgsl, src/kernels/reduce.ts): the engine's column sums (bias gradients)
// and ONNX ReduceSum and ReduceMean over any axes.
import { reduce, reduceRef } from '../kernels/reduce.ts'
import { axesIn, axisIn, float, toRows, type OnnxOp } from './onnx.ts'
import { defineOp, size } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** [rows, n] → [n]: exact column sums (bias gradients). */
    columnSums(x: T): Promise<T>
  }
}

const onnxReduce = (op: 'sum' | 'mean'): OnnxOp => ({
  inputs: [1, 2],
  shape: ({ node, where, opset, float: dims, ints, ins }) => {
    const a = node.attrs
    const x = dims(0)
    const fromInput = op === 'sum' || opset >= 18
    const given = fromInput ? (ins[1] ? ints(1, 'axes') : []) : Array.isArray(a.axes) ? a.axes : []
    const axes = given.length
      ? axesIn(where, given, x.length)
      : a.noop_with_empty_axes === 1
        ? []
        : x.map((_, i) => i)
    if (!axes.length) return [{ type: 'float', dims: x }]
    const out =
      a.keepdims !== 0 ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))
    return [{ type: 'float', dims: out }]
  },
  // The axes are moved last (a copy) and summed row by row.
  cost: ({ x }) => ({ operations: 16 * x, scratch: 2 * x }),
  run: ({ node, where, opset, float: input, ints, planned, ins }) => {
    const a = node.attrs
    const x = input(0)
    const fromInput = op === 'sum' || opset >= 18
    let axes = fromInput ? (ins[1] ? ints(1, 'axes') : []) : Array.isArray(a.axes) ? a.axes : []
    if (!axes.length) axes = a.noop_with_empty_axes === 1 ? [] : x.dims.map((_, i) => i)
    if (!axes.length) return [x]
    axes = axes.map((v) => axisIn(where, v, x.dims.length)).sort((p, q) => p - q)
    const r = toRows(x, axes)
    return [float(planned[0].dims, reduceRef(r.data, [r.rows, r.n], op))]
  },
})

export default defineOp({
  name: 'reduce',
  kernels: {
    columnSums: {
      cpu: async (x) => {
        const n = x.shape[x.shape.length - 1]
        return { data: reduceRef(x.data, [x.data.length / n, n], 'sum', { axis: 0 }), shape: [n] }
      },
      gpu: async (gpu, x) => {
        const n = x.shape[x.shape.length - 1]
        const out = await reduce(gpu, { ...x, shape: [size(x.shape) / n, n] }, 'sum', { axis: 0 })
        return { ...out, shape: [n] }
      },
      f64: async (x) => {
        const n = x.shape[x.shape.length - 1]
        const out = new Float64Array(n)
        x.data.forEach((v, i) => (out[i % n] += v))
        return { data: out, shape: [n] }
      },
      trace: {
        record: (x) => ({ inputs: [x], args: [] }),
        replay: (be, [x]) => be.columnSums(x),
      },
    },
  },
  onnx: { ReduceSum: onnxReduce('sum'), ReduceMean: onnxReduce('mean') },
})
