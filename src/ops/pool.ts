// ONNX pooling over 2-D windows (the geometry is Conv's: conv.ts): MaxPool, AveragePool and
// GlobalAveragePool. MaxPool is exact (the IEEE maximum: NaN wins, +0 over −0); AveragePool adds the
// window's values one f32 add at a time, row by row, and divides once; GlobalAveragePool is ReduceMean
// over H·W (the exact-sum kernel, src/kernels/reduce.ts), on the GPU too.
import { OnnxError } from '../errors/infer.ts'
import { reduce, reduceRef } from '../kernels/reduce.ts'
import * as sf from '../kernels/softfloat.ts'
import { windows } from './conv.ts'
import {
  float,
  isFloat,
  type FloatTensor,
  type IntTensor,
  type Node,
  type OnnxOp,
  type Tensor,
} from './onnx.ts'
import { defineOp, size } from './op.ts'

function poolWindows(where: string, node: Node, x: number[]) {
  if (x.length !== 4)
    throw new OnnxError(`${where}: only 2-D pooling is supported (X of rank 4); X is [${x}].`)
  const k = node.attrs.kernel_shape
  if (!Array.isArray(k) || k.length !== 2 || k.some((d) => !Number.isInteger(d) || d < 1))
    throw new OnnxError(`${where}: kernel_shape ${JSON.stringify(k)} must be two positive integers.`)
  if (size(x) === 0) throw new OnnxError(`${where}: an empty X [${x}] is not supported.`)
  return windows(where, node, x.slice(2), k, true)
}

/**
 * Each window's in-bounds values through `fold`, then `end` with how many there were and how many
 * positions of the padded extent it covers.
 */
function pool(
  where: string,
  node: Node,
  x: FloatTensor | IntTensor,
  start: number,
  fold: (acc: number, v: number) => number,
  end: (acc: number, valid: number, padded: number) => number,
): Tensor {
  const [n, c, h, w] = x.dims
  const { kernel, strides, dilations, pads, out, ends } = poolWindows(where, node, x.dims)
  const y = new (x.data.constructor as new (n: number) => typeof x.data)(n * c * out[0] * out[1])
  let at = 0
  for (let plane = 0; plane < n * c; plane++)
    for (let oy = 0; oy < out[0]; oy++)
      for (let ox = 0; ox < out[1]; ox++) {
        let acc = start
        let valid = 0
        let padded = 0
        for (let i = 0; i < kernel[0]; i++) {
          const yy = oy * strides[0] + i * dilations[0] - pads[0]
          for (let j = 0; j < kernel[1]; j++) {
            const xx = ox * strides[1] + j * dilations[1] - pads[1]
            if (yy < ends[0] && xx < ends[1]) padded++
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue
            acc = fold(acc, x.data[plane * h * w + yy * w + xx])
            valid++
          }
        }
        y[at++] = end(acc, valid, padded)
      }
  return { type: x.type, dims: [n, c, ...out], data: y } as Tensor
}

/** The pooled dims; MaxPool also takes int8 and uint8 (the QOperator format pools codes directly). */
const poolShape =
  (ints: boolean): OnnxOp['shape'] =>
  ({ node, where, float: dims, need }) => {
    if (node.outputs.length > 1) throw new OnnxError(`${where}: the Indices output is not supported.`)
    const t = need(0).type
    const x = ints && (t === 'int8' || t === 'uint8') ? need(0).dims : dims(0)
    return [{ type: t, dims: [x[0], x[1], ...poolWindows(where, node, x).out] }]
  }

/** A compare or an add per window element, for every output. */
const poolCost: OnnxOp['cost'] = ({ node, out }) => {
  const k = node.attrs.kernel_shape as number[]
  return { operations: 4 * out * size(k) }
}

export default defineOp({
  name: 'pool',
  onnx: {
    MaxPool: {
      inputs: [1, 1],
      outputs: 'many',
      shape: poolShape(true),
      cost: poolCost,
      // Integers compare exactly; the f32 maximum is IEEE's (NaN wins).
      run: ({ node, where, ins }) => [
        pool(where, node, ins[0] as FloatTensor | IntTensor, -Infinity, sf.max, (m) => m),
      ],
    },
    AveragePool: {
      inputs: [1, 1],
      shape: (c) => {
        if (c.opset < 19 && c.node.attrs.dilations !== undefined)
          throw new OnnxError(
            `${c.where}: dilations need opset 19 (AveragePool-19); the model has ${c.opset}.`,
          )
        return poolShape(false)(c)
      },
      cost: poolCost,
      run: ({ node, where, float: input }) => {
        const include = node.attrs.count_include_pad === 1
        return [
          pool(where, node, input(0), 0, sf.add, (s, valid, padded) => sf.div(s, include ? padded : valid)),
        ]
      },
    },
    GlobalAveragePool: {
      inputs: [1, 1],
      shape: ({ where, float: dims }) => {
        const x = dims(0)
        if (x.length < 3 || size(x) === 0)
          throw new OnnxError(`${where}: X [${x}] must have spatial dims and no empty axis.`)
        return [{ type: 'float', dims: [x[0], x[1], ...x.slice(2).map(() => 1)] }]
      },
      cost: ({ x }) => ({ operations: 16 * x }),
      run: ({ float: input, planned }) => {
        const x = input(0)
        const rows = x.dims[0] * x.dims[1]
        return [float(planned[0].dims, reduceRef(x.data, [rows, x.data.length / rows], 'mean'))]
      },
      gpu: async (g, { ins: [x], planned }) => {
        if (!isFloat(x)) return null
        const rows = x.dims[0] * x.dims[1]
        return g.out(await reduce(g.gpu, g.up(x, [rows, x.data.length / rows]), 'mean'), planned[0].dims)
      },
    },
  },
})
