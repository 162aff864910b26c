// The norm library: what layernorm and rmsnorm share on both sides of the GPU == CPU contract.
// The launcher half checks shapes and records one workgroup per row (its WGSL half is
// shaders/lib/norm.wgsl); the reference half is the exact means and scaled roots both references
// build on, in the shaders' operation order (docs/determinism-norms-optim.md).
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { requireDType, type GpuTensor } from '../gpu/tensor.ts'
import { fixedAccumulate, fixedDivToF32Bits, fixedToF32Bits, fxExponent } from './fixed.ts'
import { checkWorkgroupSize, reductionGroups } from './reduce.ts'
import * as sf from './softfloat.ts'
import { dispatchTwoPass } from './twoPass.ts'

export interface NormOptions {
  /** Added to the variance (mean square for rmsnorm) before the root; rounded to f32. Default 1e-5. */
  eps?: number
  /** Threads per row, an override constant. Any size gives the same bits; tests vary it. Default: the adapter's `gpu.rowWorkgroupSize`. */
  workgroupSize?: number
}

export interface NormPlan {
  rows: number
  n: number
  eps: number
  wg: number
}

/**
 * Checks every tensor before the GPU is touched: f32, x of rank >= 1 with a nonempty last axis n,
 * per-channel vectors [n], per-row statistics [rows], anything else (dy) shaped like x.
 */
export function planNorm(
  gpu: Gpu,
  op: string,
  x: GpuTensor,
  others: Record<string, GpuTensor>,
  options: NormOptions,
): NormPlan {
  requireDType(op, x, 'f32')
  const { rows, n } = normShape(op, x.shape, numelOf(x.shape))
  for (const [name, t] of Object.entries(others)) {
    requireDType(`${op} (${name})`, t, 'f32')
    const want = name === 'gamma' || name === 'beta' ? [n] : name === 'dy' ? x.shape : [rows]
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new ShapeError(
        `${op}: ${name} must have shape [${want.join(', ')}]; got [${t.shape.join(', ')}].`,
      )
    }
  }
  return {
    rows,
    n,
    eps: normEps(op, options.eps),
    wg: checkWorkgroupSize(gpu, op, options.workgroupSize ?? gpu.rowWorkgroupSize),
  }
}

/** rows × n of an x with this shape: rows is the product of the leading dimensions. */
export function normShape(op: string, shape: readonly number[], length: number) {
  if (shape.length < 1 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: invalid shape [${shape.join(', ')}]; expected [..., n].`)
  }
  const n = shape[shape.length - 1]
  const rows = numelOf(shape) / Math.max(n, 1)
  if (length !== rows * n) {
    throw new ShapeError(`${op}: shape [${shape.join(', ')}] needs ${rows * n} values; got ${length}.`)
  }
  if (rows * n === 0)
    throw new ShapeError(`${op}: shape [${shape.join(', ')}] is empty; nothing to normalise.`)
  return { rows, n }
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1)
}

/** eps as an f32: finite and >= 0 (eps = 0 makes a constant row 0 / 0 = NaN, as in PyTorch). */
export function normEps(op: string, eps = 1e-5): number {
  const e = Math.fround(eps)
  if (!Number.isFinite(e) || e < 0) throw new ShapeError(`${op}: eps must be a finite f32 >= 0; got ${eps}.`)
  return e
}

/**
 * Records one norm kernel: one workgroup per row, uniforms [rows, n, eps bits, groups along x]. With
 * `twoPass`, the kernel's `_fast` entry (override FAST) then its `_redo` of the rows fast listed
 * (src/kernels/twoPass.ts): the same bits as the one pass.
 */
export async function launchNorm(
  gpu: Gpu,
  id: string,
  code: string,
  entryPoint: string,
  plan: NormPlan,
  buffers: GPUBuffer[],
  twoPass = false,
) {
  const src = shader(id, code, { nativeDot4: gpu.nativeDot4, norm: true })
  const [gx, gy] = reductionGroups(gpu, plan.rows)
  const params = new Uint32Array([plan.rows, plan.n, sf.f32Bits(plan.eps), gx])
  const constants = { WG: plan.wg }
  if (twoPass) {
    const passes = await Promise.all([
      gpu.pipeline(src, { entryPoint: `${entryPoint}_fast`, constants: { ...constants, FAST: 1 } }),
      gpu.pipeline(src, { entryPoint: `${entryPoint}_redo`, constants }),
    ])
    dispatchTwoPass(gpu, passes, params, buffers, [gx, gy], plan.rows)
    return
  }
  gpu.dispatch(await gpu.pipeline(src, { entryPoint, constants }), params, buffers, [gx, gy])
}

// ---- CPU reference pieces ----

const f = sf.f32FromBits
const bits = sf.f32Bits

export function bitsView(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length)
}

/** The fixed-point mean of f32 bit patterns: exact sum, one rounding (fx_div_to_f32). */
export function exactMean(values: ArrayLike<number>): number {
  return f(fixedDivToF32Bits(fixedAccumulate(values), values.length))
}

/** The power of two s >= 0 that brings every finite |v| * 2^-s below 2 (ln_row_mean, rms_shift). */
export function normShift(values: Uint32Array): number {
  let e = 0
  for (const b of values) e = Math.max(e, fxExponent(b))
  return Math.max(0, e - 127)
}

/** sqrt(mean(v^2) + eps * 2^-2s) of already scaled values v, as the shaders compute it. */
export function scaledRoot(scaled: Uint32Array, s: number, eps: number): number {
  const squares = scaled.map((b) => bits(sf.mul(f(b), f(b))))
  return sf.sqrt(sf.add(exactMean(squares), sf.ldexp(eps, -2 * s)))
}

/** Exact fixed-point column sums of [rows, n] bit patterns, rounded once: what reduce(axis 0) computes. */
export function columnSums(values: Uint32Array, rows: number, n: number): Float32Array {
  const out = new Uint32Array(n)
  const column = new Uint32Array(rows)
  for (let k = 0; k < n; k++) {
    for (let r = 0; r < rows; r++) column[r] = values[r * n + k]
    out[k] = fixedToF32Bits(fixedAccumulate(column))
  }
  return new Float32Array(out.buffer)
}

export function requireLength(op: string, arrays: Record<string, ArrayLike<number>>, length: number) {
  for (const [name, a] of Object.entries(arrays)) {
    if (a.length !== length) throw new ShapeError(`${op}: ${name} needs ${length} values; got ${a.length}.`)
  }
}
