// The shape pass and the budgets. Before anything is computed, every node's output shapes are inferred
// (shapes.ts) and charged against an element budget (memory) and an operation budget (time), per node
// and for the graph. A 1 KB graph of doubling Concats, or a broadcast [N,1] + [1,N], is refused here by
// name before its first float tensor exists. The shape pass is exact: int64 tensors — the only ones that
// act as shapes and axes — never depend on float data (Cast makes int64 only from int64), so it
// computes them as it goes, and knows every float tensor's dims without computing it.
import { InferenceBudgetError, OnnxError, type BudgetKind } from '../errors/infer.ts'
import type { Model, Node, Tensor } from './model.ts'
import { runNode } from './ops.ts'
import { outputInfo, size, type Info, type Meta } from './shapes.ts'

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

const VIEWS = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'])
/**
 * Softfloat transcendentals (about 100 ns an element on the CPU reference, against 20 for an add), and
 * copies that may move one element at a time (Concat of [N,1] on axis 1, Gather of one column).
 */
const SLOW = new Set([
  'Exp',
  'Log',
  'Tanh',
  'Sigmoid',
  'Sqrt',
  'Gelu',
  'Pow',
  'Concat',
  'Gather',
  'Split',
  'Transpose',
])
const width = (t: Info) => (t.type === 'int64' ? 2 : 1)

/**
 * What a node costs on the CPU references, in operations of roughly 5–20 ns each (measured in Node,
 * docs/receipts.md). Per output element: 4 for adds and multiplies, 16 for transcendentals and copies; per
 * input element 64 for Softmax and LayerNormalization, 16 for Reduce*. The bq15 matmul: per output, 64
 * per block of 32 along K plus 256 for its exact BigInt sum. Its scratch is every quantised row of A
 * and column of B (about 32 words per block and 128 of object overhead each): a [2^24, 1] · [1, 1]
 * product makes 2^24 rows, and that is what memory pays for.
 */
export function nodeCost(node: Node, ins: readonly (Meta | undefined)[], outs: Info[]) {
  const out = outs.reduce((s, t) => s + size(t.dims), 0)
  const view = VIEWS.has(node.op) || (node.op === 'Cast' && ins[0]?.type === outs[0].type)
  const elements = view ? 0 : outs.reduce((s, t) => s + size(t.dims) * width(t), 0)
  const x = ins[0] ? size(ins[0].dims) * width(ins[0]) : 0
  if (node.op === 'MatMul' || node.op === 'Gemm') {
    const [a, b] = [ins[0]!.dims, ins[1]!.dims]
    const k = node.op === 'Gemm' && node.attrs.transA === 1 ? a[0] : a[a.length - 1]
    const blocks = Math.ceil(k / 32)
    const vectors = size(a) / k + size(b) / k
    return {
      elements,
      scratch: vectors * (32 * blocks + 128) + (node.op === 'Gemm' ? 2 * out : 0),
      operations: out * (64 * blocks + 256),
    }
  }
  // Softmax, LayerNormalization and Reduce* move their axes last (a copy) and work row by row.
  const rows = ['Softmax', 'LayerNormalization'].includes(node.op)
    ? 64
    : node.op.startsWith('Reduce')
      ? 16
      : 0
  const scratch = rows ? 2 * x : node.op === 'Transpose' && outs[0].type === 'int64' ? 2 * x : 0
  const operations = view ? 0 : rows ? rows * x : (SLOW.has(node.op) ? 16 : 4) * out
  return { elements, scratch, operations }
}

function charge(where: string, kind: BudgetKind, node: number, graph: number, limits: [number, number]) {
  if (node > limits[0]) throw new InferenceBudgetError(where, kind, 'node', node, limits[0])
  if (graph > limits[1]) throw new InferenceBudgetError(where, kind, 'graph', graph, limits[1])
}

/** Infers every node's outputs and charges the budgets; throws before anything costly is computed. */
export function planModel(model: Model, inputs: Map<string, Tensor>, limits: InferLimits): Plan {
  const known = new Map<string, Meta>([...model.initializers, ...inputs])
  let elements = 0
  let operations = 0
  const nodes = model.nodes.map((node): NodePlan => {
    const where = `${node.op} ${node.name}`
    const ins = node.inputs.map((name) => (name ? known.get(name) : undefined))
    node.inputs.forEach((name, i) => {
      if (name && !ins[i])
        throw new OnnxError(`${where}: input "${name}" is not produced by any earlier node.`)
    })
    const outputs = outputInfo(node, ins, model.opset)
    const c = nodeCost(node, ins, outputs)
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
    // int64 outputs are the shapes and axes of later nodes: computed now, from int64 inputs only.
    const made: Meta[] = outputs.every((o) => o.type === 'int64')
      ? runNode(node, ins as Tensor[], model.opset)
      : outputs
    node.outputs.forEach((name, i) => name && made[i] && known.set(name, made[i]))
    return { outputs, ...c }
  })
  for (const name of model.outputs)
    if (!known.has(name)) throw new OnnxError(`Output "${name}" is never produced.`)
  return { nodes, elements, operations }
}
