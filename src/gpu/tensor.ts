import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from './runtime.ts'

export type DType = 'f32' | 'i32' | 'u32'
export type HostArray = Float32Array | Int32Array | Uint32Array

/** A tensor living in a GPU storage buffer: row-major, contiguous, 4 bytes per element. */
export interface GpuTensor {
  readonly buffer: GPUBuffer
  readonly shape: readonly number[]
  readonly dtype: DType
}

export function numel(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`Invalid dimension ${d} in shape [${shape.join(', ')}].`)
    n *= d
  }
  return n
}

function dtypeOf(data: HostArray): DType {
  return data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'u32'
}

export function upload(gpu: Gpu, data: HostArray, shape: readonly number[] = [data.length]): GpuTensor {
  if (numel(shape) !== data.length) {
    throw new ShapeError(`Shape [${shape.join(', ')}] needs ${numel(shape)} elements; got ${data.length}.`)
  }
  return { buffer: gpu.upload(data), shape: [...shape], dtype: dtypeOf(data) }
}

/** An uninitialised tensor (pooled buffers may hold old data: kernels must write every element). */
export function empty(gpu: Gpu, shape: readonly number[], dtype: DType = 'f32'): GpuTensor {
  return { buffer: gpu.buffer(Math.max(4, numel(shape) * 4)), shape: [...shape], dtype }
}

export async function download(gpu: Gpu, t: GpuTensor): Promise<HostArray> {
  const bytes = await gpu.read(t.buffer, Math.max(4, numel(t.shape) * 4))
  const n = numel(t.shape)
  if (t.dtype === 'f32') return new Float32Array(bytes, 0, n)
  if (t.dtype === 'i32') return new Int32Array(bytes, 0, n)
  return new Uint32Array(bytes, 0, n)
}

export async function downloadF32(gpu: Gpu, t: GpuTensor): Promise<Float32Array> {
  if (t.dtype !== 'f32') throw new ShapeError(`Expected an f32 tensor; got ${t.dtype}.`)
  return (await download(gpu, t)) as Float32Array
}

export function release(gpu: Gpu, ...tensors: GpuTensor[]): void {
  for (const t of tensors) gpu.release(t.buffer)
}

export function requireDType(op: string, t: GpuTensor, dtype: DType): void {
  if (t.dtype !== dtype) throw new ShapeError(`${op}: expected a ${dtype} tensor; got ${t.dtype}.`)
}

export function requireSameShape(op: string, a: GpuTensor, b: GpuTensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ.`)
  }
}
