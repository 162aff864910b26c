import source from '../../shaders/matmul_f32_baseline.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { empty, requireDType, type GpuTensor } from '../gpu/tensor.ts'

/**
 * The non-deterministic f32 baseline, [M,K]·[K,N]: for benchmarks only. Its bits depend on the
 * adapter (fma contraction), so nothing that is verified may use it.
 */
export async function matmulF32Baseline(gpu: Gpu, a: GpuTensor, b: GpuTensor): Promise<GpuTensor> {
  requireDType('matmulF32Baseline', a, 'f32')
  requireDType('matmulF32Baseline', b, 'f32')
  const [m, k] = a.shape
  const [kb, n] = b.shape
  if (a.shape.length !== 2 || b.shape.length !== 2 || k !== kb) {
    throw new ShapeError(`matmulF32Baseline: cannot multiply [${a.shape}] by [${b.shape}].`)
  }
  const out = empty(gpu, [m, n])
  const pipeline = await gpu.pipeline(source)
  gpu.dispatch(
    pipeline,
    new Uint32Array([m, n, k]),
    [a.buffer, b.buffer, out.buffer],
    [Math.ceil(n / 64), Math.ceil(m / 64)],
  )
  return out
}
