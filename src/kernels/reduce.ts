import source from '../../shaders/reduce.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, requireDType, type GpuTensor } from '../gpu/tensor.ts'
import {
  CANONICAL_NAN,
  FX_NAN,
  fixedAccumulate,
  fixedDivToF32Bits,
  fixedToF32Bits,
  fromOrderKey,
  fxFlags,
  orderKey,
} from './fixed.ts'

export type ReduceOp = 'sum' | 'mean' | 'max'

export interface ReduceOptions {
  /** 1 (default): one result per row of [rows, n]; 0: one per column (e.g. bias gradients). */
  axis?: 0 | 1
  /** Threads per reduction, an override constant. Any size gives the same bits; tests vary it. Default: the adapter's `gpu.rowWorkgroupSize`. */
  workgroupSize?: number
}

/**
 * Sum, mean or max of a [rows, n] f32 tensor along one axis, bit-identical on every adapter and to
 * {@link reduceRef}: sums are exact in fixed point and rounded once (docs/determinism-reductions.md).
 * Records the dispatch; read the result with downloadF32.
 *
 * @example
 * const rowSums = await reduce(gpu, logits, 'sum') // [rows]
 * const biasGrad = await reduce(gpu, dout, 'sum', { axis: 0 }) // [n]
 */
export async function reduce(
  gpu: Gpu,
  x: GpuTensor,
  op: ReduceOp,
  options: ReduceOptions = {},
): Promise<GpuTensor> {
  requireDType('reduce', x, 'f32')
  const { count, len, rstride, step } = plan(x.shape, op, options.axis ?? 1)
  const wg = checkWorkgroupSize(gpu, 'reduce', options.workgroupSize ?? gpu.rowWorkgroupSize)
  const out = empty(gpu, [count])
  if (count === 0) return out
  const pipeline = await gpu.pipeline(shader('reduce', source, { nativeDot4: gpu.nativeDot4 }), {
    entryPoint: op === 'max' ? 'reduce_max' : 'reduce_sum',
    constants: { WG: wg },
  })
  const [gx, gy] = reductionGroups(gpu, count)
  const params = new Uint32Array([count, len, rstride, step, op === 'mean' ? 1 : 0, gx])
  gpu.dispatch(pipeline, params, [x.buffer, out.buffer], [gx, gy])
  return out
}

/** The CPU reference, and the CPU path: same bits as the GPU for every input. */
export function reduceRef(
  x: Float32Array,
  shape: readonly number[],
  op: ReduceOp,
  axis: 0 | 1 | Pick<ReduceOptions, 'axis'> = 1, // a bare axis, or { axis } as reduce() takes it
): Float32Array {
  const { count, len, rstride, step } = plan(shape, op, typeof axis === 'object' ? (axis.axis ?? 1) : axis)
  if (x.length !== shape[0] * shape[1]) {
    throw new ShapeError(
      `reduce: shape [${shape.join(', ')}] needs ${shape[0] * shape[1]} values; got ${x.length}.`,
    )
  }
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length)
  const out = new Uint32Array(count)
  const values = new Uint32Array(len)
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < len; k++) values[k] = bits[r * rstride + k * step]
    out[r] = op === 'max' ? maxBits(values) : sumBits(values, op === 'mean')
  }
  return new Float32Array(out.buffer)
}

function sumBits(values: Uint32Array, mean: boolean): number {
  const acc = fixedAccumulate(values)
  return mean ? fixedDivToF32Bits(acc, values.length) : fixedToF32Bits(acc)
}

/** Max in f32 order with +0 above -0; any NaN gives the canonical NaN. */
function maxBits(values: Uint32Array): number {
  let key = 0
  for (const b of values) {
    if (fxFlags(b) & FX_NAN) return CANONICAL_NAN
    key = Math.max(key, orderKey(b))
  }
  return fromOrderKey(key)
}

function plan(shape: readonly number[], op: ReduceOp, axis: 0 | 1) {
  if (op !== 'sum' && op !== 'mean' && op !== 'max')
    throw new ShapeError(`reduce: unknown op "${String(op)}".`)
  if (axis !== 0 && axis !== 1) throw new ShapeError(`reduce: axis must be 0 or 1; got ${String(axis)}.`)
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`reduce: expected a 2-D tensor [rows, n]; got shape [${shape.join(', ')}].`)
  }
  const [rows, n] = shape
  const len = axis === 1 ? n : rows
  if (len === 0)
    throw new ShapeError(`reduce: cannot take the ${op} of an empty axis (shape [${rows}, ${n}]).`)
  return axis === 1
    ? { count: rows, len: n, rstride: n, step: 1 }
    : { count: n, len: rows, rstride: 1, step: n }
}

/** Validates a workgroup-size override against this adapter's limits. */
export function checkWorkgroupSize(gpu: Gpu, op: string, size: number): number {
  const max = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX)
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new ShapeError(`${op}: workgroupSize must be an integer from 1 to ${max}; got ${size}.`)
  }
  return size
}

/** One workgroup per reduction: x first, spilling into y past the per-dimension limit. */
export function reductionGroups(gpu: Gpu, count: number): [number, number] {
  const gx = Math.min(count, gpu.limits.maxComputeWorkgroupsPerDimension)
  return [gx, Math.ceil(count / gx)]
}
