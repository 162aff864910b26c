// An independent float64 backend: every op written out plainly in double precision (each op module's
// f64 kernel), sharing no code with the kernels. It checks the deterministic engine: finite-difference
// gradient checks, and a float64 reference trainer for the same model and data (docs/training.md).
import { ShapeError } from '../errors/gpu.ts'
import { size, type Backend, type F64Tensor } from '../ops/op.ts'
import { backendKernels } from '../ops/registry.ts'

export type { F64Tensor } from '../ops/op.ts'

export const f64Backend: Backend<F64Tensor> = {
  kind: 'cpu',
  upload: (data, shape) => ({ data: Float64Array.from(data), shape: [...shape] }),
  download: async (x) => Float32Array.from(x.data),
  shape: (x) => x.shape,
  view: (x, shape) => {
    if (size(shape) !== x.data.length) throw new ShapeError(`Cannot view [${x.shape}] as [${shape}].`)
    return { data: x.data, shape: [...shape] }
  },
  release: () => {},
  ...backendKernels<F64Tensor>((k) => k.f64),
}
