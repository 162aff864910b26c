// Reshape, Unsqueeze and Squeeze as release bits/1 ran them (src/receipts/releases.ts), frozen when
// bits/2 changed them to onnxruntime's rules: bits/1 took a 0-D shape or axes input as one value, and
// squeezed nothing for an empty axes input (bits/2 squeezes every axis of size 1, as no axes input
// does). A receipt that names bits/1 is re-executed with these; nothing here may change a bit.
import { OnnxShapeError } from '../../errors/infer.ts'
import { axesIn, type OnnxOp, type Tensor } from '../onnx.ts'
import { size } from '../op.ts'

const view = (shape: OnnxOp['shape'], inputs: [number, number]): OnnxOp => ({
  inputs,
  shape,
  cost: () => ({ operations: 0, view: true }),
  run: ({ ins, planned }) => [{ ...ins[0]!, dims: planned[0].dims } as Tensor],
})

export const Reshape = view(
  ({ node, where, need, ints }) => {
    const x = need(0).dims
    const shape = ints(1, 'shape')
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
)

export const Unsqueeze = view(
  ({ node, where, need, ints, ins }) => {
    const x = need(0).dims
    const a = node.attrs.axes
    const given = ins[1] ? ints(1, 'axes') : Array.isArray(a) ? a : null
    if (!given) throw new OnnxShapeError(`${where}: axes are required.`)
    const rank = x.length + given.length
    const axes = axesIn(where, given, rank)
    const dims: number[] = []
    for (let i = 0, k = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x[k++])
    return [{ type: need(0).type, dims }]
  },
  [1, 2],
)

export const Squeeze = view(
  ({ where, need, ints, ins }) => {
    const x = need(0).dims
    const axes = ins[1] ? axesIn(where, ints(1, 'axes'), x.length) : null
    axes?.forEach((i) => {
      if (x[i] !== 1) throw new OnnxShapeError(`${where}: cannot squeeze axis ${i} of size ${x[i]}.`)
    })
    return [{ type: need(0).type, dims: x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }]
  },
  [1, 2],
)
