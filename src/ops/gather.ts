// ONNX Gather: slices of a float or int64 tensor along one axis, by index (an exact copy).
import { OnnxShapeError } from '../errors/infer.ts'
import { axisIn, type Tensor } from './onnx.ts'
import { defineOp, size } from './op.ts'

export default defineOp({
  name: 'gather',
  onnx: {
    Gather: {
      inputs: [2, 2],
      shape: ({ node, where, need }) => {
        const x = need(0).dims
        const idx = need(1)
        const axis = axisIn(where, node.attrs.axis ?? 0, x.length)
        if (idx.type !== 'int64' || !idx.data)
          throw new OnnxShapeError(`${where}: indices must be an int64 tensor.`)
        const bad = Array.from(idx.data as BigInt64Array, Number).find((v) => v < -x[axis] || v >= x[axis])
        if (bad !== undefined)
          throw new OnnxShapeError(`${where}: index ${bad} is out of range for axis of size ${x[axis]}.`)
        return [{ type: need(0).type, dims: [...x.slice(0, axis), ...idx.dims, ...x.slice(axis + 1)] }]
      },
      // Copies that may move one element at a time (one column of many rows).
      cost: ({ out }) => ({ operations: 16 * out }),
      run: ({ node, where, ins, ints, planned }) => {
        const x = ins[0]!
        const idx = ints(1, 'indices')
        const axis = axisIn(where, node.attrs.axis ?? 0, x.dims.length)
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
      },
    },
  },
})
