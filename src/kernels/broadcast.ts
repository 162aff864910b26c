// Elementwise binary arithmetic and Where with numpy broadcasting on the GPU (shaders/broadcast.wgsl):
// attention scores plus a mask, a mask selecting scores. The references are the ONNX operators' CPU
// forms (src/ops/binary.ts `broadcast`, src/ops/compare.ts Where), which give the same bits.
import source from '../../shaders/broadcast.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, numel, upload, release, type GpuTensor } from '../gpu/tensor.ts'
import { grid, type BinaryOp } from './elementwise.ts'

const OP_ID: Record<BinaryOp | 'where', number> = { add: 16, sub: 17, mul: 18, div: 19, where: 40 }

/** Broadcasting beyond this rank stays on the CPU. */
export const MAX_BROADCAST_RANK = 8

/** Row-major strides of `dims` padded to `rank`, 0 on the axes of size 1 (they broadcast). */
function strides(dims: readonly number[], rank: number): number[] {
  const pad = [...new Array<number>(rank - dims.length).fill(1), ...dims]
  const s = new Array<number>(rank).fill(0)
  for (let i = rank - 1, k = 1; i >= 0; i--) {
    s[i] = pad[i] === 1 ? 0 : k
    k *= pad[i]
  }
  return s
}

/**
 * out (of dims `out`) = a op b, or where(cond, a, b), each operand broadcast to `out` (checked by the
 * caller's shape pass). cond holds 0 or 1 a value as u32. The caller releases the result.
 */
export async function broadcastOp(
  gpu: Gpu,
  op: BinaryOp | 'where',
  out: readonly number[],
  a: GpuTensor,
  b: GpuTensor,
  cond?: GpuTensor,
): Promise<GpuTensor> {
  const rank = Math.max(1, out.length)
  if (rank > MAX_BROADCAST_RANK)
    throw new ShapeError(`broadcast: rank ${rank} exceeds ${MAX_BROADCAST_RANK}.`)
  if (op === 'where' && !cond) throw new ShapeError('broadcast: Where needs a condition.')
  const n = numel(out)
  if (n === 0) return empty(gpu, out)
  const dims = out.length ? out : [1]
  const layout = Uint32Array.from([
    ...dims,
    ...strides(a.shape, rank),
    ...strides(b.shape, rank),
    ...strides(cond?.shape ?? [], rank),
  ])
  const table = upload(gpu, layout)
  const code = shader('broadcast', source, { nativeDot4: gpu.nativeDot4 })
  const pipeline = await gpu.pipeline(code, { constants: { OP: OP_ID[op] } })
  const result = empty(gpu, out)
  const groups = grid(Math.ceil(n / 64), gpu.limits.maxComputeWorkgroupsPerDimension)
  gpu.dispatch(
    pipeline,
    new Uint32Array([n, rank, 0, 0]),
    [a.buffer, b.buffer, (cond ?? a).buffer, table.buffer, result.buffer],
    groups,
  )
  release(gpu, table)
  return result
}
