import source from '../../shaders/softmax.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, requireDType, requireSameShape, type GpuTensor } from '../gpu/tensor.ts'
import { fixedAccumulate, fixedToF32Bits } from './fixed.ts'
import { checkWorkgroupSize, reductionGroups } from './reduce.ts'
import * as sf from './softfloat.ts'
import { dispatchTwoPass } from './twoPass.ts'

export interface SoftmaxOptions {
  /**
   * Rows are [T, T] attention-score blocks (T = the last dimension, rows a multiple of T): row t of
   * each block sees columns 0..t, and the rest get exactly 0.
   */
  causal?: boolean
  /** Threads per row, an override constant. Any size gives the same bits. Default: the adapter's `gpu.rowWorkgroupSize`. */
  workgroupSize?: number
}

/** exp(x - max) <= 1, so the row sums use one fixed scale (as EXP_SCALE in the shader). */
export const EXP_SCALE = 128

/**
 * e^(x - m) with x - m split exactly into hi + lo (Knuth's TwoSum), so the rounding of the
 * difference does not grow with |x - m|. The twin of fx_exp_sub in shaders/lib/fixed.wgsl.
 */
export function expSub(x: number, m: number): number {
  const hi = sf.sub(x, m)
  const x1 = sf.add(hi, m)
  const nm1 = sf.sub(hi, x1)
  const lo = sf.add(sf.sub(x, x1), sf.sub(-m, nm1))
  const y = sf.expY(hi, Math.abs(hi) < 128 ? lo : 0) // lo is tiny next to 1 only then
  return sf.ldexp(y, sf.more[0])
}

/**
 * softmax over the last axis, bit-identical on every adapter and to {@link softmaxRef}: softfloat
 * exp and division, max subtraction, an exact fixed-point row sum. A row never depends on other rows.
 *
 * @example
 * const probs = await softmax(gpu, scores, { causal: true }) // scores: [batch * heads * T, T]
 */
export async function softmax(gpu: Gpu, x: GpuTensor, options: SoftmaxOptions = {}): Promise<GpuTensor> {
  requireDType('softmax', x, 'f32')
  const plan = planSoftmax('softmax', x.shape, options)
  const y = empty(gpu, x.shape)
  const WG = checkWorkgroupSize(gpu, 'softmax', options.workgroupSize ?? gpu.rowWorkgroupSize)
  if (plan.rows * plan.n === 0) return y
  // Two passes, the same bits as softmax_forward's one: the first, on cut-down arithmetic, lists the rows
  // it cannot answer exactly (shaders/lib/softfloat_fast.wgsl); the second recomputes them in full.
  const src = shader('softmax', source, { nativeDot4: gpu.nativeDot4 })
  const passes = await Promise.all([
    gpu.pipeline(src, { entryPoint: 'softmax_forward_fast', constants: { WG, FAST: 1 } }),
    gpu.pipeline(src, { entryPoint: 'softmax_forward_redo', constants: { WG } }),
  ])
  const groups = reductionGroups(gpu, plan.rows)
  const params = new Uint32Array([plan.rows, plan.n, options.causal ? 1 : 0, groups[0]])
  dispatchTwoPass(gpu, passes, params, [x.buffer, y.buffer], groups, plan.rows)
  return y
}

/** The gradient of {@link softmax}: dx = y * (dy - sum(y * dy)) per row, from its output y. */
export async function softmaxBackward(
  gpu: Gpu,
  y: GpuTensor,
  dy: GpuTensor,
  options: SoftmaxOptions = {},
): Promise<GpuTensor> {
  requireDType('softmaxBackward', y, 'f32')
  requireDType('softmaxBackward', dy, 'f32')
  requireSameShape('softmaxBackward', y, dy)
  const plan = planSoftmax('softmaxBackward', y.shape, options)
  const dx = empty(gpu, y.shape)
  await launch(gpu, 'softmax_backward', plan, options, [y.buffer, dy.buffer, dx.buffer])
  return dx
}

async function launch(
  gpu: Gpu,
  entryPoint: string,
  { rows, n }: { rows: number; n: number },
  options: SoftmaxOptions,
  buffers: GPUBuffer[],
) {
  const WG = checkWorkgroupSize(gpu, 'softmax', options.workgroupSize ?? gpu.rowWorkgroupSize)
  if (rows * n === 0) return
  const src = shader('softmax', source, { nativeDot4: gpu.nativeDot4 })
  const pipeline = await gpu.pipeline(src, { entryPoint, constants: { WG } })
  const [gx, gy] = reductionGroups(gpu, rows)
  gpu.dispatch(pipeline, new Uint32Array([rows, n, options.causal ? 1 : 0, gx]), buffers, [gx, gy])
}

/** The CPU reference: the same softfloat steps and fixed-point sums, so the same bits. */
export function softmaxRef(
  x: Float32Array,
  shape: readonly number[],
  options: SoftmaxOptions = {},
): Float32Array {
  const { rows, n } = planSoftmax('softmax', shape, options, x.length)
  const out = new Uint32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const len = options.causal ? (r % n) + 1 : n
    const row = x.subarray(r * n, r * n + len)
    const m = row.some((v) => v !== v) ? NaN : row.reduce((a, v) => Math.max(a, v), -Infinity)
    const e = Uint32Array.from(row, (v) => sf.f32Bits(expSub(v, m)))
    const s = sf.f32FromBits(fixedToF32Bits(fixedAccumulate(e, EXP_SCALE)))
    e.forEach((b, k) => (out[r * n + k] = sf.f32Bits(sf.div(sf.f32FromBits(b), s))))
  }
  return new Float32Array(out.buffer)
}

/** The CPU reference for {@link softmaxBackward}. */
export function softmaxBackwardRef(
  y: Float32Array,
  dy: Float32Array,
  shape: readonly number[],
  options: SoftmaxOptions = {},
): Float32Array {
  const { rows, n } = planSoftmax('softmaxBackward', shape, options, y.length)
  if (dy.length !== y.length)
    throw new ShapeError(`softmaxBackward: y has ${y.length} values, dy ${dy.length}.`)
  const out = new Uint32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const len = options.causal ? (r % n) + 1 : n
    const at = (k: number) => r * n + k
    const p = Uint32Array.from({ length: len }, (_, k) => sf.f32Bits(sf.mul(y[at(k)], dy[at(k)])))
    const s = sf.f32FromBits(fixedToF32Bits(fixedAccumulate(p)))
    for (let k = 0; k < len; k++) out[at(k)] = sf.f32Bits(sf.mul(y[at(k)], sf.sub(dy[at(k)], s)))
  }
  return new Float32Array(out.buffer)
}

/** rows × n from any shape of rank >= 1 (rows: the product of the leading dimensions). */
export function planSoftmax(op: string, shape: readonly number[], options: SoftmaxOptions, length?: number) {
  if (shape.length < 1 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: invalid shape [${shape.join(', ')}].`)
  }
  const n = shape[shape.length - 1]
  const rows = shape.slice(0, -1).reduce((a, d) => a * d, 1)
  if (length !== undefined && length !== rows * n) {
    throw new ShapeError(`${op}: shape [${shape.join(', ')}] needs ${rows * n} values; got ${length}.`)
  }
  if (n === 0 && rows > 0) throw new ShapeError(`${op}: rows of length 0 have no softmax.`)
  if (options.causal && n > 0 && rows % n !== 0) {
    throw new ShapeError(
      `${op}: a causal softmax needs [T, T] blocks, but ${rows} rows are not a multiple of T = ${n}.`,
    )
  }
  return { rows, n }
}
