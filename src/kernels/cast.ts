// Conversions between the ONNX runtime's numeric tensor types (ONNX Cast, and the int8 operators of
// src/ops/qlinear.ts). ONNX defines integer-to-integer casts (two's-complement wrap, as C++ and
// onnxruntime do) and integer-to-float (round to nearest, ties to even); it leaves float-to-integer
// undefined outside the target's range. Here that is fixed the way WGSL fixes it: truncate toward zero,
// saturate to the range, NaN to 0 — so a verifier gets one answer where onnxruntime's depends on the
// machine. Inside the range every rule is onnxruntime's, bit for bit.
import { OnnxError } from '../errors/infer.ts'
import type { IntType, Tensor } from '../ops/onnx.ts'

/** Each integer type's range and array. */
export const INT_RANGE: Record<IntType, { lo: number; hi: number; make: (n: number) => IntArray }> = {
  int8: { lo: -128, hi: 127, make: (n) => new Int8Array(n) },
  uint8: { lo: 0, hi: 255, make: (n) => new Uint8Array(n) },
  int32: { lo: -(2 ** 31), hi: 2 ** 31 - 1, make: (n) => new Int32Array(n) },
}
export type IntArray = Int8Array | Uint8Array | Int32Array
export const isIntType = (t: unknown): t is IntType => typeof t === 'string' && Object.hasOwn(INT_RANGE, t)

/** ONNX TensorProto data type codes of the runtime's types. */
export const ONNX_TYPE_CODE = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const
export type CastType = keyof typeof ONNX_TYPE_CODE

export const castTypeOf = (code: unknown): CastType | undefined =>
  (Object.keys(ONNX_TYPE_CODE) as CastType[]).find((k) => ONNX_TYPE_CODE[k] === code)

/** An integer tensor of `type` from numbers already in its range. */
export const intTensor = (type: IntType, dims: number[], data: ArrayLike<number>): Tensor => {
  const out = INT_RANGE[type].make(data.length)
  out.set(data)
  return { type, dims, data: out } as Tensor
}

/** x truncated toward zero and saturated to [lo, hi]; NaN is 0. */
export function truncSat(x: number, lo: number, hi: number): number {
  if (x !== x) return 0
  return Math.min(hi, Math.max(lo, Math.trunc(x)))
}

/** x wrapped into an integer type (two's complement), x an integer within ±2^53. */
function wrap(type: IntType, x: number): number {
  if (type === 'int32') return x | 0
  const v = x & 0xff
  return type === 'int8' && v > 127 ? v - 256 : v
}

/**
 * `t` as `to`. Casts to int64 are from int64 only: the shape pass computes int64 tensors as it goes
 * (src/infer/plan.ts), which it can only do while no int64 depends on float data.
 */
export function castTensor(where: string, t: Tensor, to: CastType): Tensor {
  if (t.type === to) return t
  const n = t.data.length
  if (to === 'float') {
    if (t.type === 'int64') return { type: 'float', dims: t.dims, data: Float32Array.from(t.data, Number) }
    // An int32 is exact in a double; Float32Array's store rounds it once, to nearest even.
    return { type: 'float', dims: t.dims, data: Float32Array.from(t.data as ArrayLike<number>) }
  }
  if (to === 'int64')
    throw new OnnxError(`${where}: casts to int64 are supported from int64 only; got ${t.type}.`)
  const out = INT_RANGE[to].make(n)
  if (t.type === 'float') {
    const { lo, hi } = INT_RANGE[to]
    for (let i = 0; i < n; i++) out[i] = truncSat(t.data[i], lo, hi)
  } else if (t.type === 'int64') {
    for (let i = 0; i < n; i++) out[i] = wrap(to, Number(BigInt.asIntN(32, t.data[i])))
  } else {
    for (let i = 0; i < n; i++) out[i] = wrap(to, t.data[i])
  }
  return { type: to, dims: t.dims, data: out } as Tensor
}
