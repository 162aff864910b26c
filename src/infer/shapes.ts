// Shape inference for one node: the type and dims of each output, from the inputs' types and dims (and
// the values of int64 inputs that act as shapes or axes). It refuses every graph onnxruntime refuses —
// inner dimensions that differ, axes out of range, ranks that do not match — with a named error, so no
// kernel ever reads out of bounds. The budgets (plan.ts) are charged from what it returns, before any
// float tensor is allocated; runNode checks with it too, so no path runs an unchecked node. The checks
// every node gets (operator known, opset, arity, outputs) are here; each operator's own are in its op
// module (src/ops/, the `onnx` entries).
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import type { Info, Meta, Node, ShapeContext } from '../ops/onnx.ts'
import { ONNX_OPS, type OpSet } from '../ops/registry.ts'

export type { Info, Meta } from '../ops/onnx.ts'

/** The node's operator in `ops` (a release's op set; default the registry's), refused when none runs it. */
export function onnxOp(node: Node, ops: OpSet = ONNX_OPS) {
  const op = ops.get(node.op)
  if (!op) throw new OnnxError(`Operator ${node.op} (node ${node.name}) is not supported.`)
  return op
}

export function outputInfo(
  node: Node,
  ins: readonly (Meta | undefined)[],
  opset: number,
  ops: OpSet = ONNX_OPS,
): Info[] {
  const op = onnxOp(node, ops)
  const where = `${node.op} ${node.name}`
  const [fewest, most] = op.inputs
  if (opset < (op.since ?? 0))
    throw new OnnxError(`${where}: ${node.op} needs opset ${op.since}; the model has ${opset}.`)
  if (node.inputs.length > most)
    throw new OnnxShapeError(`${where}: takes at most ${most} inputs, has ${node.inputs.length}.`)
  const multi = op.outputs === 'many'
  if (node.outputs.length < 1 || (!multi && node.outputs.length > 1))
    throw new OnnxShapeError(`${where}: must have ${multi ? 'at least one output' : 'exactly one output'}.`)
  const need = (i: number): Meta => {
    const t = ins[i]
    if (!t) throw new OnnxShapeError(`${where}: input ${i} is missing.`)
    return t
  }
  for (let i = 0; i < fewest; i++) need(i)
  const c: ShapeContext = {
    node,
    where,
    opset,
    ins,
    need,
    float: (i) => {
      const t = need(i)
      if (t.type !== 'float') throw new OnnxError(`${where}: input ${i} must be float, got ${t.type}.`)
      return t.dims
    },
    ints: (i, what) => {
      const t = need(i)
      if (t.type !== 'int64') throw new OnnxShapeError(`${where}: ${what} must be an int64 tensor.`)
      if (!t.data)
        throw new OnnxError(
          `${where}: ${what} is computed from float data; shapes, axes and indices must be known before the graph runs.`,
        )
      if (t.dims.length > 1) throw new OnnxShapeError(`${where}: ${what} must be 1-D, got [${t.dims}].`)
      return Array.from(t.data as BigInt64Array, Number)
    },
  }
  return op.shape(c)
}
