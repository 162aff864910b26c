// Runs a parsed ONNX model on the deterministic CPU references, node by node in graph order, after a
// shape pass over the whole graph has checked every node and the budgets (plan.ts).
import { InferenceInputError, OnnxError } from '../errors/infer.ts'
import { INT_RANGE, intTensor, isIntType } from '../kernels/cast.ts'
import type { Model, Tensor } from './model.ts'
import { runNode } from './ops.ts'
import { f32Of, inputsProblem, type HostInput, type JsonValue } from './json.ts'
import { DEFAULT_LIMITS, planModel, type InferLimits } from './plan.ts'
import { ONNX_OPS, type OpSet } from '../ops/registry.ts'

/**
 * Inputs as the CLI and receipts carry them: { name: { dims, data } }, checked and converted to the
 * graph's types. The one gate for producer and verifier: what passes here is what a receipt may hold.
 */
export function toTensors(model: Model, inputs: Record<string, HostInput>): Map<string, Tensor> {
  const problem = inputsProblem(inputs)
  if (problem) throw new InferenceInputError(`Inputs refused: ${problem}.`)
  const known = new Set(model.inputs.map((i) => i.name))
  const extra = Object.keys(inputs).filter((name) => !known.has(name))
  if (extra.length)
    throw new InferenceInputError(
      `Input "${extra[0]}" is not one of the model's inputs (${[...known].join(', ')}).`,
    )
  const out = new Map<string, Tensor>()
  for (const spec of model.inputs) {
    const v = inputs[spec.name]
    if (!v)
      throw new InferenceInputError(
        `Input "${spec.name}" is missing; the model takes ${model.inputs.map((i) => i.name).join(', ')}.`,
      )
    if (
      spec.dims.length !== v.dims.length ||
      spec.dims.some((d, i) => typeof d === 'number' && d > 0 && d !== v.dims[i])
    )
      throw new InferenceInputError(
        `Input "${spec.name}": dims [${v.dims}] do not fit the model's [${spec.dims}].`,
      )
    const data = Array.from(v.data as ArrayLike<JsonValue>)
    if (spec.type === 'int64') {
      const bad = data.findIndex((x) => !Number.isSafeInteger(x))
      if (bad >= 0)
        throw new InferenceInputError(
          `Input "${spec.name}" is int64: data[${bad}] = ${JSON.stringify(data[bad])} is not an integer.`,
        )
      out.set(spec.name, {
        type: 'int64',
        dims: [...v.dims],
        data: BigInt64Array.from(data as number[], (x) => BigInt(x)),
      })
    } else if (spec.type === 'bool') {
      const bad = data.findIndex((x) => x !== 0 && x !== 1)
      if (bad >= 0)
        throw new InferenceInputError(
          `Input "${spec.name}" is bool: data[${bad}] = ${JSON.stringify(data[bad])} is not 0 or 1.`,
        )
      out.set(spec.name, { type: 'bool', dims: [...v.dims], data: Uint8Array.from(data as number[]) })
    } else if (isIntType(spec.type)) {
      const { lo, hi } = INT_RANGE[spec.type]
      const bad = data.findIndex((x) => !Number.isInteger(x) || (x as number) < lo || (x as number) > hi)
      if (bad >= 0)
        throw new InferenceInputError(
          `Input "${spec.name}" is ${spec.type}: data[${bad}] = ${JSON.stringify(data[bad])} is not an ${spec.type} value.`,
        )
      out.set(spec.name, intTensor(spec.type, [...v.dims], data as number[]))
    } else {
      out.set(spec.name, { type: 'float', dims: [...v.dims], data: Float32Array.from(data, f32Of) })
    }
  }
  return out
}

export interface RunOptions {
  /**
   * The operators to run: a kernel-library release's op set (resolveRelease in
   * src/receipts/releases.ts); default the registry's, this library's own release.
   */
  ops?: OpSet
}

export function runModel(
  model: Model,
  inputs: Map<string, Tensor>,
  limits: InferLimits = DEFAULT_LIMITS,
  { ops = ONNX_OPS }: RunOptions = {},
): Map<string, Tensor> {
  const plan = planModel(model, inputs, limits, ops)
  const values = new Map<string, Tensor>([...model.initializers, ...inputs])
  model.nodes.forEach((node, n) => {
    const ins = node.inputs.map((name) => (name ? values.get(name) : undefined))
    const outs = runNode(node, ins, model.opset, ops)
    node.outputs.forEach((name, i) => {
      if (!name || !outs[i]) return
      // The budgets were charged for the planned shapes: a node that made others is a bug, stopped here.
      if (outs[i].dims.join() !== plan.nodes[n].outputs[i].dims.join())
        throw new OnnxError(
          `${node.op} ${node.name}: made [${outs[i].dims}], the shape pass planned [${plan.nodes[n].outputs[i].dims}].`,
        )
      values.set(name, outs[i])
    })
  })
  return new Map(model.outputs.map((name) => [name, values.get(name)!]))
}
