import source from '../../shaders/matmul.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, requireDType, type GpuTensor } from '../gpu/tensor.ts'
import {
  BLOCK,
  MAX_K,
  NONFINITE,
  SPAN,
  quantizeLanes,
  quantizePair,
  type Q15Lanes,
  type VectorLayout,
} from './quantize.ts'
import { matmulSimd } from './matmulSimd.ts'
import { binaryRef, scaleRef } from './elementwise.ts'
import { f32Bits } from './softfloat.ts'
import { roundScaledToF32 } from './wide.ts'

export interface MatmulOptions {
  /** A is stored [.., K, M] and used transposed. */
  transA?: boolean
  /** B is stored [.., N, K] and used transposed. */
  transB?: boolean
  /** Split K across this many workgroup layers, then add the exact partial sums (same bits; tiled). */
  splitK?: number
  /** Threads per side of a workgroup (override constant WG: 8 or 16; same bits). */
  workgroup?: 8 | 16
  /**
   * 'tiled' stages blocks in workgroup memory (fast on GPUs); 'row4' gives each thread four outputs of a
   * row, A's words loaded once for the four, no barriers (fastest on CPU adapters, where barriers and
   * workgroup memory are emulated); 'naive' is one output per thread, K walked backwards (a different
   * order, for tests). Same bits every way; default: the fastest for the adapter.
   */
  variant?: MatmulVariant
  /** CPU reference only: false takes the JavaScript loop even where WebAssembly SIMD exists (same bits). */
  simd?: boolean
}

export type MatmulVariant = 'tiled' | 'row4' | 'naive'

/**
 * The matmul kernel that runs fastest on this adapter (measured: docs/benchmarks.md): `row4` on CPU
 * adapters (SwiftShader, lavapipe), which emulate workgroup memory and barriers; `tiled` on GPUs.
 */
export function preferredVariant(gpu: Gpu): MatmulVariant {
  return gpu.report.fallback ? 'row4' : 'tiled'
}

export interface MatmulPlan {
  batch: number
  m: number
  n: number
  k: number
  a: VectorLayout
  b: VectorLayout
  outShape: number[]
}

/**
 * Shapes: A is [M, K] or [batch, M, K] (transA: [.., K, M]); B is [K, N] or [batch, N… ] likewise
 * (transB: [.., N, K]). A rank-2 operand, or a batch of 1, is shared by every batch of the other.
 */
export function planMatmul(
  aShape: readonly number[],
  bShape: readonly number[],
  opts: MatmulOptions = {},
): MatmulPlan {
  const fmt = (s: readonly number[]) => `[${s.join(', ')}]`
  if (aShape.length < 2 || aShape.length > 3 || bShape.length < 2 || bShape.length > 3) {
    throw new ShapeError(`matmul: operands must be rank 2 or 3; got ${fmt(aShape)} and ${fmt(bShape)}.`)
  }
  const [ar, ac] = aShape.slice(-2)
  const [br, bc] = bShape.slice(-2)
  const [m, ka] = opts.transA ? [ac, ar] : [ar, ac]
  const [kb, n] = opts.transB ? [bc, br] : [br, bc]
  if (ka !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: A${opts.transA ? 'ᵀ' : ''} ${fmt(aShape)} has K = ${ka}, ` +
        `B${opts.transB ? 'ᵀ' : ''} ${fmt(bShape)} has K = ${kb}.`,
    )
  }
  const batchA = aShape.length === 3 ? aShape[0] : 1
  const batchB = bShape.length === 3 ? bShape[0] : 1
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
    throw new ShapeError(`matmul: batch sizes ${batchA} and ${batchB} cannot be broadcast.`)
  }
  const batch = Math.max(batchA, batchB)
  const k = ka
  if (m < 1 || n < 1 || k < 1)
    throw new ShapeError(`matmul: empty operand in ${fmt(aShape)} · ${fmt(bShape)}.`)
  if (k > MAX_K) throw new ShapeError(`matmul: K = ${k} exceeds the exact-accumulation limit of ${MAX_K}.`)
  const a: VectorLayout = opts.transA
    ? { batch: batchA, rows: m, k, strideBatch: m * k, strideRow: 1, strideK: m }
    : { batch: batchA, rows: m, k, strideBatch: m * k, strideRow: k, strideK: 1 }
  const b: VectorLayout = opts.transB
    ? { batch: batchB, rows: n, k, strideBatch: n * k, strideRow: k, strideK: 1 }
    : { batch: batchB, rows: n, k, strideBatch: n * k, strideRow: 1, strideK: n }
  const outShape = aShape.length === 3 || bShape.length === 3 ? [batch, m, n] : [m, n]
  return { batch, m, n, k, a, b, outShape }
}

// 2^s for the block shifts 0..2·SPAN, and 2^e for the final scale (e = EmaxA + EmaxB - 296).
const SHIFT_SCALE = Float64Array.from({ length: 2 * SPAN + 1 }, (_, s) => 2 ** s)
const SCALE_BIAS = 272 + 2 * SPAN
const SCALE = Float64Array.from({ length: 2 * 255 }, (_, t) => 2 ** (t - SCALE_BIAS))

/**
 * The CPU reference: the same quantisation and exact integer sums, rounded once. Runs in
 * WebAssembly SIMD where the runtime has it (matmulSimd.ts), else in the loop below; both give
 * these bits, which src/kernels/matmul.oracle.test.ts checks against a plain transcription.
 */
export function matmulRef(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  opts: MatmulOptions = {},
): Float32Array {
  const plan = planMatmul(aShape, bShape, opts)
  const qa = quantizeLanes(a, plan.a)
  const qb = quantizeLanes(b, plan.b)
  const { m, n } = plan
  const aShared = plan.a.batch === 1
  const bShared = plan.b.batch === 1
  const simd = opts.simd === false ? null : matmulSimd(qa, qb, { batch: plan.batch, m, n, aShared, bShared })
  if (simd && simd.wide.length === 0) return simd.out
  const dot = exactDot(qa, qb, plan.k)
  if (simd) {
    for (const o of simd.wide) {
      const bz = Math.floor(o / (m * n))
      const r = Math.floor(o / n) % m
      simd.out[o] = dot((aShared ? 0 : bz * m) + r, (bShared ? 0 : bz * n) + (o % n))
    }
    return simd.out
  }
  const out = new Float32Array(plan.batch * m * n)
  for (let bz = 0; bz < plan.batch; bz++)
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++)
        out[(bz * m + r) * n + c] = dot((aShared ? 0 : bz * m) + r, (bShared ? 0 : bz * n) + c)
  return out
}

/**
 * One output of vector va of A by vector vb of B. Per block, the shader's Σ hi·hi·256 + hi·lo + lo·hi
 * is summed as Σ hiA·qB + loA·hiB (qB = hiB·256 + loB, the same integer); the block sums, scaled by
 * 2^(oA_j + oB_j), are added in a double while their magnitudes stay below 2^52 (every partial sum
 * is then an exact integer), else in BigInt.
 */
function exactDot(qa: Q15Lanes, qb: Q15Lanes, k: number): (va: number, vb: number) => number {
  const span = qa.span
  const blocks = span / BLOCK
  const stride = blocks + 1
  const { hi: ah, lo: al, exps: ea } = qa
  const { hi: bh, exps: eb } = qb
  const bq = new Int32Array(bh.length)
  for (let i = 0; i < bq.length; i++) bq[i] = bh[i] * 256 + qb.lo[i]
  const blockSums = new Float64Array(blocks)
  return (va, vb) => {
    const topA = ea[va * stride]
    const topB = eb[vb * stride]
    if (topA === NONFINITE || topB === NONFINITE) return NaN
    const rowA = va * span
    const colB = vb * span
    let acc = 0
    let bound = 0
    for (let blk = 0; blk < blocks; blk++) {
      // |s| < 32 · (2^6 · 2^14 + 2^7 · 2^6) < 2^26: exact. Lanes past K are zero: skipped.
      let s = 0
      const end = Math.min((blk + 1) * BLOCK, k)
      for (let i = blk * BLOCK; i < end; i++) s += ah[rowA + i] * bq[colB + i] + al[rowA + i] * bh[colB + i]
      const scaled = s * SHIFT_SCALE[ea[va * stride + 1 + blk] + eb[vb * stride + 1 + blk]]
      blockSums[blk] = scaled
      acc += scaled
      bound += Math.abs(scaled)
    }
    // acc is exact, and acc · 2^e a double (e >= -294): Math.fround rounds it once, ties to even.
    if (bound < 2 ** 52) return Math.fround(acc * SCALE[topA + topB])
    let wide = 0n
    for (let blk = 0; blk < blocks; blk++) wide += BigInt(blockSums[blk])
    return roundScaledToF32(wide, topA + topB - SCALE_BIAS)
  }
}

/**
 * Elementwise steps fused into the matmul's output: C·s, then + bias (a row over C's rows), then
 * residual + (a tensor of C's shape) — the bits of scale, add and add run one after the other.
 */
export interface MatmulEpilogue {
  scale?: number
  bias?: GpuTensor
  residual?: GpuTensor
}

/** The same steps on the CPU: matmulRef's output through scaleRef and binaryRef('add'). */
export function epilogueRef(
  c: Float32Array,
  epilogue: { scale?: number; bias?: Float32Array; residual?: Float32Array },
): Float32Array {
  let y = c
  if (epilogue.scale !== undefined) y = scaleRef(y, epilogue.scale)
  if (epilogue.bias) y = binaryRef('add', y, epilogue.bias)
  if (epilogue.residual) y = binaryRef('add', epilogue.residual, y)
  return y
}

function checkEpilogue(plan: MatmulPlan, epilogue: MatmulEpilogue): number {
  const { bias, residual, scale } = epilogue
  const n = plan.outShape[plan.outShape.length - 1]
  if (bias) {
    requireDType('matmul bias', bias, 'f32')
    if (bias.shape.length !== 1 || bias.shape[0] !== n)
      throw new ShapeError(`matmul: a bias of shape [${bias.shape}] does not match ${n} columns.`)
  }
  if (residual) {
    requireDType('matmul residual', residual, 'f32')
    if (residual.shape.join() !== plan.outShape.join())
      throw new ShapeError(`matmul: a residual of shape [${residual.shape}] is not [${plan.outShape}].`)
  }
  return (scale !== undefined ? 1 : 0) | (bias ? 2 : 0) | (residual ? 4 : 0)
}

/**
 * C = A · B (options for transposes and batches) with the bits of matmulRef on any adapter, then the
 * epilogue's steps. Both operands are quantised by one dispatch.
 */
export async function matmul(
  gpu: Gpu,
  a: GpuTensor,
  b: GpuTensor,
  opts: MatmulOptions = {},
  epilogue: MatmulEpilogue = {},
): Promise<GpuTensor> {
  requireDType('matmul', a, 'f32')
  requireDType('matmul', b, 'f32')
  const plan = planMatmul(a.shape, b.shape, opts)
  const flags = checkEpilogue(plan, epilogue)
  const splits = Math.max(1, Math.floor(opts.splitK ?? 1))
  const code = shader('matmul', source, { nativeDot4: gpu.nativeDot4 })
  const constants = { WG: opts.workgroup ?? 16, EPILOGUE: flags }
  const tileSide = constants.WG * 4
  // Split-K is a variant of the tiled kernel; without it, the adapter's faster kernel.
  const variant = splits > 1 ? 'tiled' : (opts.variant ?? preferredVariant(gpu))
  // A thread per vector on CPU adapters, where the workgroup-per-vector quantiser's barriers are emulated.
  const q = await quantizePair(gpu, a, plan.a, b, plan.b, gpu.report.fallback ? 'naive' : 'tiled')
  const words = q.words
  const splitBlocks = Math.ceil(words / 8 / splits)
  const params = new Uint32Array([
    plan.m,
    plan.n,
    words,
    plan.batch,
    plan.a.batch === 1 ? 0 : plan.m * words,
    plan.b.batch === 1 ? 0 : plan.n * words,
    plan.a.batch === 1 ? 0 : plan.m * (words / 8 + 1),
    plan.b.batch === 1 ? 0 : plan.n * (words / 8 + 1),
    splitBlocks,
    splits,
    f32Bits(Math.fround(epilogue.scale ?? 1)),
  ])
  const out = empty(gpu, plan.outShape)
  // Unused epilogue inputs still need a buffer at their binding: A's words, read-only like them.
  const tail = [epilogue.bias?.buffer ?? q.a.packed, epilogue.residual?.buffer ?? q.a.packed]
  const operands = [q.a.packed, q.b.packed, q.a.exps, q.b.exps]
  const tiles: [number, number] = [Math.ceil(plan.n / tileSide), Math.ceil(plan.m / tileSide)]
  if (variant !== 'tiled') {
    // 8 x 8 threads a workgroup; row4's threads take four columns each.
    const pipeline = await gpu.pipeline(code, { entryPoint: variant, constants })
    const columns = variant === 'row4' ? 32 : 8
    const groups: [number, number, number] = [Math.ceil(plan.n / columns), Math.ceil(plan.m / 8), plan.batch]
    gpu.dispatch(pipeline, params, [...operands, out.buffer, null, ...tail], groups)
  } else if (splits === 1) {
    const pipeline = await gpu.pipeline(code, { constants })
    gpu.dispatch(pipeline, params, [...operands, out.buffer, null, ...tail], [...tiles, plan.batch])
  } else {
    const total = plan.batch * plan.m * plan.n
    const partials = gpu.buffer(splits * total * 8)
    const part = await gpu.pipeline(code, { entryPoint: 'partial', constants })
    gpu.dispatch(part, params, [...operands, null, partials], [...tiles, plan.batch * splits])
    const finish = await gpu.pipeline(code, { entryPoint: 'finish', constants })
    const groups = Math.ceil(total / 64)
    gpu.dispatch(
      finish,
      params,
      [null, null, q.a.exps, q.b.exps, out.buffer, partials, ...tail],
      [Math.min(groups, 65535), Math.ceil(groups / 65535)],
    )
    gpu.release(partials)
  }
  gpu.release(q.packed)
  gpu.release(q.exps)
  return out
}
