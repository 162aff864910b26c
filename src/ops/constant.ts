// ONNX Constant (a value held in the node) and Cast between float, int64 and bool.
import { OnnxError } from '../errors/infer.ts'
import type { DType, OnnxOp, Tensor } from './onnx.ts'
import { float } from './onnx.ts'
import { defineOp } from './op.ts'

/** ONNX's TensorProto codes of the types Cast makes. */
const CAST_TO: Record<number, DType> = { 1: 'float', 7: 'int64', 9: 'bool' }

const castTarget = (where: string, to: unknown): DType => {
  const t = typeof to === 'number' ? CAST_TO[to] : undefined
  if (!t)
    throw new OnnxError(
      `${where}: only casts to float (1), int64 (7) and bool (9) are supported; got to=${to}.`,
    )
  return t
}

/**
 * An int64 rounded once to the nearest f32 (ties to even), as onnxruntime's static_cast does. Beyond
 * 2^53 the value is first cut to 53 bits rounding to odd, so the double's rounding to f32 is exact.
 */
function int64ToF32(v: bigint): number {
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
 */
function f32ToInt64(where: string, x: number): bigint {
  if (!Number.isFinite(x) || x >= 2 ** 63 || x < -(2 ** 63))
    throw new OnnxError(`${where}: ${x} cannot be cast to int64 (NaN, infinite or out of range).`)
  return BigInt(Math.trunc(x))
}

function cast(where: string, x: Tensor, to: DType): Tensor {
  if (x.type === to) return x
  const n = x.data.length
  const dims = x.dims
  if (to === 'float') {
    const data =
      x.type === 'int64' ? Float32Array.from(x.data, int64ToF32) : Float32Array.from(x.data as Uint8Array)
    return float(dims, data)
  }
  if (to === 'int64') {
    const data = new BigInt64Array(n)
    for (let i = 0; i < n; i++)
      data[i] = x.type === 'float' ? f32ToInt64(where, x.data[i]) : BigInt(x.data[i])
    return { type: 'int64', dims, data }
  }
  // To bool: anything but zero is true (NaN included, as C++'s cast to bool).
  const data = new Uint8Array(n)
  for (let i = 0; i < n; i++) data[i] = x.data[i] == 0 ? 0 : 1
  return { type: 'bool', dims, data }
}

const Cast: OnnxOp = {
  inputs: [1, 1],
  shape: ({ node, where, need }) => [{ type: castTarget(where, node.attrs.to), dims: need(0).dims }],
  // A cast to the input's own type is a view.
  cost: ({ ins, outs, out }) =>
    ins[0]?.type === outs[0].type ? { operations: 0, view: true } : { operations: 4 * out },
  run: ({ node, where, ins }) => [cast(where, ins[0]!, castTarget(where, node.attrs.to))],
}

export default defineOp({
  name: 'constant',
  onnx: {
    Constant: {
      inputs: [0, 0],
      shape: ({ node, where }) => {
        const a = node.attrs
        const v = a.value
        if (v && typeof v === 'object' && !Array.isArray(v)) return [{ type: v.type, dims: v.dims }]
        if (typeof a.value_float === 'number') return [{ type: 'float', dims: [] }]
        if (Array.isArray(a.value_floats)) return [{ type: 'float', dims: [a.value_floats.length] }]
        if (typeof a.value_int === 'number') return [{ type: 'int64', dims: [] }]
        if (Array.isArray(a.value_ints)) return [{ type: 'int64', dims: [a.value_ints.length] }]
        throw new OnnxError(`${where}: unsupported value attribute.`)
      },
      run: ({ node, where }) => {
        const a = node.attrs
        if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return [a.value]
        if (typeof a.value_float === 'number') return [float([], new Float32Array([a.value_float]))]
        if (Array.isArray(a.value_floats))
          return [float([a.value_floats.length], Float32Array.from(a.value_floats))]
        if (typeof a.value_int === 'number')
          return [{ type: 'int64', dims: [], data: BigInt64Array.of(BigInt(a.value_int)) }]
        if (Array.isArray(a.value_ints))
          return [
            {
              type: 'int64',
              dims: [a.value_ints.length],
              data: BigInt64Array.from(a.value_ints.map(BigInt)),
            },
          ]
        throw new OnnxError(`${where}: unsupported value attribute.`)
      },
    },
    Cast,
  },
})
