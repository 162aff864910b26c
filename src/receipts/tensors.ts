// The outputs of an inference receipt and their hash (docs/receipts.md, "Output hash"). The encoding is
// injective: names are length-prefixed, each tensor says its dtype, dims are checked u32 integers and
// values are exact (f32 values that are f32, int64 values that are safe integers), so two different
// output sets never hash alike — a lie in the outputs cannot borrow an honest hash.
import { concat, keccak256, toBytes, type Hex } from 'viem'
import { OutputEncodingError } from '../errors/infer.ts'
import {
  f32Of,
  f32ValueProblem,
  int64ValueProblem,
  isWellFormed,
  tensorProblem,
  toJson,
  type JsonValue,
} from '../infer/json.ts'
import type { Tensor } from '../infer/model.ts'
import { INT_RANGE, intTensor, isIntType } from '../kernels/cast.ts'
import type { IntType } from '../ops/onnx.ts'

export interface JsonTensor {
  dtype: 'float32' | 'int64' | 'bool' | IntType
  dims: number[]
  data: JsonValue[]
}

// The quantised models' integers (src/ops/qlinear.ts): their own tags, values at their own width.
const INT_DTYPE_CODE = { uint8: 2, int8: 3, int32: 6 } as const
const intValueProblem = (type: IntType) => (v: unknown) =>
  Number.isInteger(v) && (v as number) >= INT_RANGE[type].lo && (v as number) <= INT_RANGE[type].hi
    ? null
    : `${JSON.stringify(v)} is not an ${type} value`

/** ONNX's TensorProto codes, as the dtype byte. */
const DTYPE_CODE = { float32: 1, int64: 7, bool: 9, ...INT_DTYPE_CODE } as const

/** A bool value: 0 or 1 (JSON true and false are refused, as everywhere in receipts). */
const boolValueProblem = (v: unknown): string | null =>
  v === 0 || v === 1 ? null : `${JSON.stringify(v)} is not 0 or 1`
const VALUE_PROBLEM = { float32: f32ValueProblem, int64: int64ValueProblem, bool: boolValueProblem }

/** Why `outputs` is not { name: { dtype, dims, data } } with exact values, or null. */
export function outputsProblem(outputs: unknown): string | null {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs))
    return 'outputs must be an object'
  for (const [name, t] of Object.entries(outputs)) {
    if (!isWellFormed(name)) return `output name ${JSON.stringify(name)} is not well-formed Unicode`
    const dtype = (t as JsonTensor | null)?.dtype
    if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool' && !isIntType(dtype))
      return `output "${name}": dtype must be "float32", "int64", "bool", "int32", "int8" or "uint8"`
    const p = tensorProblem(t, isIntType(dtype) ? intValueProblem(dtype) : VALUE_PROBLEM[dtype])
    if (p) return `output "${name}": ${p}`
  }
  return null
}

const u32 = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, true)
  return b
}

/**
 * u32le(count) ‖ for each output in name order (UTF-16 code units): u32le(byte length of utf8 name) ‖
 * utf8(name) ‖ u8 dtype (1 float32, 7 int64, 9 bool, 6 int32, 3 int8, 2 uint8) ‖ u32le(rank) ‖
 * u32le(dim)… ‖ values (f32le with one NaN and +0 for −0, i64le, one byte 0 or 1 for bool, i32le, i8
 * or u8).
 */
export function encodeOutputs(outputs: Record<string, JsonTensor>): Uint8Array {
  const problem = outputsProblem(outputs)
  if (problem) throw new OutputEncodingError(`Outputs cannot be hashed: ${problem}.`)
  const names = Object.keys(outputs).sort()
  const parts: Uint8Array[] = [u32(names.length)]
  for (const name of names) {
    const t = outputs[name]
    const utf8 = toBytes(name)
    parts.push(u32(utf8.length), utf8, new Uint8Array([DTYPE_CODE[t.dtype]]), u32(t.dims.length))
    t.dims.forEach((d) => parts.push(u32(d)))
    const values = isIntType(t.dtype)
      ? intTensor(t.dtype, [], t.data as number[]).data
      : t.dtype === 'int64'
        ? BigInt64Array.from(t.data as number[], (v) => BigInt(v))
        : t.dtype === 'bool'
          ? Uint8Array.from(t.data as number[])
          : Float32Array.from(t.data, f32Of)
    parts.push(new Uint8Array(values.buffer))
  }
  return concat(parts)
}

export const outputsHash = (outputs: Record<string, JsonTensor>): Hex => keccak256(encodeOutputs(outputs))

/** A computed tensor as receipt JSON; int64 beyond 2^53 cannot be written exactly and is refused. */
export function tensorJson(name: string, t: Tensor): JsonTensor {
  if (t.type === 'float') return { dtype: 'float32', dims: [...t.dims], data: Array.from(t.data, toJson) }
  if (t.type === 'bool') return { dtype: 'bool', dims: [...t.dims], data: Array.from(t.data) }
  if (isIntType(t.type))
    return { dtype: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<number>) }
  const data = Array.from(t.data, Number)
  if (data.some((v) => !Number.isSafeInteger(v)))
    throw new OutputEncodingError(
      `Output "${name}" holds int64 values beyond ±(2^53 − 1), which JSON cannot carry.`,
    )
  return { dtype: 'int64', dims: [...t.dims], data }
}
