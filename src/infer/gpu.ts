// The ONNX runtime on the GPU kernels: each node whose form has a kernel (elementwise of equal shapes,
// MatMul by a 2-D weight, Softmax and LayerNormalization over the last axis, Conv, the int8 products
// with their int32 outputs: the op modules' `gpu` entries) runs on the GPU; the rest run on the CPU
// references. Kernels and references give the same bits, so where a node runs changes nothing in the
// outputs, which is what the tests check. Tensors go to the GPU and back around each node: correctness
// first; keeping them resident is an optimisation for later.
import type { Gpu } from '../gpu/runtime.ts'
import { downloadF32, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import type { GpuContext, Node, Tensor } from '../ops/onnx.ts'
import type { Model } from './model.ts'
import { runContext, runNode } from './ops.ts'
import { DEFAULT_LIMITS, planModel, type InferLimits } from './plan.ts'
import { onnxOp } from './shapes.ts'
import type { RunOptions } from './run.ts'
import { ONNX_OPS, type OpSet } from '../ops/registry.ts'

export interface Placement {
  /** Nodes run on the GPU kernels and on the CPU references, by operator. */
  gpu: Record<string, number>
  cpu: Record<string, number>
}

/** One node on the GPU, or null when this node's form has no kernel (its op module's `gpu`). */
async function onGpu(
  gpu: Gpu,
  node: Node,
  ins: (Tensor | undefined)[],
  opset: number,
  ops: OpSet,
): Promise<Tensor | null> {
  const op = onnxOp(node, ops)
  if (!op.gpu) return null
  const held: GpuTensor[] = []
  const g: GpuContext = {
    gpu,
    up: (t, shape = t.dims) => {
      const u = upload(gpu, t.data, shape.length ? shape : [1])
      held.push(u)
      return u
    },
    upBool: (t) => {
      const u = upload(gpu, Uint32Array.from(t.data), t.dims.length ? t.dims : [1])
      held.push(u)
      return u
    },
    out: async (t, dims) => {
      held.push(t)
      return { type: 'float', dims, data: await downloadF32(gpu, t) }
    },
    hold: (...ts) => held.push(...ts),
  }
  try {
    return await op.gpu(g, runContext(node, ins, opset, ops))
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
  { ops = ONNX_OPS }: RunOptions = {},
): Promise<{ outputs: Map<string, Tensor>; placement: Placement }> {
  planModel(model, inputs, limits, ops)
  const values = new Map<string, Tensor>([...model.initializers, ...inputs])
  const placement: Placement = { gpu: {}, cpu: {} }
  for (const node of model.nodes) {
    const ins = node.inputs.map((name) => (name ? values.get(name) : undefined))
    const g = await onGpu(gpu, node, ins, model.opset, ops)
    const where = g ? placement.gpu : placement.cpu
    where[node.op] = (where[node.op] ?? 0) + 1
    const outs = g ? [g] : runNode(node, ins, model.opset, ops)
    node.outputs.forEach((name, i) => name && outs[i] && values.set(name, outs[i]))
  }
  const outputs = new Map(model.outputs.map((name) => [name, values.get(name)!] as [string, Tensor]))
  return { outputs, placement }
}
