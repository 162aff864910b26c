// The CPU backend: every op is the kernel's TypeScript reference, so it produces the GPU's bits.
// It is the verifier's path without WebGPU, in browsers and in Node.
import { ShapeError } from '../errors/gpu.ts'
import { size, type Backend, type CpuTensor } from '../ops/op.ts'
import { backendKernels } from '../ops/registry.ts'

export type { CpuTensor } from '../ops/op.ts'

export const cpuBackend: Backend<CpuTensor> = {
  kind: 'cpu',
  upload: (data, shape) => {
    if (size(shape) !== data.length)
      throw new ShapeError(`Shape [${shape}] needs ${size(shape)} values; got ${data.length}.`)
    return { data: data.slice(), shape: [...shape] }
  },
  download: async (x) => x.data.slice(),
  shape: (x) => x.shape,
  view: (x, shape) => {
    if (size(shape) !== x.data.length) throw new ShapeError(`Cannot view [${x.shape}] as [${shape}].`)
    return { data: x.data, shape: [...shape] }
  },
  release: () => {},
  ...backendKernels<CpuTensor>((k) => k.cpu),
}
