// Runs a parsed ONNX model on the deterministic CPU references, node by node in graph order.
import { OnnxError, type Model, type Tensor } from './model.ts'
import { runNode } from './ops.ts'

export interface HostInput {
  dims: number[]
  data: number[] | Float32Array
}

/** Inputs as the CLI and receipts carry them: { name: { dims, data } }, converted to the graph's types. */
export function toTensors(model: Model, inputs: Record<string, HostInput>): Map<string, Tensor> {
  const out = new Map<string, Tensor>()
  for (const spec of model.inputs) {
    const v = inputs[spec.name]
    if (!v)
      throw new OnnxError(
        `Input "${spec.name}" is missing; the model takes ${model.inputs.map((i) => i.name).join(', ')}.`,
      )
    if (!Array.isArray(v.dims) || !v.dims.every((d) => Number.isInteger(d) && d >= 0))
      throw new OnnxError(`Input "${spec.name}": dims must be non-negative integers.`)
    const n = v.dims.reduce((a, b) => a * b, 1)
    if (v.data?.length !== n)
      throw new OnnxError(`Input "${spec.name}": dims [${v.dims}] need ${n} values; got ${v.data?.length}.`)
    if (
      spec.dims.length !== v.dims.length ||
      spec.dims.some((d, i) => typeof d === 'number' && d > 0 && d !== v.dims[i])
    )
      throw new OnnxError(`Input "${spec.name}": dims [${v.dims}] do not fit the model's [${spec.dims}].`)
    if (spec.type === 'int64') {
      if (!Array.from(v.data).every((x) => Number.isSafeInteger(x)))
        throw new OnnxError(`Input "${spec.name}" must hold integers.`)
      out.set(spec.name, {
        type: 'int64',
        dims: v.dims,
        data: BigInt64Array.from(Array.from(v.data), (x) => BigInt(x)),
      })
    } else {
      out.set(spec.name, { type: 'float', dims: v.dims, data: Float32Array.from(v.data) })
    }
  }
  return out
}

export function runModel(model: Model, inputs: Map<string, Tensor>): Map<string, Tensor> {
  const values = new Map<string, Tensor>([...model.initializers, ...inputs])
  for (const node of model.nodes) {
    const ins = node.inputs.map((name) => (name ? values.get(name) : undefined))
    node.inputs.forEach((name, i) => {
      if (name && !ins[i])
        throw new OnnxError(`${node.op} ${node.name}: input "${name}" is not produced by any earlier node.`)
    })
    const outs = runNode(node, ins, model.opset)
    node.outputs.forEach((name, i) => name && outs[i] && values.set(name, outs[i]))
  }
  return new Map(
    model.outputs.map((name) => {
      const v = values.get(name)
      if (!v) throw new OnnxError(`Output "${name}" is never produced.`)
      return [name, v]
    }),
  )
}
