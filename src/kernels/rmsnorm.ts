import source from '../../shaders/rmsnorm.wgsl?raw'
import type { Gpu } from '../gpu/runtime.ts'
import { empty, release, type GpuTensor } from '../gpu/tensor.ts'
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

export interface RmsNormResult {
  /** Same shape as x. */
  y: GpuTensor
  /** [rows]: sqrt(mean(x^2) + eps), the divisor, kept for the backward. */
  rms: GpuTensor
}

export interface RmsNormGrads {
  dx: GpuTensor
  /** [n]: column sums of dy * xhat over all rows. */
  dgamma: GpuTensor
}

/**
 * RMS normalisation over the last axis, y = x / sqrt(mean(x^2) + eps) * gamma, bit-identical on
 * every adapter and to {@link rmsnormRef}; mean(x^2) is an exact fixed-point mean. A row never
 * depends on other rows.
 *
 * @example
 * const { y, rms } = await rmsnorm(gpu, x, gamma, { eps: 1e-6 }) // x: [tokens, channels]
 */
export async function rmsnorm(
  gpu: Gpu,
  x: GpuTensor,
  gamma: GpuTensor,
  options: NormOptions = {},
): Promise<RmsNormResult> {
  const plan = planNorm(gpu, 'rmsnorm', x, { gamma }, options)
  const y = empty(gpu, x.shape)
  const rms = empty(gpu, [plan.rows])
  await launchNorm(gpu, 'rmsnorm', source, 'rmsnorm_forward', plan, [
    x.buffer,
    gamma.buffer,
    y.buffer,
    rms.buffer,
  ])
  return { y, rms }
}

/** Gradients of {@link rmsnorm} from its input x and saved rms. */
export async function rmsnormBackward(
  gpu: Gpu,
  x: GpuTensor,
  gamma: GpuTensor,
  saved: { rms: GpuTensor },
  dy: GpuTensor,
  options: NormOptions = {},
): Promise<RmsNormGrads> {
  const plan = planNorm(gpu, 'rmsnormBackward', x, { gamma, dy, rms: saved.rms }, options)
  const dx = empty(gpu, x.shape)
  const dyXhat = empty(gpu, [plan.rows, plan.n])
  const buffers = [x, gamma, dy, saved.rms, dx, dyXhat].map((t) => t.buffer)
  await launchNorm(gpu, 'rmsnorm', source, 'rmsnorm_backward', plan, buffers)
  const dgamma = await reduce(gpu, dyXhat, 'sum', { axis: 0, workgroupSize: options.workgroupSize })
  release(gpu, dyXhat) // recorded work still reads it; the pool hands it out only behind that work
  return { dx, dgamma: { ...dgamma, shape: [plan.n] } }
}

// ---- CPU reference: the shader's steps in the same order, so the same bits. ----

const bits = sf.f32Bits

/** The CPU reference for {@link rmsnorm}: y and rms as Float32Arrays. */
export function rmsnormRef(
  x: Float32Array,
  gamma: Float32Array,
  shape: readonly number[],
  options: { eps?: number } = {},
) {
  const { rows, n } = normShape('rmsnorm', shape, x.length)
  requireLength('rmsnorm', { gamma }, n)
  const eps = normEps('rmsnorm', options.eps)
  const xb = bitsView(x)
  const y = new Uint32Array(rows * n)
  const rms = new Uint32Array(rows)
  for (let r = 0; r < rows; r++) {
    const row = xb.subarray(r * n, (r + 1) * n)
    const s = normShift(row)
    const scaled = row.map((b) => bits(sf.ldexp(sf.f32FromBits(b), -s)))
    const root = sf.ldexp(scaledRoot(scaled, s, eps), s)
    for (let k = 0; k < n; k++) y[r * n + k] = bits(sf.mul(sf.div(x[r * n + k], root), gamma[k]))
    rms[r] = bits(root)
  }
  return { y: new Float32Array(y.buffer), rms: new Float32Array(rms.buffer) }
}

/** The CPU reference for {@link rmsnormBackward}. */
export function rmsnormBackwardRef(
  x: Float32Array,
  gamma: Float32Array,
  saved: { rms: Float32Array },
  dy: Float32Array,
  shape: readonly number[],
) {
  const { rows, n } = normShape('rmsnormBackward', shape, x.length)
  requireLength('rmsnormBackward', { gamma }, n)
  requireLength('rmsnormBackward', { rms: saved.rms }, rows)
  requireLength('rmsnormBackward', { dy }, rows * n)
  const dx = new Uint32Array(rows * n)
  const dyXhat = new Uint32Array(rows * n)
  for (let r = 0; r < rows; r++) {
    const rms = saved.rms[r]
    const at = (k: number) => r * n + k
    const xh = Array.from({ length: n }, (_, k) => sf.div(x[at(k)], rms))
    const g = Array.from({ length: n }, (_, k) => sf.mul(dy[at(k)], gamma[k]))
    const c = exactMean(g.map((gk, k) => bits(sf.mul(gk, xh[k]))))
    for (let k = 0; k < n; k++) {
      dx[at(k)] = bits(sf.div(sf.sub(g[k], sf.mul(xh[k], c)), rms))
      dyXhat[at(k)] = bits(sf.mul(dy[at(k)], xh[k]))
    }
  }
  return { dx: new Float32Array(dx.buffer), dgamma: columnSums(dyXhat, rows, n) }
}
