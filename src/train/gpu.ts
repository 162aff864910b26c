// The GPU backend: every op is a WGSL kernel with the bits of its CPU reference (src/train/cpu.ts).
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { downloadF32, numel, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { size, type Backend } from '../ops/op.ts'
import { backendKernels } from '../ops/registry.ts'
import { gpuStepper } from './resident.ts'

export function gpuBackend(gpu: Gpu): Backend<GpuTensor> {
  return {
    kind: 'gpu',
    maxTensorBytes: gpu.limits.maxStorageBufferBindingSize,
    upload: (data, shape) => upload(gpu, data, shape),
    download: (x) => downloadF32(gpu, x),
    shape: (x) => x.shape,
    view: (x, shape) => {
      if (size(shape) !== size(x.shape)) throw new ShapeError(`Cannot view [${x.shape}] as [${shape}].`)
      return { ...x, shape: [...shape] }
    },
    release: (...xs) => release(gpu, ...xs),
    downloadMany: async (xs) => {
      for (const x of xs)
        if (x.dtype !== 'f32') throw new ShapeError(`Expected an f32 tensor; got ${x.dtype}.`)
      const parts = await gpu.readMany(xs.map((x) => ({ buffer: x.buffer, bytes: 4 * numel(x.shape) })))
      return parts.map((bytes) => new Float32Array(bytes))
    },
    stepper: (state) => gpuStepper(gpu, state),
    ...backendKernels<GpuTensor>(
      (k) =>
        (...args: never[]) =>
          (k.gpu as (gpu: Gpu, ...a: never[]) => unknown)(gpu, ...args),
    ),
  }
}
