// matmulRef's inner loops in WebAssembly SIMD (matmul.wat): the same integers and the same one
// rounding as the JavaScript loop in matmul.ts, which stays as the fallback where WebAssembly SIMD is
// missing and for the rare output whose block sums outgrow a double (the module flags it).
import { BLOCK, SPAN, type Q15Lanes } from './quantize.ts'
import { wasmBase64 } from './matmul.wasm.ts'
import { instantiateBase64 } from '../util/wasm.ts'

interface RowKernel {
  memory: WebAssembly.Memory
  row: (...args: number[]) => void
}

let kernel: RowKernel | null | undefined

/** The compiled module, or null where this runtime has no WebAssembly SIMD (matmul.ts takes its loop). */
function load(): RowKernel | null {
  if (kernel !== undefined) return kernel
  const exports = instantiateBase64(wasmBase64)
  kernel = exports && { memory: exports.memory as WebAssembly.Memory, row: exports.row as RowKernel['row'] }
  return kernel
}

export function simdAvailable(): boolean {
  return load() !== null
}

export interface SimdPlan {
  batch: number
  m: number
  n: number
  /** Whether A / B is shared by every batch (rank 2, or a batch of 1). */
  aShared: boolean
  bShared: boolean
}

/**
 * C = A·B from quantised lanes. Returns the outputs and the indices of those the module left to the
 * caller (block sums of 2^52 or more; see matmul.wat), or null when SIMD is unavailable.
 */
export function matmulSimd(
  qa: Q15Lanes,
  qb: Q15Lanes,
  plan: SimdPlan,
): { out: Float32Array; wide: number[] } | null {
  const k = load()
  if (!k) return null
  const span = qa.span
  const blocks = span / BLOCK
  const vecA = qa.hi.length / span
  const vecB = qb.hi.length / span
  // Byte offsets: tables, A lanes, B lanes, exps, one row of output and flags.
  const shift = 0
  const scale = shift + (2 * SPAN + 1) * 8
  const a = scale + 510 * 8
  const b = a + vecA * span * 4
  const ea = b + vecB * span * 4
  const eb = ea + qa.exps.length * 4
  const rowOut = eb + qb.exps.length * 4
  const flags = rowOut + plan.n * 4
  const need = flags + plan.n
  const have = k.memory.buffer.byteLength
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536))
  const buf = k.memory.buffer
  const f64 = new Float64Array(buf)
  for (let s = 0; s <= 2 * SPAN; s++) f64[shift / 8 + s] = 2 ** s
  for (let t = 0; t < 510; t++) f64[scale / 8 + t] = 2 ** (t - 272 - 2 * SPAN)
  const i16 = new Int16Array(buf)
  for (let i = 0, o = a / 2; i < qa.hi.length; i++, o += 2) {
    i16[o] = qa.hi[i]
    i16[o + 1] = qa.lo[i]
  }
  for (let i = 0, o = b / 2; i < qb.hi.length; i++, o += 2) {
    i16[o] = qb.hi[i] * 256 + qb.lo[i]
    i16[o + 1] = qb.hi[i]
  }
  const u32 = new Uint32Array(buf)
  u32.set(qa.exps, ea / 4) // NONFINITE is 0xffffffff: the module reads it as -1
  u32.set(qb.exps, eb / 4)
  const f32 = new Float32Array(buf)
  const flag = new Uint8Array(buf, flags, plan.n)
  const out = new Float32Array(plan.batch * plan.m * plan.n)
  const wide: number[] = []
  const stride = blocks + 1
  for (let bz = 0; bz < plan.batch; bz++) {
    const vb0 = plan.bShared ? 0 : bz * plan.n
    for (let r = 0; r < plan.m; r++) {
      const va = (plan.aShared ? 0 : bz * plan.m) + r
      k.row(
        a + va * span * 4,
        b + vb0 * span * 4,
        ea + va * stride * 4,
        eb + vb0 * stride * 4,
        shift,
        scale,
        rowOut,
        flags,
        plan.n,
        blocks,
      )
      const o = (bz * plan.m + r) * plan.n
      out.set(f32.subarray(rowOut / 4, rowOut / 4 + plan.n), o)
      for (let c = 0; c < plan.n; c++) if (flag[c]) wide.push(o + c)
    }
  }
  return { out, wide }
}
