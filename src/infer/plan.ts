// The shape pass and the budgets. Before anything is computed, every node's output shapes are inferred
// (shapes.ts) and charged against an element budget (memory) and an operation budget (time), per node
// and for the graph. A 1 KB graph of doubling Concats, or a broadcast [N,1] + [1,N], is refused here by
// name before its first float tensor exists. The shape pass is exact: it computes the int64 and bool
// tensors (shapes, axes, masks) as it goes whenever the node's inputs are all known (initializers,
// graph inputs and such tensors), and knows every float tensor's dims without computing it. A shape
// that would depend on a computed float (Cast of one to int64, then Reshape) is refused by the operator
// that needs the values.
import { InferenceBudgetError, OnnxError, type BudgetKind } from '../errors/infer.ts'
import { size } from '../ops/op.ts'
import type { Info, Meta, Node, Tensor } from '../ops/onnx.ts'
import type { Model } from './model.ts'
import { runNode } from './ops.ts'
import { onnxOp, outputInfo } from './shapes.ts'
import { ONNX_OPS, type OpSet } from '../ops/registry.ts'

export interface InferLimits {
  /** One node's outputs and scratch, in elements (an int64 counts as two: 8 bytes). */
  nodeElements: number
  /** Every tensor the graph makes (the runtime keeps them all), plus the running node's scratch. */
  graphElements: number
  /** One node's arithmetic, in operations (cost model below). */
  nodeOperations: number
  graphOperations: number
}

/**
 * 2^25 elements is 128 MiB of f32: a verifier stays well under 512 MB (measured, docs/receipts.md).
 * 2^31 operations is about 30 s of the CPU reference at its slowest (bq15 matmul); the GPT presets
 * need far less (`small` with 8 rows: under 2^30).
 */
export const DEFAULT_LIMITS: InferLimits = {
  nodeElements: 2 ** 24,
  graphElements: 2 ** 25,
  nodeOperations: 2 ** 30,
  graphOperations: 2 ** 31,
}

export interface NodePlan {
  outputs: Info[]
  elements: number
  scratch: number
  operations: number
}

export interface Plan {
  nodes: NodePlan[]
  elements: number
  operations: number
}

const width = (t: Info) => (t.type === 'int64' ? 2 : 1)
const known = (t: Meta | undefined) => !t || t.data !== undefined

/**
 * What a node costs on the CPU references, in operations of roughly 5–20 ns each (measured in Node,
 * docs/receipts.md), and the elements it holds: its outputs (none for a view) and its scratch. Each op
 * module prices its operators (`cost`); by default 4 operations per output element, as adds and
 * multiplies cost.
 */
export function nodeCost(
  node: Node,
  ins: readonly (Meta | undefined)[],
  outs: Info[],
  ops: OpSet = ONNX_OPS,
) {
  const out = outs.reduce((s, t) => s + size(t.dims), 0)
  const x = ins[0] ? size(ins[0].dims) * width(ins[0]) : 0
  const op = onnxOp(node, ops)
  const c = op.cost ? op.cost({ node, ins, outs, out, x }) : { operations: 4 * out }
  const elements = c.view ? 0 : outs.reduce((s, t) => s + size(t.dims) * width(t), 0)
  return { elements, scratch: c.scratch ?? 0, operations: c.operations }
}

function charge(where: string, kind: BudgetKind, node: number, graph: number, limits: [number, number]) {
  if (node > limits[0]) throw new InferenceBudgetError(where, kind, 'node', node, limits[0])
  if (graph > limits[1]) throw new InferenceBudgetError(where, kind, 'graph', graph, limits[1])
}

/**
 * Infers every node's outputs and charges the budgets; throws before anything costly is computed. The
 * budgets are this verifier's whatever release runs (`ops`): an old release never buys a larger one.
 */
export function planModel(
  model: Model,
  inputs: Map<string, Tensor>,
  limits: InferLimits,
  ops: OpSet = ONNX_OPS,
): Plan {
  const metas = new Map<string, Meta>([...model.initializers, ...inputs])
  let elements = 0
  let operations = 0
  const nodes = model.nodes.map((node): NodePlan => {
    const where = `${node.op} ${node.name}`
    const ins = node.inputs.map((name) => (name ? metas.get(name) : undefined))
    node.inputs.forEach((name, i) => {
      if (name && !ins[i])
        throw new OnnxError(`${where}: input "${name}" is not produced by any earlier node.`)
    })
    const outputs = outputInfo(node, ins, model.opset, ops)
    const c = nodeCost(node, ins, outputs, ops)
    charge(where, 'elements', c.elements + c.scratch, elements + c.elements + c.scratch, [
      limits.nodeElements,
      limits.graphElements,
    ])
    charge(where, 'operations', c.operations, operations + c.operations, [
      limits.nodeOperations,
      limits.graphOperations,
    ])
    elements += c.elements
    operations += c.operations
    // int64 and bool outputs are the shapes, axes and masks of later nodes: computed now when their
    // inputs are known (after the charge above, so a hostile Range is refused before it runs).
    // Constants are known whatever their type (a float Range's bounds): their value is in the graph.
    const made: Meta[] =
      (outputs.every((o) => o.type !== 'float') && (onnxOp(node, ops).dimsOnly || ins.every(known))) ||
      node.op === 'Constant'
        ? runNode(node, ins as Tensor[], model.opset, ops)
        : outputs
    node.outputs.forEach((name, i) => name && made[i] && metas.set(name, made[i]))
    return { outputs, ...c }
  })
  for (const name of model.outputs)
    if (!metas.has(name)) throw new OnnxError(`Output "${name}" is never produced.`)
  return { nodes, elements, operations }
}
