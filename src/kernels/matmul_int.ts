// MatMulInteger's product (shaders/matmul_int.wgsl): C = (A − a_zero) · (B − b_zero) in int32, A
// [batch, M, K], B [K, N] shared or [batch, K, N], b_zero one value or one per column. Exact integer
// sums wrapped to int32, so the GPU's and the reference's bits agree in any summation order.
import source from '../../shaders/matmul_int.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { empty, requireDType, type GpuTensor } from '../gpu/tensor.ts'

export interface MatmulIntPlan {
  batch: number
  m: number
  k: number
  n: number
  /** B is [K, N], used by every batch. */
  shared: boolean
}

/** The CPU reference: each sum exact in a double (|term| ≤ 2^16, K ≤ 2^37), then wrapped by | 0. */
export function matmulIntRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  p: MatmulIntPlan,
  aZero = 0,
  bZero: ArrayLike<number> = [0],
): Int32Array {
  const { m, k, n } = p
  const out = new Int32Array(p.batch * m * n)
  const row = new Float64Array(n)
  const bz = Float64Array.from({ length: n }, (_, j) => bZero[bZero.length === 1 ? 0 : j])
  for (let z = 0; z < p.batch; z++) {
    const bo = p.shared ? 0 : z * k * n
    for (let i = 0; i < m; i++) {
      row.fill(0)
      for (let q = 0; q < k; q++) {
        const av = a[(z * m + i) * k + q] - aZero
        if (av === 0) continue
        for (let j = 0; j < n; j++) row[j] += av * (b[bo + q * n + j] - bz[j])
      }
      for (let j = 0; j < n; j++) out[(z * m + i) * n + j] = row[j] | 0
    }
  }
  return out
}

/** The product on the GPU, A, B and b_zero as i32 tensors; the caller releases the result. */
export async function matmulInt(
  gpu: Gpu,
  a: GpuTensor,
  b: GpuTensor,
  bZero: GpuTensor,
  p: MatmulIntPlan,
  aZero = 0,
): Promise<GpuTensor> {
  for (const t of [a, b, bZero]) requireDType('matmulInt', t, 'i32')
  const zeros = bZero.shape.reduce((x, y) => x * y, 1)
  if (zeros !== 1 && zeros !== p.n)
    throw new ShapeError(`matmulInt: ${zeros} zero points for ${p.n} columns.`)
  const out = empty(gpu, [p.batch, p.m, p.n], 'i32')
  if (p.batch * p.m * p.n === 0) return out
  const params = new Uint32Array([
    p.m,
    p.n,
    p.k,
    p.shared ? 0 : p.k * p.n,
    aZero >>> 0,
    zeros === 1 ? 0 : 1,
    0,
    0,
  ])
  const pipeline = await gpu.pipeline({ id: 'matmul_int', code: source })
  gpu.dispatch(
    pipeline,
    params,
    [a.buffer, b.buffer, bZero.buffer, out.buffer],
    [Math.ceil(p.n / 8), Math.ceil(p.m / 8), p.batch],
  )
  return out
}
