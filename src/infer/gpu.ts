// The ONNX runtime on the GPU kernels: each node whose form has a kernel (elementwise of equal shapes,
// MatMul by a 2-D weight, Softmax and LayerNormalization over the last axis) runs on the GPU; the rest run on
// the CPU references. Kernels and references give the same bits, so where a node runs changes nothing in
// the outputs, which is what the tests check. Tensors go to the GPU and back around each node:
// correctness first; keeping them resident is an optimisation for later.
import type { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { binary, unary } from '../kernels/elementwise.ts'
import { matmul } from '../kernels/matmul.ts'
import { softmax } from '../kernels/softmax.ts'
import { layernorm } from '../kernels/layernorm.ts'
import type { Model, Node, Tensor } from './model.ts'
import { onnxUnary, runNode } from './ops.ts'
import { DEFAULT_LIMITS, planModel, type InferLimits } from './plan.ts'

type F = Extract<Tensor, { type: 'float' }>
const isFloat = (t: Tensor | undefined): t is F => t?.type === 'float'
const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1)
const binaryOps = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div' } as const
const gelu = { none: 'geluErf', tanh: 'geluTanh' } as const

export interface Placement {
  /** Nodes run on the GPU kernels and on the CPU references, by operator. */
  gpu: Record<string, number>
  cpu: Record<string, number>
}

/** One node on the GPU, or null when this node's form has no kernel. */
async function onGpu(gpu: Gpu, node: Node, ins: (Tensor | undefined)[], opset: number): Promise<F | null> {
  const held: GpuTensor[] = []
  const up = (t: F, shape = t.dims) => {
    const g = upload(gpu, t.data, shape.length ? shape : [1])
    held.push(g)
    return g
  }
  const out = async (g: GpuTensor, dims: number[]) => {
    held.push(g)
    return { type: 'float', dims, data: await downloadF32(gpu, g) } as F
  }
  const [x, y] = ins
  const a = node.attrs
  try {
    if (node.op in onnxUnary && isFloat(x)) return out(await unary(gpu, onnxUnary[node.op], up(x)), x.dims)
    const approx = String(a.approximate ?? 'none')
    if (node.op === 'Gelu' && isFloat(x) && (approx === 'none' || approx === 'tanh'))
      return out(await unary(gpu, gelu[approx], up(x)), x.dims)
    if (node.op in binaryOps && isFloat(x) && isFloat(y) && x.dims.join() === y.dims.join())
      return out(await binary(gpu, binaryOps[node.op as keyof typeof binaryOps], up(x), up(y)), x.dims)
    if (node.op === 'MatMul' && isFloat(x) && isFloat(y) && x.dims.length >= 2 && y.dims.length === 2) {
      const [m, k] = x.dims.slice(-2)
      const batch = x.dims.slice(0, -2)
      const shape = batch.length ? [size(batch), m, k] : [m, k]
      return out(await matmul(gpu, up(x, shape), up(y)), [...batch, m, y.dims[1]])
    }
    const axis = typeof a.axis === 'number' ? a.axis : -1
    const last = (t: F) => axis === -1 || axis === t.dims.length - 1
    if (
      node.op === 'Softmax' &&
      isFloat(x) &&
      x.dims.length >= 1 &&
      last(x) &&
      (opset >= 13 || x.dims.length <= 2)
    ) {
      const n = x.dims.at(-1)!
      return out(await softmax(gpu, up(x, [x.data.length / n, n])), x.dims)
    }
    if (node.op === 'LayerNormalization' && isFloat(x) && isFloat(y) && isFloat(ins[2]) && last(x)) {
      if (node.outputs.slice(1).some(Boolean)) return null
      const n = x.dims.at(-1)!
      const eps = typeof a.epsilon === 'number' ? a.epsilon : 1e-5
      const r = await layernorm(gpu, up(x, [x.data.length / n, n]), up(y), up(ins[2]), { eps })
      held.push(r.mean, r.std)
      return out(r.y, x.dims)
    }
    return null
  } finally {
    release(gpu, ...held)
  }
}

/** runModel, with every node that has a GPU form run on the GPU kernels; the same shape pass and budgets. */
export async function runModelGpu(
  model: Model,
  inputs: Map<string, Tensor>,
  gpu: Gpu,
  limits: InferLimits = DEFAULT_LIMITS,
): Promise<{ outputs: Map<string, Tensor>; placement: Placement }> {
  planModel(model, inputs, limits)
  const values = new Map<string, Tensor>([...model.initializers, ...inputs])
  const placement: Placement = { gpu: {}, cpu: {} }
  for (const node of model.nodes) {
    const ins = node.inputs.map((name) => (name ? values.get(name) : undefined))
    const g = await onGpu(gpu, node, ins, model.opset)
    const where = g ? placement.gpu : placement.cpu
    where[node.op] = (where[node.op] ?? 0) + 1
    const outs = g ? [g] : runNode(node, ins, model.opset)
    node.outputs.forEach((name, i) => name && outs[i] && values.set(name, outs[i]))
  }
  const outputs = new Map(model.outputs.map((name) => [name, values.get(name)!] as [string, Tensor]))
  return { outputs, placement }
}
