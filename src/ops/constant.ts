// ONNX Constant (a value held in the node) and Cast (to float, or int64 to itself).
import { OnnxError } from '../errors/infer.ts'
import { float } from './onnx.ts'
import { defineOp } from './op.ts'

export default defineOp({
  name: 'constant',
  onnx: {
    Constant: {
      inputs: [0, 0],
      shape: ({ node, where }) => {
        const a = node.attrs
        const v = a.value
        if (v && typeof v === 'object' && !Array.isArray(v)) return [{ type: v.type, dims: v.dims }]
        if (typeof a.value_float === 'number') return [{ type: 'float', dims: [] }]
        if (Array.isArray(a.value_floats)) return [{ type: 'float', dims: [a.value_floats.length] }]
        if (typeof a.value_int === 'number') return [{ type: 'int64', dims: [] }]
        if (Array.isArray(a.value_ints)) return [{ type: 'int64', dims: [a.value_ints.length] }]
        throw new OnnxError(`${where}: unsupported value attribute.`)
      },
      run: ({ node, where }) => {
        const a = node.attrs
        if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return [a.value]
        if (typeof a.value_float === 'number') return [float([], new Float32Array([a.value_float]))]
        if (Array.isArray(a.value_floats))
          return [float([a.value_floats.length], Float32Array.from(a.value_floats))]
        if (typeof a.value_int === 'number')
          return [{ type: 'int64', dims: [], data: BigInt64Array.of(BigInt(a.value_int)) }]
        if (Array.isArray(a.value_ints))
          return [
            {
              type: 'int64',
              dims: [a.value_ints.length],
              data: BigInt64Array.from(a.value_ints.map(BigInt)),
            },
          ]
        throw new OnnxError(`${where}: unsupported value attribute.`)
      },
    },
    Cast: {
      inputs: [1, 1],
      shape: ({ node, where, need }) => {
        const x = need(0)
        if (node.attrs.to === 1) return [{ type: 'float', dims: x.dims }]
        if (node.attrs.to === 7 && x.type === 'int64') return [{ type: x.type, dims: x.dims }]
        throw new OnnxError(
          `${where}: only casts to float (and int64 to int64) are supported; got to=${node.attrs.to}.`,
        )
      },
      // A cast to the input's own type is a view.
      cost: ({ ins, outs, out }) =>
        ins[0]?.type === outs[0].type ? { operations: 0, view: true } : { operations: 4 * out },
      run: ({ node, where, ins }) => {
        const x = ins[0]!
        if (node.attrs.to === 1)
          return [
            x.type === 'float'
              ? x
              : float(
                  x.dims,
                  Float32Array.from(x.data, (v) => Math.fround(Number(v))),
                ),
          ]
        if (node.attrs.to === 7 && x.type === 'int64') return [x]
        throw new OnnxError(
          `${where}: only casts to float (and int64 to int64) are supported; got to=${node.attrs.to}.`,
        )
      },
    },
  },
})
