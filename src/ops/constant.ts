// ONNX Constant (a value held in the node) and Cast among float, int64, bool, int32, int8 and uint8.
import { OnnxError } from '../errors/infer.ts'
import { castTensor, castTypeOf, type CastType } from '../kernels/cast.ts'
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
    // The rules (wrap, saturate, round once to nearest even, refuse what int64 cannot hold) are
    // src/kernels/cast.ts's.
    Cast: {
      inputs: [1, 1],
      shape: ({ node, where, need }) => {
        const to = castTypeOf(node.attrs.to)
        if (!to)
          throw new OnnxError(
            `${where}: casts to float (1), uint8 (2), int8 (3), int32 (6), int64 (7) and bool (9) are supported; got to=${node.attrs.to}.`,
          )
        return [{ type: to, dims: need(0).dims }]
      },
      // A cast to the input's own type is a view.
      cost: ({ ins, outs, out }) =>
        ins[0]?.type === outs[0].type ? { operations: 0, view: true } : { operations: 4 * out },
      run: ({ where, ins, planned }) => [castTensor(where, ins[0]!, planned[0].type as CastType)],
    },
  },
})
