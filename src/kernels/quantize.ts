import source from '../../shaders/quantize.wgsl?raw'
import dequantizeSource from '../../shaders/dequantize.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, numel, requireDType, type GpuTensor } from '../gpu/tensor.ts'
import { roundScaledToF32 } from './wide.ts'

/**
 * Where the vectors of one matmul operand sit in its f32 storage: vector (b, r) holds the k values
 * at b*strideBatch + r*strideRow + k*strideK. Covers plain, transposed and batched operands.
 */
export interface VectorLayout {
  batch: number
  rows: number
  k: number
  strideBatch: number
  strideRow: number
  strideK: number
}

/** A bq15 operand: per vector, packed (hi, lo) int8 words and the exponent fields. */
export interface Q15Host {
  /** Packed words per vector: 8 per block of 32 values. */
  words: number
  /** Interleaved [hi word, lo word] per (vector, word): length vectors * words * 2. */
  packed: Uint32Array
  /**
   * Per vector: Emax (or NONFINITE when it holds a NaN or infinity), then each block's offset
   * o_j = e_j - Emax + SPAN in [0, SPAN], where e_j is the block's exponent field.
   */
  exps: Uint32Array
}

export interface Q15Gpu {
  words: number
  packed: GPUBuffer
  exps: GPUBuffer
}

export const NONFINITE = 0xffffffff
/** Values per block sharing one exponent. */
export const BLOCK = 32
/** A block's exponent sits at most this many binades below its vector's maximum. */
export const SPAN = 12
/** Largest K: keeps Σ(hi·lo + lo·hi) within i32 (|term| <= 2^14 per k). */
export const MAX_K = 65536

/** RNE(m / 2^sh) for integer m < 2^24 and sh >= 1, as the shader does it (integer ops only). */
function shiftRne(m: number, sh: number): number {
  if (sh > 24) return 0
  const q = m >>> sh
  const rem = m & ((1 << sh) - 1)
  const half = 1 << (sh - 1)
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q
}

/** Words per vector for K values: whole blocks of 32. */
export function wordsFor(k: number): number {
  return Math.ceil(k / BLOCK) * (BLOCK / 4)
}

/**
 * A bq15 operand unpacked for the CPU: each vector's values q = hi·256 + lo as int32 lanes, K padded
 * to whole blocks with zeros, and the exponent fields of Q15Host.
 */
export interface Q15Lanes {
  /** Lanes per vector: K rounded up to whole blocks. */
  span: number
  /** hi, the top byte of each q (rounded: q = hi·256 + lo with lo in [-128, 127]). */
  hi: Int32Array
  lo: Int32Array
  exps: Uint32Array
}

/** The quantisation of shaders/quantize.wgsl, as int lanes: what matmulRef multiplies. */
export function quantizeLanes(x: Float32Array, layout: VectorLayout): Q15Lanes {
  const { batch, rows, k } = layout
  const span = wordsFor(k) * 4
  const blocks = span / BLOCK
  const vectors = batch * rows
  const hi = new Int32Array(vectors * span)
  const lo = new Int32Array(vectors * span)
  const exps = new Uint32Array(vectors * (blocks + 1))
  const u = new Uint32Array(k)
  const xb = new Uint32Array(x.buffer, x.byteOffset, x.length)
  for (let v = 0; v < vectors; v++) {
    const base = Math.floor(v / rows) * layout.strideBatch + (v % rows) * layout.strideRow
    let top = 0
    for (let i = 0; i < k; i++) {
      u[i] = xb[base + i * layout.strideK]
      top = Math.max(top, u[i] & 0x7fffffff)
    }
    const emax = Math.max(top >>> 23, 1)
    const finite = top < 0x7f800000
    const floorE = Math.max(emax > SPAN ? emax - SPAN : 1, 1)
    exps[v * (blocks + 1)] = finite ? emax : NONFINITE
    if (!finite) continue // every lane and block offset stays 0, as the shader writes them
    for (let blk = 0; blk < blocks; blk++) {
      const end = Math.min(k, (blk + 1) * BLOCK)
      let bmax = 0
      for (let i = blk * BLOCK; i < end; i++) bmax = Math.max(bmax, u[i] & 0x7fffffff)
      const eBlock = Math.max(bmax >>> 23, floorE)
      exps[v * (blocks + 1) + 1 + blk] = eBlock + SPAN - emax
      for (let i = blk * BLOCK; i < end; i++) {
        const e = (u[i] >>> 23) & 0xff
        const frac = u[i] & 0x7fffff
        let q = shiftRne(e === 0 ? frac : frac | 0x800000, eBlock - Math.max(e, 1) + 10)
        if (u[i] >>> 31) q = -q
        const h = (q + 128) >> 8
        hi[v * span + i] = h
        lo[v * span + i] = q - h * 256
      }
    }
  }
  return { span, hi, lo, exps }
}

/** The CPU reference of shaders/quantize.wgsl: quantizeLanes packed as the shader stores it. */
export function quantizeRef(x: Float32Array, layout: VectorLayout): Q15Host {
  const lanes = quantizeLanes(x, layout)
  const words = lanes.span / 4
  const packed = new Uint32Array(lanes.hi.length / 2)
  for (let w = 0; w < lanes.hi.length / 4; w++) {
    let hi = 0
    let lo = 0
    for (let j = 0; j < 4; j++) {
      hi |= (lanes.hi[w * 4 + j] & 0xff) << (8 * j)
      lo |= (lanes.lo[w * 4 + j] & 0xff) << (8 * j)
    }
    packed[w * 2] = hi >>> 0
    packed[w * 2 + 1] = lo >>> 0
  }
  return { words, packed, exps: lanes.exps }
}

export function checkLayout(op: string, layout: VectorLayout, elements: number): void {
  const { batch, rows, k, strideBatch, strideRow, strideK } = layout
  if (k < 1 || rows < 1 || batch < 1)
    throw new ShapeError(`${op}: empty operand (batch ${batch}, rows ${rows}, k ${k}).`)
  if (k > MAX_K) throw new ShapeError(`${op}: K = ${k} exceeds the exact-accumulation limit of ${MAX_K}.`)
  const last = (batch - 1) * strideBatch + (rows - 1) * strideRow + (k - 1) * strideK
  if (last >= elements)
    throw new ShapeError(`${op}: layout reaches element ${last} of a tensor of ${elements}.`)
}

/** Quantises the vectors of `x` on the GPU; the caller releases the returned buffers. */
export async function quantize(gpu: Gpu, x: GpuTensor, layout: VectorLayout): Promise<Q15Gpu> {
  const { words, packed, exps } = await launchQuantize(gpu, [x, layout])
  return { words, packed, exps }
}

/** Where one operand of a shared quantisation sits in its buffers: ranges to bind. */
export interface Q15Range {
  packed: GPUBufferBinding
  exps: GPUBufferBinding
}

/** Both operands of a matmul quantised by one dispatch into shared buffers (same bits as two). */
export interface Q15Pair {
  words: number
  /** The caller releases these two. */
  packed: GPUBuffer
  exps: GPUBuffer
  a: Q15Range
  b: Q15Range
}

/**
 * Quantises the vectors of `a` and of `b` (one shared K) in one dispatch: a workgroup per vector
 * ('tiled', for GPUs) or a thread per vector ('naive', for CPU adapters, where barriers are emulated).
 * Same words either way.
 */
export async function quantizePair(
  gpu: Gpu,
  a: GpuTensor,
  la: VectorLayout,
  b: GpuTensor,
  lb: VectorLayout,
  variant: 'tiled' | 'naive' = 'tiled',
): Promise<Q15Pair> {
  return launchQuantize(gpu, [a, la], [b, lb], variant)
}

async function launchQuantize(
  gpu: Gpu,
  [x, lx]: [GpuTensor, VectorLayout],
  second?: [GpuTensor, VectorLayout],
  variant: 'tiled' | 'naive' = 'tiled',
): Promise<Q15Pair> {
  const [y, ly] = second ?? [x, { ...lx, batch: 0 }]
  requireDType('quantize', x, 'f32')
  requireDType('quantize', y, 'f32')
  checkLayout('quantize', lx, numel(x.shape))
  if (second) checkLayout('quantize', ly, numel(y.shape))
  if (ly.k !== lx.k) throw new ShapeError(`quantize: operands have K = ${lx.k} and ${ly.k}.`)
  const words = wordsFor(lx.k)
  const [vx, vy] = [lx.batch * lx.rows, ly.batch * ly.rows]
  // The second operand's words and exponents start at offsets a storage binding may have.
  const align = gpu.limits.minStorageBufferOffsetAlignment
  const packedX = Math.ceil((vx * words * 8) / align) * align
  const expsX = Math.ceil((vx * (words / 8 + 1) * 4) / align) * align
  const packedY = vy * words * 8
  const expsY = vy * (words / 8 + 1) * 4
  const packed = gpu.buffer(packedX + Math.max(packedY, 4))
  const exps = gpu.buffer(expsX + Math.max(expsY, 4))
  const code = shader('quantize', source, { nativeDot4: gpu.nativeDot4 })
  const pipeline = await gpu.pipeline(code, { entryPoint: variant === 'naive' ? 'per_thread' : 'main' })
  const layout = (l: VectorLayout) => [l.rows, l.strideBatch, l.strideRow, l.strideK]
  const params = new Uint32Array([
    vx + vy,
    vx,
    lx.k,
    words,
    ...layout(lx),
    ...layout(ly),
    packedX / 8,
    expsX / 4,
  ])
  const groups = variant === 'naive' ? Math.ceil((vx + vy) / 64) : vx + vy
  gpu.dispatch(
    pipeline,
    params,
    [x.buffer, packed, exps, y.buffer],
    [Math.min(groups, 65535), Math.ceil(groups / 65535)],
  )
  return {
    words,
    packed,
    exps,
    a: {
      packed: { buffer: packed, size: vx * words * 8 },
      exps: { buffer: exps, size: vx * (words / 8 + 1) * 4 },
    },
    b: {
      packed: { buffer: packed, offset: packedX, size: Math.max(packedY, 4) },
      exps: { buffer: exps, offset: expsX, size: Math.max(expsY, 4) },
    },
  }
}

/** The CPU reference of shaders/dequantize.wgsl: q · 2^(e_j − 140) at the layout's positions. */
export function dequantizeRef(q: Q15Host, layout: VectorLayout, elements: number): Float32Array {
  const out = new Float32Array(elements)
  const lanes = new Int8Array(q.packed.buffer, q.packed.byteOffset, q.packed.byteLength)
  const stride = q.words / 8 + 1
  for (let v = 0; v < layout.batch * layout.rows; v++) {
    const top = q.exps[v * stride]
    const base = Math.floor(v / layout.rows) * layout.strideBatch + (v % layout.rows) * layout.strideRow
    for (let k = 0; k < layout.k; k++) {
      const w = v * q.words + Math.floor(k / 4)
      const value = lanes[w * 8 + (k % 4)] * 256 + lanes[w * 8 + 4 + (k % 4)]
      const e = top - SPAN + q.exps[v * stride + 1 + Math.floor(k / BLOCK)] - 140
      out[base + k * layout.strideK] = top === NONFINITE ? NaN : roundScaledToF32(BigInt(value), e)
    }
  }
  return out
}

/** Writes the f32 values of a bq15 operand back at `layout` in a tensor of `shape`. */
export async function dequantize(
  gpu: Gpu,
  q: Q15Gpu,
  layout: VectorLayout,
  shape: readonly number[],
): Promise<GpuTensor> {
  const elements = shape.reduce((a, b) => a * b, 1)
  checkLayout('dequantize', layout, elements)
  const out = empty(gpu, shape)
  const pipeline = await gpu.pipeline(shader('dequantize', dequantizeSource, { nativeDot4: gpu.nativeDot4 }))
  const total = layout.batch * layout.rows * layout.k
  const groups = Math.ceil(total / 64)
  const params = new Uint32Array([
    layout.batch * layout.rows,
    layout.rows,
    layout.k,
    q.words,
    layout.strideBatch,
    layout.strideRow,
    layout.strideK,
  ])
  gpu.dispatch(
    pipeline,
    params,
    [q.packed, q.exps, out.buffer],
    [Math.min(groups, 65535), Math.ceil(groups / 65535)],
  )
  return out
}
