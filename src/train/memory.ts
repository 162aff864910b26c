// How many bytes of GPU buffers one training step of a config holds at its peak, counted by running the
// engine's own GPU code on a WebGPU that runs nothing (src/gpu/dryRun.ts): the runtime's accounting
// (Gpu.memory(): storage buffers in use or pooled, each rounded to its size class) sees every tensor the
// step allocates, exactly as on a real adapter. docs/training.md lists the figures per preset.
import { Gpu } from '../gpu/runtime.ts'
import { dryRunGpu } from '../gpu/dryRun.ts'
import { gptLoss, paramSpecs } from './gpt.ts'
import { gpuBackend } from './gpu.ts'
import { Tape } from './autograd.ts'
import type { TrainConfig } from './trainer.ts'

export interface StepMemory {
  /** Parameters and AdamW's m and v, as the trainer uploads them: three buffers per parameter tensor. */
  state: number
  /** The most held at once during a step: the state, then activations, gradients and the optimizer's. */
  peak: number
}

/**
 * The buffers of one step as the trainer runs it: the forward pass and backward through the tape (which
 * keeps every activation and gradient until the step ends), the global gradient norm, then AdamW on each
 * tensor, and the commitment. Values are zeros; the sizes are the real ones. Staging buffers for reads are not counted: they
 * live for one read each.
 */
export async function stepMemory(config: Pick<TrainConfig, 'model' | 'batch'>): Promise<StepMemory> {
  const gpu = await Gpu.create({ gpu: dryRunGpu() })
  try {
    const be = gpuBackend(gpu)
    const specs = paramSpecs(config.model)
    const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1))
    const zeros = new Float32Array(Math.max(...sizes))
    const tensor = (i: number) => be.upload(zeros.subarray(0, sizes[i]), specs[i].shape)
    const params = new Map(specs.map((s, i) => [s.name, tensor(i)]))
    const state = specs.map((s, i) => ({
      name: s.name,
      shape: s.shape,
      decay: s.decay,
      p: params.get(s.name)!,
      m: tensor(i),
      v: tensor(i),
    }))
    const held = gpu.memory().allocated
    // The optimizer half as the trainer runs it: the backend's stepper (resident.ts on the GPU: the norm,
    // clip, guard, AdamW and the commitment's gathered tensors all on the device).
    const stepper = be.stepper!(state)
    const ids = new Int32Array(config.batch * config.model.seqLen)
    const tape = new Tape(be)
    const { loss } = await gptLoss(tape, params, config.model, ids, ids)
    await tape.backward(loss, loss)
    const grads = specs.map((s) => tape.grad(params.get(s.name)!)!)
    const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 }
    const { outcome } = await stepper.update({ step: 1, loss, grads, hyper, clip: 1 })
    await outcome
    stepper.dispose()
    return { state: held, peak: gpu.memory().peak }
  } finally {
    gpu.destroy()
  }
}
