// ONNX operators on the deterministic CPU references: elementwise ops are IEEE binary32 via softfloat,
// MatMul/Gemm the bq15 matmul, Softmax/LayerNormalization/Reduce* the exact-sum kernels, shape ops exact
// copies. Same bits on every machine; the GPU kernels have these bits too. Each operator is declared in
// its op module (src/ops/, the `onnx` entries); this runs one node through it.
import { OnnxError } from '../errors/infer.ts'
import type { FloatTensor, Node, RunContext, Tensor } from '../ops/onnx.ts'
import { ONNX_OPS, type OpSet } from '../ops/registry.ts'
import { onnxOp, outputInfo } from './shapes.ts'

/** The ONNX operators this runtime runs (op_type). */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set(ONNX_OPS.keys())

/** The context a node's CPU (and GPU) form runs in, with the outputs the shape pass planned. */
export function runContext(
  node: Node,
  ins: (Tensor | undefined)[],
  opset: number,
  ops: OpSet = ONNX_OPS,
): RunContext {
  const where = `${node.op} ${node.name}`
  return {
    node,
    where,
    opset,
    ins,
    planned: outputInfo(node, ins, opset, ops),
    float: (i): FloatTensor => {
      const t = ins[i]
      if (!t) throw new OnnxError(`${where}: input ${i} is missing.`)
      if (t.type !== 'float') throw new OnnxError(`${where}: input ${i} must be float, got ${t.type}.`)
      return t
    },
    ints: (i, what) => {
      const t = ins[i]
      if (!t || t.type !== 'int64') throw new OnnxError(`${where}: ${what} must be an int64 tensor.`)
      return Array.from(t.data, Number)
    },
  }
}

/**
 * One node on the CPU references, after shapes.ts has checked it (and named what does not fit); `ops`
 * is the release's op set (default the registry's).
 */
export function runNode(
  node: Node,
  ins: (Tensor | undefined)[],
  opset: number,
  ops: OpSet = ONNX_OPS,
): Tensor[] {
  return onnxOp(node, ops).run(runContext(node, ins, opset, ops))
}
