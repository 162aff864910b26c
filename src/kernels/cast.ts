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
export const ONNX_TYPE_CODE = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const
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
 * An int64 rounded once to the nearest f32 (ties to even), as onnxruntime's static_cast does. Beyond
 * 2^53 the value is first cut to 53 bits rounding to odd, so the double's rounding to f32 is exact.
 */
export function int64ToF32(v: bigint): number {
  const a = v < 0n ? -v : v
  if (a <= 2n ** 53n) return Math.fround(Number(v))
  const shift = BigInt(a.toString(2).length - 53)
  let m = a >> shift
  if (m << shift !== a) m |= 1n
  const r = Math.fround(Number(m) * 2 ** Number(shift))
  return v < 0n ? -r : r
}

/**
 * Float to int64 truncates toward zero (ONNX). NaN, ±Infinity and values outside the int64 range have
 * no defined result in ONNX (onnxruntime gives whatever the C++ cast gives): refused here, by name.
 * (Narrower integer targets saturate instead, as WGSL does: those casts run on quantised data, where a
 * refusal would stop an honest model.)
 */
function f32ToInt64(where: string, x: number): bigint {
  if (!Number.isFinite(x) || x >= 2 ** 63 || x < -(2 ** 63))
    throw new OnnxError(`${where}: ${x} cannot be cast to int64 (NaN, infinite or out of range).`)
  return BigInt(Math.trunc(x))
}

/**
 * `t` as `to`. An int64 computed from float data is fine: the shape pass computes a value only when
 * every input's value is known (src/infer/plan.ts).
 */
export function castTensor(where: string, t: Tensor, to: CastType): Tensor {
  if (t.type === to) return t
  const n = t.data.length
  const dims = t.dims
  if (to === 'float') {
    if (t.type === 'int64') return { type: 'float', dims, data: Float32Array.from(t.data, int64ToF32) }
    // bool, int8, uint8 and int32 are exact in a double; Float32Array's store rounds once, to nearest even.
    return { type: 'float', dims, data: Float32Array.from(t.data as ArrayLike<number>) }
  }
  if (to === 'int64') {
    const data = new BigInt64Array(n)
    for (let i = 0; i < n; i++)
      data[i] = t.type === 'float' ? f32ToInt64(where, t.data[i]) : BigInt(t.data[i] as number)
    return { type: 'int64', dims, data }
  }
  if (to === 'bool') {
    // Anything but zero is true (NaN included, as C++'s cast to bool).
    const data = new Uint8Array(n)
    for (let i = 0; i < n; i++) data[i] = t.data[i] == 0 ? 0 : 1
    return { type: 'bool', dims, data }
  }
  const out = INT_RANGE[to].make(n)
  if (t.type === 'float') {
    const { lo, hi } = INT_RANGE[to]
    for (let i = 0; i < n; i++) out[i] = truncSat(t.data[i], lo, hi)
  } else if (t.type === 'int64') {
    for (let i = 0; i < n; i++) out[i] = wrap(to, Number(BigInt.asIntN(32, t.data[i])))
  } else {
    for (let i = 0; i < n; i++) out[i] = wrap(to, t.data[i])
  }
  return { type: to, dims, data: out } as Tensor
}
