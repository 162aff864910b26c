import source from '../../shaders/layernorm.wgsl?raw'
import type { Gpu } from '../gpu/runtime.ts'
import { empty, release, type GpuTensor } from '../gpu/tensor.ts'
import { fixedAccumulate, fixedDivToF32Bits, fxTerm } from './fixed.ts'
import {
  bitsView,
  columnSums,
  exactMean,
  launchNorm,
  normEps,
  normShape,
  normShift,
  planNorm,
  requireLength,
  scaledRoot,
  type NormOptions,
} from './norm.ts'
import { reduce } from './reduce.ts'
import * as sf from './softfloat.ts'

export interface LayerNormResult {
  /** Same shape as x. */
  y: GpuTensor
  /** [rows]: the row means (the exact mean rounded once). */
  mean: GpuTensor
  /** [rows]: sqrt(var + eps), the divisor, kept for the backward. */
  std: GpuTensor
}

export interface LayerNormGrads {
  dx: GpuTensor
  /** [n]: column sums of dy * xhat over all rows. */
  dgamma: GpuTensor
  /** [n]: column sums of dy. */
  dbeta: GpuTensor
}

/**
 * Layer normalisation over the last axis, bit-identical on every adapter and to
 * {@link layernormRef}. var is the biased (population) variance mean((x - mean)^2), two-pass, from
 * exact fixed-point sums. A row never depends on other rows.
 *
 * @example
 * const { y, mean, std } = await layernorm(gpu, x, gamma, beta) // x: [tokens, channels]
 */
export async function layernorm(
  gpu: Gpu,
  x: GpuTensor,
  gamma: GpuTensor,
  beta: GpuTensor,
  options: NormOptions = {},
): Promise<LayerNormResult> {
  const plan = planNorm(gpu, 'layernorm', x, { gamma, beta }, options)
  const y = empty(gpu, x.shape)
  const mean = empty(gpu, [plan.rows])
  const std = empty(gpu, [plan.rows])
  const buffers = [x, gamma, beta, y, mean, std].map((t) => t.buffer)
  await launchNorm(gpu, 'layernorm', source, 'layernorm_forward', plan, buffers, true)
  return { y, mean, std }
}

/**
 * Gradients of {@link layernorm} from its input x and the saved std (pass the forward's result).
 * A saved mean is not read: the backward recomputes the mean from x as the forward had it, hi + lo.
 */
export async function layernormBackward(
  gpu: Gpu,
  x: GpuTensor,
  gamma: GpuTensor,
  saved: { std: GpuTensor; mean?: GpuTensor },
  dy: GpuTensor,
  options: NormOptions = {},
): Promise<LayerNormGrads> {
  const plan = planNorm(gpu, 'layernormBackward', x, { gamma, dy, std: saved.std }, options)
  const dx = empty(gpu, x.shape)
  const dyXhat = empty(gpu, [plan.rows, plan.n])
  const buffers = [x, gamma, dy, saved.std, dx, dyXhat].map((t) => t.buffer)
  await launchNorm(gpu, 'layernorm', source, 'layernorm_backward', plan, buffers, true)
  const columns = { axis: 0, workgroupSize: options.workgroupSize } as const
  const dgamma = await reduce(gpu, dyXhat, 'sum', columns)
  const dbeta = await reduce(gpu, { ...dy, shape: [plan.rows, plan.n] }, 'sum', columns)
  release(gpu, dyXhat) // recorded work still reads it; the pool hands it out only behind that work
  return { dx, dgamma: { ...dgamma, shape: [plan.n] }, dbeta: { ...dbeta, shape: [plan.n] } }
}

// ---- CPU reference: the shader's steps in the same order, so the same bits. ----

const f = sf.f32FromBits
const bits = sf.f32Bits

/** The row's mean as hi + lo (ln_row_mean): hi rounded once, lo the exact remainder rounded once. */
function rowMean(row: Uint32Array) {
  const acc = fixedAccumulate(row)
  const hi = fixedDivToF32Bits(acc, row.length)
  const rest = acc.total - BigInt(row.length) * fxTerm(hi, acc.eMax)
  const lo = fixedDivToF32Bits({ ...acc, total: rest }, row.length)
  return { hi: f(hi), lo: f(lo), s: normShift(row) }
}

/** ((x - hi) - lo) * 2^-s, computed at scale (ln_dev). */
function deviation(v: number, m: ReturnType<typeof rowMean>): number {
  const at = (a: number) => sf.ldexp(a, -m.s)
  return sf.sub(sf.sub(at(v), at(m.hi)), at(m.lo))
}

/** The CPU reference for {@link layernorm}: y, mean and std as Float32Arrays. */
export function layernormRef(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  shape: readonly number[],
  options: { eps?: number } = {},
) {
  const { rows, n } = normShape('layernorm', shape, x.length)
  requireLength('layernorm', { gamma, beta }, n)
  const eps = normEps('layernorm', options.eps)
  const xb = bitsView(x)
  const y = new Uint32Array(rows * n)
  const mean = new Uint32Array(rows)
  const std = new Uint32Array(rows)
  for (let r = 0; r < rows; r++) {
    const row = xb.subarray(r * n, (r + 1) * n)
    const m = rowMean(row)
    const d = Uint32Array.from(row, (b) => bits(deviation(f(b), m)))
    const sigma = scaledRoot(d, m.s, eps) // std * 2^-s
    for (let k = 0; k < n; k++) {
      y[r * n + k] = bits(sf.add(sf.mul(sf.div(f(d[k]), sigma), gamma[k]), beta[k]))
    }
    mean[r] = bits(m.hi)
    std[r] = bits(sf.ldexp(sigma, m.s))
  }
  return {
    y: new Float32Array(y.buffer),
    mean: new Float32Array(mean.buffer),
    std: new Float32Array(std.buffer),
  }
}

/**
 * Row r's xhat as the backward has it: the deviation from the row's exact mean over sigma = std · 2^-s,
 * std the forward's saved value (taken, not recomputed).
 */
function xhatRow(row: Uint32Array, std: number): number[] {
  const m = rowMean(row)
  const sigma = sf.ldexp(std, -m.s)
  return Array.from(row, (b) => sf.div(deviation(f(b), m), sigma))
}

/** The term of dgamma's column sums: dy · xhat, rounded once. */
const dyXhatTerm = (dy: number, xh: number) => sf.mul(dy, xh)

/**
 * {@link layernormBackwardRef}'s intermediate dyXhat [rows, n], element (r, k) = dy[r,k] · xhat[r,k]: the
 * same bits the backward sums by columns into dgamma (its dgamma is `columnSums` of this). Each element
 * reads only its row of x, its dy and its row's std: the dispute game's op 43 (src/disputes/gameOps.ts).
 */
export function layernormDyXhatRef(
  x: Float32Array,
  saved: { std: Float32Array },
  dy: Float32Array,
  shape: readonly number[],
): Float32Array {
  const { rows, n } = normShape('layernormDyXhat', shape, x.length)
  requireLength('layernormDyXhat', { std: saved.std }, rows)
  requireLength('layernormDyXhat', { dy }, rows * n)
  const xb = bitsView(x)
  const out = new Uint32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const xh = xhatRow(xb.subarray(r * n, (r + 1) * n), saved.std[r])
    for (let k = 0; k < n; k++) out[r * n + k] = bits(dyXhatTerm(dy[r * n + k], xh[k]))
  }
  return new Float32Array(out.buffer)
}

/** The CPU reference for {@link layernormBackward}. */
export function layernormBackwardRef(
  x: Float32Array,
  gamma: Float32Array,
  saved: { std: Float32Array; mean?: Float32Array },
  dy: Float32Array,
  shape: readonly number[],
) {
  const { rows, n } = normShape('layernormBackward', shape, x.length)
  requireLength('layernormBackward', { gamma }, n)
  requireLength('layernormBackward', { std: saved.std }, rows)
  requireLength('layernormBackward', { dy }, rows * n)
  const xb = bitsView(x)
  const dx = new Uint32Array(rows * n)
  const dyXhat = new Uint32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const std = saved.std[r]
    const at = (k: number) => r * n + k
    const xh = xhatRow(xb.subarray(r * n, (r + 1) * n), std)
    const g = Array.from({ length: n }, (_, k) => sf.mul(dy[at(k)], gamma[k]))
    const a = exactMean(g.map(bits))
    const b = exactMean(g.map((gk, k) => bits(sf.mul(gk, xh[k]))))
    for (let k = 0; k < n; k++) {
      dx[at(k)] = bits(sf.div(sf.sub(sf.sub(g[k], a), sf.mul(xh[k], b)), std))
      dyXhat[at(k)] = bits(dyXhatTerm(dy[at(k)], xh[k]))
    }
  }
  return {
    dx: new Float32Array(dx.buffer),
    dgamma: columnSums(dyXhat, rows, n),
    dbeta: columnSums(bitsView(dy), rows, n),
  }
}
