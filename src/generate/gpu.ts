// The generation loop's forward passes on the GPU kernels (src/infer/gpu.ts): nodes with a kernel run
// there, the rest on the CPU references; the bits are the CPU reference's.
import type { Gpu } from '../gpu/runtime.ts'
import { runModelGpu } from '../infer/gpu.ts'
import type { Runner } from './decoder.ts'

export const gpuRunner =
  (gpu: Gpu): Runner =>
  async (model, inputs, limits, ops) =>
    (await runModelGpu(model, inputs, gpu, limits, { ops })).outputs
