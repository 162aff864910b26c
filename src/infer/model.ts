// Parses an ONNX model (onnx-proto) into what the deterministic executor needs, refusing clearly what it
// cannot run: unknown operators, unsupported opsets, non-float data.
import onnxProto, { type onnx } from 'onnx-proto'

// onnx-proto is CommonJS: its default export holds the namespace in Node's ESM and in Vite alike.
const pb = onnxProto.onnx
import { OnnxError } from '../errors/infer.ts'
import { INT_RANGE } from '../kernels/cast.ts'
import type { DType, IntType, Node, Tensor } from '../ops/onnx.ts'
import { ONNX_OPS, type OpSet } from '../ops/registry.ts'

// The runtime's tensors and nodes are the op modules' (src/ops/onnx.ts); named here for the model's users.
export type { Node, Tensor } from '../ops/onnx.ts'

export interface Model {
  opset: number
  nodes: Node[]
  initializers: Map<string, Tensor>
  inputs: { name: string; type: DType; dims: (number | string)[] }[]
  outputs: string[]
  metadata: Record<string, string>
}

export const OPSET_MIN = 13
export const OPSET_MAX = 21
const D = pb.TensorProto.DataType

export function tensorFromProto(t: onnx.ITensorProto): Tensor {
  const dims = (t.dims ?? []).map(Number)
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new OnnxError(`Tensor ${t.name}: dims [${dims}] are not non-negative integers.`)
  const count = dims.reduce((a, b) => a * b, 1)
  const raw = t.rawData && t.rawData.length ? t.rawData : null
  // raw_data must hold whole values: a damaged file's odd length is refused here, not by a RangeError.
  const copy = (r: Uint8Array, width: number) => {
    if (r.byteLength % width !== 0)
      throw new OnnxError(
        `Tensor ${t.name}: raw_data of ${r.byteLength} bytes is not whole ${width}-byte values.`,
      )
    return r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength) as ArrayBuffer
  }
  if (t.dataType === D.FLOAT) {
    const data = raw ? new Float32Array(copy(raw, 4)) : Float32Array.from(t.floatData ?? [])
    if (data.length !== count)
      throw new OnnxError(`Tensor ${t.name}: ${data.length} values for dims [${dims}].`)
    return { type: 'float', dims, data }
  }
  if (t.dataType === D.INT64) {
    const data = raw
      ? new BigInt64Array(copy(raw, 8))
      : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(v.toString())))
    if (data.length !== count)
      throw new OnnxError(`Tensor ${t.name}: ${data.length} values for dims [${dims}].`)
    return { type: 'int64', dims, data }
  }
  if (t.dataType === D.BOOL) {
    // One byte a value in raw_data, else int32_data; anything but 0 and 1 is refused, not read as true.
    const data = raw
      ? new Uint8Array(copy(raw, 1))
      : Uint8Array.from(t.int32Data ?? [], (v) => (v >>> 0 > 1 ? 2 : v))
    if (data.length !== count)
      throw new OnnxError(`Tensor ${t.name}: ${data.length} values for dims [${dims}].`)
    if (data.some((v) => v > 1)) throw new OnnxError(`Tensor ${t.name}: a bool value is neither 0 nor 1.`)
    return { type: 'bool', dims, data }
  }
  const int = INT_OF[t.dataType ?? 0]
  if (int)
    return intTensorFromProto(t, int, dims, count, raw && copy(raw, INT_RANGE[int].make(0).BYTES_PER_ELEMENT))
  throw new OnnxError(
    `Tensor ${t.name || '(unnamed)'} has data type ${D[t.dataType ?? 0] ?? t.dataType}; only float, int64, bool, int32, int8 and uint8 are supported.`,
  )
}

/** The quantised models' integer types (src/ops/qlinear.ts), by TensorProto code. */
const INT_OF: Partial<Record<number, IntType>> = { [D.INT8]: 'int8', [D.UINT8]: 'uint8', [D.INT32]: 'int32' }

/** int8, uint8 and int32 come as raw little-endian bytes or in int32_data; values out of range are refused. */
function intTensorFromProto(
  t: onnx.ITensorProto,
  type: IntType,
  dims: number[],
  count: number,
  raw: ArrayBuffer | null,
): Tensor {
  const { lo, hi, make } = INT_RANGE[type]
  // Checked before allocating: dims may claim far more values than the file holds.
  const given = raw ? raw.byteLength / make(0).BYTES_PER_ELEMENT : (t.int32Data ?? []).length
  if (given !== count) throw new OnnxError(`Tensor ${t.name}: ${given} values for dims [${dims}].`)
  const data = make(count)
  if (raw)
    data.set(
      type === 'int8' ? new Int8Array(raw) : type === 'uint8' ? new Uint8Array(raw) : new Int32Array(raw),
    )
  else
    (t.int32Data ?? []).forEach((v, i) => {
      if (!Number.isInteger(v) || v < lo || v > hi)
        throw new OnnxError(`Tensor ${t.name}: ${v} is not a ${type} value.`)
      data[i] = v
    })
  return { type, dims, data } as Tensor
}

/** The runtime's name for an ONNX element type it runs, or null. */
export const dtypeOf = (elemType: number | null | undefined): DType | null =>
  elemType === D.FLOAT
    ? 'float'
    : elemType === D.INT64
      ? 'int64'
      : elemType === D.BOOL
        ? 'bool'
        : (INT_OF[elemType ?? 0] ?? null)

function attr(a: onnx.IAttributeProto): number | string | number[] | Tensor {
  const T = pb.AttributeProto.AttributeType
  switch (a.type) {
    case T.INT:
      return Number(a.i ?? 0)
    case T.FLOAT:
      return Math.fround(a.f ?? 0)
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array())
    case T.INTS:
      return (a.ints ?? []).map(Number)
    case T.TENSOR:
      if (!a.t) throw new OnnxError(`Attribute ${a.name} has no tensor.`)
      return tensorFromProto(a.t)
    default:
      throw new OnnxError(`Attribute ${a.name} has unsupported type ${T[a.type ?? 0] ?? a.type}.`)
  }
}

export function parseModel(bytes: Uint8Array, ops: OpSet = ONNX_OPS): Model {
  let proto: onnx.ModelProto
  try {
    proto = pb.ModelProto.decode(bytes)
  } catch (e) {
    throw new OnnxError('This file is not an ONNX model (it does not decode as ModelProto).', {
      details: e instanceof Error ? e.message : String(e),
    })
  }
  const g = proto.graph
  if (!g) throw new OnnxError('The ONNX model has no graph.')
  const opsetEntry = (proto.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')
  const opset = Number(opsetEntry?.version ?? 0)
  if (opset < OPSET_MIN || opset > OPSET_MAX) {
    throw new OnnxError(
      `ONNX opset ${opset} is not supported; this runtime implements opsets ${OPSET_MIN}–${OPSET_MAX}.`,
    )
  }
  const nodes: Node[] = (g.node ?? []).map((n, i) => {
    if (n.domain && n.domain !== 'ai.onnx')
      throw new OnnxError(`Node ${n.name || i} uses operator domain "${n.domain}", which is not supported.`)
    if (!ops.has(n.opType ?? '')) {
      throw new OnnxError(`Operator ${n.opType} (node ${n.name || i}) is not supported.`, {
        details: `Supported: ${[...ops.keys()].sort().join(', ')}.`,
      })
    }
    return {
      op: n.opType!,
      name: n.name || `${n.opType}_${i}`,
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', attr(a)])),
    }
  })
  const initializers = new Map((g.initializer ?? []).map((t) => [t.name ?? '', tensorFromProto(t)]))
  const inputs = (g.input ?? [])
    .filter((i) => !initializers.has(i.name ?? ''))
    .map((i) => {
      const tt = i.type?.tensorType
      const type = dtypeOf(tt?.elemType)
      if (!type)
        throw new OnnxError(
          `Graph input ${i.name} has element type ${tt?.elemType}; only float, int64, bool, int32, int8 and uint8 inputs are supported.`,
        )
      const dims = (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)))
      return { name: i.name ?? '', type, dims } as Model['inputs'][number]
    })
  const metadata = Object.fromEntries((proto.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']))
  return { opset, nodes, initializers, inputs, outputs: (g.output ?? []).map((o) => o.name ?? ''), metadata }
}
