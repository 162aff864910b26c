import source from '../../shaders/cross_entropy.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, requireDType, type GpuTensor } from '../gpu/tensor.ts'
import { fixedAccumulate, fixedToF32Bits } from './fixed.ts'
import { checkWorkgroupSize, reduce, reduceRef, reductionGroups } from './reduce.ts'
import { EXP_SCALE, expSub } from './softmax.ts'
import * as sf from './softfloat.ts'
import { dispatchTwoPass } from './twoPass.ts'

export interface CrossEntropyOptions {
  /** Threads per row, an override constant. Any size gives the same bits. Default: the adapter's `gpu.rowWorkgroupSize`. */
  workgroupSize?: number
}

export interface CrossEntropyResult {
  /** [rows]: log(sum(exp(x - max))) - (x[target] - max). */
  losses: GpuTensor
  /** [1]: the mean of the losses, summed exactly and divided with one rounding. */
  mean: GpuTensor
}

/**
 * Cross-entropy of logits [rows, vocab] against targets (one id per row), bit-identical on every
 * adapter and to {@link crossEntropyRef}. Targets are checked on the CPU (ShapeError); a row's loss
 * never depends on other rows.
 *
 * @example
 * const { losses, mean } = await crossEntropy(gpu, logits, targets)
 */
export async function crossEntropy(
  gpu: Gpu,
  logits: GpuTensor,
  targets: Int32Array,
  options: CrossEntropyOptions = {},
): Promise<CrossEntropyResult> {
  const { rows } = plan('crossEntropy', logits, targets)
  const losses = empty(gpu, [rows])
  await launch(gpu, 'cross_entropy_forward', logits, targets, losses, options)
  const mean = await reduce(gpu, { ...losses, shape: [1, rows] }, 'mean')
  return { losses, mean }
}

/** The gradient of the mean loss with respect to the logits: (softmax(x) - onehot) / rows. */
export async function crossEntropyBackward(
  gpu: Gpu,
  logits: GpuTensor,
  targets: Int32Array,
  options: CrossEntropyOptions = {},
): Promise<GpuTensor> {
  const { rows, vocab } = plan('crossEntropyBackward', logits, targets)
  const dlogits = empty(gpu, [rows, vocab])
  await launch(gpu, 'cross_entropy_backward', logits, targets, dlogits, options)
  return dlogits
}

export interface WeightedCrossEntropyResult {
  /** [rows]: each row's loss times its weight, rounded once. */
  losses: GpuTensor
  /** [1]: their exact sum, rounded once. */
  sum: GpuTensor
}

/**
 * Cross-entropy with a weight per row: the loss is the sum of `weights[r] * loss_r`, summed exactly,
 * bit-identical to {@link crossEntropyWeightedRef}. Weights may be zero or negative (GRPO's token
 * weights, src/rl/grpo.ts); they must be finite (ShapeError), so a trace records them as JSON numbers.
 *
 * @example
 * const { sum } = await crossEntropyWeighted(gpu, logits, targets, Float32Array.of(0, 0.5, -0.25))
 */
export async function crossEntropyWeighted(
  gpu: Gpu,
  logits: GpuTensor,
  targets: Int32Array,
  weights: Float32Array,
  options: CrossEntropyOptions = {},
): Promise<WeightedCrossEntropyResult> {
  const { rows } = plan('crossEntropyWeighted', logits, targets, weights)
  const losses = empty(gpu, [rows])
  await launch(gpu, 'cross_entropy_weighted_forward', logits, targets, losses, options, weights)
  const sum = await reduce(gpu, { ...losses, shape: [1, rows] }, 'sum')
  return { losses, sum }
}

/** The gradient of the weighted sum with respect to the logits: (softmax(x) - onehot) * weights[r]. */
export async function crossEntropyWeightedBackward(
  gpu: Gpu,
  logits: GpuTensor,
  targets: Int32Array,
  weights: Float32Array,
  options: CrossEntropyOptions = {},
): Promise<GpuTensor> {
  const { rows, vocab } = plan('crossEntropyWeightedBackward', logits, targets, weights)
  const dlogits = empty(gpu, [rows, vocab])
  await launch(gpu, 'cross_entropy_weighted_backward', logits, targets, dlogits, options, weights)
  return dlogits
}

async function launch(
  gpu: Gpu,
  entryPoint: string,
  logits: GpuTensor,
  targets: Int32Array,
  out: GpuTensor,
  options: CrossEntropyOptions,
  weights?: Float32Array,
) {
  const WG = checkWorkgroupSize(gpu, 'crossEntropy', options.workgroupSize ?? gpu.rowWorkgroupSize)
  const [rows, vocab] = logits.shape
  const src = shader('cross_entropy', source, { nativeDot4: gpu.nativeDot4 })
  const [gx, gy] = reductionGroups(gpu, rows)
  const params = new Uint32Array([rows, vocab, gx, sf.f32Bits(Math.fround(rows))])
  const tBuf = gpu.upload(targets)
  const wBuf = weights ? gpu.upload(weights) : null
  const buffers = [logits.buffer, tBuf, out.buffer, wBuf]
  if (entryPoint === 'cross_entropy_forward' || entryPoint === 'cross_entropy_backward') {
    // Two passes, the same bits as the one: the first, on cut-down arithmetic, lists the rows it cannot
    // answer exactly (shaders/lib/softfloat_fast.wgsl); the second recomputes them in full.
    const passes = await Promise.all([
      gpu.pipeline(src, { entryPoint: `${entryPoint}_fast`, constants: { WG, FAST: 1 } }),
      gpu.pipeline(src, { entryPoint: `${entryPoint}_redo`, constants: { WG } }),
    ])
    dispatchTwoPass(gpu, passes, params, buffers, [gx, gy], rows)
  } else {
    gpu.dispatch(await gpu.pipeline(src, { entryPoint, constants: { WG } }), params, buffers, [gx, gy])
  }
  gpu.release(tBuf)
  if (wBuf) gpu.release(wBuf)
}

/** The CPU reference: the same softfloat steps and fixed-point sums, so the same bits. */
export function crossEntropyRef(
  logits: Float32Array,
  shape: readonly number[],
  targets: Int32Array,
): { losses: Float32Array; mean: number } {
  const { rows, vocab } = planRef('crossEntropy', logits, shape, targets)
  const losses = new Float32Array(rows)
  for (let r = 0; r < rows; r++) {
    const { m, s } = rowStats(logits.subarray(r * vocab, (r + 1) * vocab))
    losses[r] = sf.sub(sf.log(s), sf.sub(logits[r * vocab + targets[r]], m))
  }
  const stored = canonical(losses)
  return { losses: stored, mean: reduceRef(stored, [1, rows], 'mean')[0] }
}

/** The CPU reference for {@link crossEntropyBackward}. */
export function crossEntropyBackwardRef(
  logits: Float32Array,
  shape: readonly number[],
  targets: Int32Array,
): Float32Array {
  const { rows, vocab } = planRef('crossEntropyBackward', logits, shape, targets)
  const out = new Float32Array(rows * vocab)
  const rowsF = Math.fround(rows)
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab)
    const { m, s } = rowStats(row)
    row.forEach((x, k) => {
      const p = sf.div(expSub(x, m), s)
      out[r * vocab + k] = sf.div(sf.sub(p, k === targets[r] ? 1 : 0), rowsF)
    })
  }
  return canonical(out)
}

/** The CPU reference for {@link crossEntropyWeighted}: weighted losses and their exact sum. */
export function crossEntropyWeightedRef(
  logits: Float32Array,
  shape: readonly number[],
  targets: Int32Array,
  weights: Float32Array,
): { losses: Float32Array; sum: number } {
  const { rows } = planRef('crossEntropyWeighted', logits, shape, targets, weights)
  const plain = crossEntropyRef(logits, shape, targets).losses
  const losses = sf.f32Array(rows, (r) => sf.mul(weights[r], plain[r]))
  return { losses, sum: reduceRef(losses, [1, rows], 'sum')[0] }
}

/** The CPU reference for {@link crossEntropyWeightedBackward}. */
export function crossEntropyWeightedBackwardRef(
  logits: Float32Array,
  shape: readonly number[],
  targets: Int32Array,
  weights: Float32Array,
): Float32Array {
  const { rows, vocab } = planRef('crossEntropyWeightedBackward', logits, shape, targets, weights)
  const out = new Float32Array(rows * vocab)
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab)
    const { m, s } = rowStats(row)
    row.forEach((x, k) => {
      const p = sf.div(expSub(x, m), s)
      out[r * vocab + k] = sf.mul(sf.sub(p, k === targets[r] ? 1 : 0), weights[r])
    })
  }
  return canonical(out)
}

function rowStats(row: Float32Array): { m: number; s: number } {
  const m = row.some((v) => v !== v) ? NaN : row.reduce((a, v) => Math.max(a, v), -Infinity)
  const e = Uint32Array.from(row, (x) => sf.f32Bits(expSub(x, m)))
  return { m, s: sf.f32FromBits(fixedToF32Bits(fixedAccumulate(e, EXP_SCALE))) }
}

/** Stores every NaN as 0x7fc00000, as the shader writes it. */
function canonical(x: Float32Array): Float32Array {
  return sf.f32Array(x.length, (i) => x[i])
}

function plan(op: string, logits: GpuTensor, targets: Int32Array, weights?: Float32Array) {
  requireDType(op, logits, 'f32')
  return check(op, logits.shape, targets, weights)
}

function planRef(
  op: string,
  logits: Float32Array,
  shape: readonly number[],
  targets: Int32Array,
  weights?: Float32Array,
) {
  const p = check(op, shape, targets, weights)
  if (logits.length !== p.rows * p.vocab) {
    throw new ShapeError(
      `${op}: shape [${shape.join(', ')}] needs ${p.rows * p.vocab} values; got ${logits.length}.`,
    )
  }
  return p
}

function check(op: string, shape: readonly number[], targets: Int32Array, weights?: Float32Array) {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(
      `${op}: logits must be [rows, vocab] with both at least 1; got [${shape.join(', ')}].`,
    )
  }
  const [rows, vocab] = shape
  if (!(targets instanceof Int32Array)) throw new ShapeError(`${op}: targets must be an Int32Array.`)
  if (targets.length !== rows)
    throw new ShapeError(`${op}: ${rows} rows of logits but ${targets.length} targets.`)
  targets.forEach((t, r) => {
    if (t < 0 || t >= vocab) throw new ShapeError(`${op}: target ${t} of row ${r} is outside [0, ${vocab}).`)
  })
  if (weights !== undefined) {
    if (!(weights instanceof Float32Array)) throw new ShapeError(`${op}: weights must be a Float32Array.`)
    if (weights.length !== rows)
      throw new ShapeError(`${op}: ${rows} rows of logits but ${weights.length} weights.`)
    const bad = weights.findIndex((w) => !Number.isFinite(w))
    if (bad >= 0) throw new ShapeError(`${op}: weight ${weights[bad]} of row ${bad} is not finite.`)
  }
  return { rows, vocab }
}
