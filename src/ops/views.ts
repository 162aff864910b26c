// ONNX operators that only rename dims: Reshape, Flatten, Unsqueeze, Squeeze, Identity. The values stay
// as they are under the dims the shape pass worked out (and checked); they cost nothing.
import { OnnxShapeError } from '../errors/infer.ts'
import { axesIn, vectorIn, type OnnxOp, type Tensor } from './onnx.ts'
import { defineOp, size } from './op.ts'

const view = (shape: OnnxOp['shape'], inputs: [number, number]): OnnxOp => ({
  inputs,
  shape,
  cost: () => ({ operations: 0, view: true }),
  run: ({ ins, planned }) => [{ ...ins[0]!, dims: planned[0].dims } as Tensor],
})

export default defineOp({
  name: 'views',
  onnx: {
    Identity: {
      inputs: [1, 1],
      shape: ({ need }) => [{ type: need(0).type, dims: need(0).dims }],
      cost: () => ({ operations: 0, view: true }),
      run: ({ ins }) => [ins[0]!],
    },
    Reshape: view(
      (c) => {
        const { node, where, need } = c
        const x = need(0).dims
        const shape = vectorIn(c, 1, 'shape')
        const zero = node.attrs.allowzero === 1
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
        return [{ type: need(0).type, dims: out }]
      },
      [2, 2],
    ),
    Flatten: view(
      ({ node, where, need }) => {
        const x = need(0).dims
        const r = x.length
        const a = node.attrs.axis
        const axis = typeof a === 'number' ? (a < 0 ? a + r : a) : 1
        if (!Number.isInteger(axis) || axis < 0 || axis > r)
          throw new OnnxShapeError(`${where}: axis ${a} is out of range for rank ${r}.`)
        return [{ type: need(0).type, dims: [size(x.slice(0, axis)), size(x.slice(axis))] }]
      },
      [1, 1],
    ),
    Unsqueeze: view(
      (c) => {
        const { node, where, need, ins } = c
        const x = need(0).dims
        const a = node.attrs.axes
        const given = ins[1] ? vectorIn(c, 1, 'axes') : Array.isArray(a) ? a : null
        if (!given) throw new OnnxShapeError(`${where}: axes are required.`)
        const rank = x.length + given.length
        const axes = axesIn(where, given, rank)
        const dims: number[] = []
        for (let i = 0, k = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x[k++])
        return [{ type: need(0).type, dims }]
      },
      [1, 2],
    ),
    Squeeze: view(
      (c) => {
        const { where, need, ins } = c
        const x = need(0).dims
        // An empty axes input squeezes every axis of size 1, as no axes input does (onnxruntime).
        const given = ins[1] ? vectorIn(c, 1, 'axes') : []
        const axes = given.length ? axesIn(where, given, x.length) : null
        axes?.forEach((i) => {
          if (x[i] !== 1) throw new OnnxShapeError(`${where}: cannot squeeze axis ${i} of size ${x[i]}.`)
        })
        return [{ type: need(0).type, dims: x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }]
      },
      [1, 2],
    ),
  },
})
