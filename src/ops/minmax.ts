// ONNX Min and Max (any number of inputs, broadcast) and ReduceMax, ReduceMin over any axes, float or
// int64. Exact: a maximum rounds nothing, and IEEE's maximum (NaN if any input is NaN, +0 above -0,
// sf.max) does not depend on the order it is taken in, so any traversal gives the same bits.
import { OnnxShapeError } from '../errors/infer.ts'
import * as sf from '../kernels/softfloat.ts'
import {
  axesIn,
  broadcastAll,
  broadcastOffsets,
  sameType,
  typeIn,
  typed,
  vectorIn,
  zipWith,
  type OnnxOp,
  type Scalar,
  type ShapeContext,
  type Tensor,
} from './onnx.ts'
import { defineOp, size } from './op.ts'

type Pick2 = (a: Scalar, b: Scalar) => Scalar
const MAX: Pick2 = (a, b) => (typeof a === 'bigint' ? (a > b ? a : b) : sf.max(a, b as number))
const MIN: Pick2 = (a, b) => (typeof a === 'bigint' ? (a < b ? a : b) : sf.min(a, b as number))

const variadic = (f: Pick2): OnnxOp => ({
  inputs: [1, Infinity],
  shape: ({ where, node, need }) => {
    const ts = node.inputs.map((_, i) => need(i))
    typeIn(where, ts[0], 0, ['float', 'int64'])
    return [
      {
        type: sameType(where, ts),
        dims: broadcastAll(
          where,
          ts.map((t) => t.dims),
        ),
      },
    ]
  },
  cost: ({ out, ins }) => ({ operations: 4 * out * ins.length, scratch: out * ins.length }),
  run: ({ where, ins }) => [zipWith(where, ins as Tensor[], ins[0]!.type, (...v) => v.reduce(f))],
})

/** The reduced axes (attribute before opset 18, input from 18), or null for none. */
function reducedAxes(
  c: Pick<ShapeContext, 'node' | 'where' | 'opset' | 'ins' | 'ints'>,
  rank: number,
): number[] {
  const a = c.node.attrs
  const given = c.opset >= 18 ? (c.ins[1] ? c.ints(1, 'axes') : []) : Array.isArray(a.axes) ? a.axes : []
  if (given.length) return axesIn(c.where, given, rank)
  return a.noop_with_empty_axes === 1 ? [] : Array.from({ length: rank }, (_, i) => i)
}

const reduce = (f: Pick2): OnnxOp => ({
  inputs: [1, 2],
  shape: (c) => {
    const x = c.need(0)
    typeIn(c.where, x, 0, ['float', 'int64'])
    if (c.opset < 18 && c.ins[1]) throw new OnnxShapeError(`${c.where}: axes is an input from opset 18 on.`)
    if (c.ins[1]) vectorIn(c, 1, 'axes')
    const axes = reducedAxes(c, x.dims.length)
    if (axes.some((i) => x.dims[i] === 0))
      throw new OnnxShapeError(`${c.where}: cannot take the ${c.node.op} of an empty axis of [${x.dims}].`)
    const keep = c.node.attrs.keepdims !== 0
    const dims = keep
      ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.dims.filter((_, i) => !axes.includes(i))
    return [{ type: x.type, dims }]
  },
  cost: ({ x }) => ({ operations: 8 * x, scratch: x }),
  run: (c) => {
    const x = c.ins[0]!
    const axes = reducedAxes(c, x.dims.length)
    const kept = x.dims.map((d, i) => (axes.includes(i) ? 1 : d))
    // Each input element's output slot: the kept dims broadcast back over the input.
    const slot = broadcastOffsets(x.dims, kept)
    const out = new Array<Scalar | undefined>(size(kept))
    for (let i = 0; i < slot.length; i++) {
      const o = out[slot[i]]
      out[slot[i]] = o === undefined ? x.data[i] : f(o, x.data[i])
    }
    const dims = c.planned[0].dims
    if (x.type === 'int64') return [typed('int64', dims, BigInt64Array.from(out as bigint[]))]
    return [
      typed(
        'float',
        dims,
        sf.f32Array(out.length, (i) => out[i] as number),
      ),
    ]
  },
})

export default defineOp({
  name: 'minmax',
  onnx: {
    Max: variadic(MAX),
    Min: variadic(MIN),
    ReduceMax: reduce(MAX),
    ReduceMin: reduce(MIN),
  },
})
