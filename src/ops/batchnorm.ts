// ONNX BatchNormalization in inference mode, as onnxruntime computes it: per channel
// s = scale · (1 / sqrt(var + ε)) and b = B − mean · s, then y = x · s + b, each step one f32 operation
// (softfloat). Training mode (batch statistics, running-mean outputs) is refused.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import * as sf from '../kernels/softfloat.ts'
import { float, type OnnxOp } from './onnx.ts'
import { defineOp, size } from './op.ts'

/** Each channel's multiplier and offset. */
export function foldBatchNorm(
  scale: Float32Array,
  bias: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
): { s: Float32Array; b: Float32Array } {
  const s = sf.f32Array(scale.length, (c) =>
    sf.mul(sf.div(1, sf.sqrt(sf.add(variance[c], epsilon))), scale[c]),
  )
  const b = sf.f32Array(scale.length, (c) => sf.sub(bias[c], sf.mul(mean[c], s[c])))
  return { s, b }
}

const BatchNormalization: OnnxOp = {
  inputs: [5, 5],
  outputs: 'many',
  shape: ({ node, where, float: dims }) => {
    if (node.attrs.training_mode === 1 || node.outputs.length > 1)
      throw new OnnxError(
        `${where}: training mode (batch statistics, running-mean outputs) is not supported.`,
      )
    const x = dims(0)
    if (x.length < 2 || size(x) === 0)
      throw new OnnxShapeError(`${where}: X [${x}] must have a channel axis and no empty axis.`)
    for (let i = 1; i < 5; i++)
      if (dims(i).join() !== String(x[1]))
        throw new OnnxShapeError(`${where}: input ${i} [${dims(i)}] must be [${x[1]}], one per channel.`)
    return [{ type: 'float', dims: x }]
  },
  cost: ({ out }) => ({ operations: 8 * out }),
  run: ({ node, float: input }) => {
    const x = input(0)
    const eps = typeof node.attrs.epsilon === 'number' ? node.attrs.epsilon : Math.fround(1e-5)
    const { s, b } = foldBatchNorm(input(1).data, input(2).data, input(3).data, input(4).data, eps)
    const channels = x.dims[1]
    const inner = size(x.dims.slice(2))
    const y = sf.f32Array(x.data.length, (i) => {
      const c = Math.floor(i / inner) % channels
      return sf.add(sf.mul(x.data[i], s[c]), b[c])
    })
    return [float(x.dims, y)]
  },
}

export default defineOp({ name: 'batchnorm', onnx: { BatchNormalization } })
