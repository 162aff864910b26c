// The ONNX facet of op modules: the runtime's tensor and node types, what a module declares for each
// ONNX operator it runs (arity, output dims, cost, the CPU references, a GPU form), and the helpers
// those declarations share. src/infer/ drives them: shapes.ts checks, plan.ts charges, ops.ts and
// gpu.ts run.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import type { Gpu } from '../gpu/runtime.ts'
import type { GpuTensor } from '../gpu/tensor.ts'
import { permuteRef } from '../kernels/permute.ts'
import { f32Array } from '../kernels/softfloat.ts'

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1)

export type Tensor =
  | { type: 'float'; dims: number[]; data: Float32Array }
  | { type: 'int64'; dims: number[]; data: BigInt64Array }
  // ONNX BOOL: one byte a value, each 0 or 1 (comparisons, masks, Where's condition).
  | { type: 'bool'; dims: number[]; data: Uint8Array }
  | IntTensor
export type FloatTensor = Extract<Tensor, { type: 'float' }>
/** A tensor's element type, as the runtime names it. */
export type DType = Tensor['type']

/**
 * The narrow integer tensors of quantised models (src/ops/qlinear.ts): int8 and uint8 values, int32
 * accumulators. Unlike int64 they may depend on float data, so the shape pass never computes them.
 */
export type IntTensor =
  | { type: 'int8'; dims: number[]; data: Int8Array }
  | { type: 'uint8'; dims: number[]; data: Uint8Array }
  | { type: 'int32'; dims: number[]; data: Int32Array }
export type IntType = IntTensor['type']

export interface Node {
  op: string
  name: string
  inputs: string[]
  outputs: string[]
  attrs: Record<string, number | string | number[] | Tensor>
}

/**
 * What the shape pass knows of a tensor: its type and dims; its values when every input of the node
 * that made it had known values and it is not float (int64 and bool: shapes, axes, masks), or it is
 * a graph input or initializer.
 */
export interface Meta {
  type: DType
  dims: number[]
  data?: Tensor['data']
}
export type Info = Pick<Meta, 'type' | 'dims'>

/** A node as the shape pass sees it, arity and opset already checked. */
export interface ShapeContext {
  node: Node
  /** "Op name", for messages. */
  where: string
  opset: number
  ins: readonly (Meta | undefined)[]
  /** Input i, refused when missing. */
  need(i: number): Meta
  /** Input i's dims, refused unless it is float. */
  float(i: number): number[]
  /** Input i's values, refused unless it is a 1-D int64 tensor. */
  ints(i: number, what: string): number[]
}

/** A node about to run on the CPU references, with the outputs the shape pass planned. */
export interface RunContext {
  node: Node
  where: string
  opset: number
  ins: (Tensor | undefined)[]
  planned: Info[]
  float(i: number): FloatTensor
  ints(i: number, what: string): number[]
}

/** Tensors to and from the GPU around one node; what the node uploads and makes is released after it. */
export interface GpuContext {
  gpu: Gpu
  up(t: FloatTensor, shape?: readonly number[]): GpuTensor
  /** A bool tensor as u32 values 0 and 1 (a kernel's condition). */
  upBool(t: Extract<Tensor, { type: 'bool' }>): GpuTensor
  out(g: GpuTensor, dims: number[]): Promise<FloatTensor>
  hold(...g: GpuTensor[]): void
}

export interface CostContext {
  node: Node
  ins: readonly (Meta | undefined)[]
  outs: Info[]
  /** Output elements. */
  out: number
  /** Input 0's elements (an int64 counts as two). */
  x: number
}

/** Operations of roughly 5–20 ns on the CPU reference, and scratch elements (docs/receipts.md). */
export interface Cost {
  operations: number
  scratch?: number
  /** The outputs are the input's values (no new elements). */
  view?: boolean
}

export interface OnnxOp {
  /** [fewest, most] inputs. */
  inputs: [number, number]
  /** Whether the node may have more than one output. */
  outputs?: 'one' | 'many'
  /** The opset the operator entered the default domain in, when after 13. */
  since?: number
  /** Its outputs depend on its inputs' dims only (Shape, Size): the shape pass computes them always. */
  dimsOnly?: boolean
  /** The outputs' types and dims, refusing every node onnxruntime refuses. */
  shape(c: ShapeContext): Info[]
  /** Default: 4 operations per output element (adds and multiplies). */
  cost?(c: CostContext): Cost
  run(c: RunContext): Tensor[]
  /** The node on the GPU kernels, or null when this node's form has none (it then runs on the CPU). */
  gpu?(g: GpuContext, c: RunContext): Promise<Tensor | null>
}

export const float = (dims: number[], data: Float32Array): FloatTensor => ({ type: 'float', dims, data })

/**
 * Below this many output elements a broadcast stays on the CPU: the upload, the strides table and the
 * readback cost more than the copy (the test graphs set it low to exercise the kernel).
 */
export let GPU_MIN_ELEMENTS = 1024
/** For tests: place small broadcasts on the GPU too. */
export const setGpuMinElements = (n: number) => {
  GPU_MIN_ELEMENTS = n
}
export const isFloat = (t: Tensor | undefined): t is FloatTensor => t?.type === 'float'
/** The axis of a Softmax or LayerNormalization is the last one (the GPU kernels' form). */
export const lastAxis = (c: RunContext, t: FloatTensor) => {
  const axis = typeof c.node.attrs.axis === 'number' ? c.node.attrs.axis : -1
  return axis === -1 || axis === t.dims.length - 1
}

/** Numpy broadcasting of two shapes (multidirectional, as ONNX's elementwise operators). */
export function broadcastDims(where: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length)
  const pad = (d: readonly number[]) => [...new Array<number>(rank - d.length).fill(1), ...d]
  const [da, db] = [pad(a), pad(b)]
  return da.map((x, i) => {
    if (x !== db[i] && x !== 1 && db[i] !== 1)
      throw new OnnxShapeError(`${where}: shapes [${a}] and [${b}] do not broadcast.`)
    return x === 1 ? db[i] : x
  })
}

/** An axis attribute or input value, made non-negative; refused outside [-rank, rank - 1]. */
export function axisIn(where: string, axis: unknown, rank: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    throw new OnnxShapeError(`${where}: axis ${JSON.stringify(axis)} is not an integer.`)
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= rank) throw new OnnxShapeError(`${where}: axis ${axis} is out of range for rank ${rank}.`)
  return a
}

/** Axes (for Reduce*, Squeeze, Unsqueeze): each in range, none twice. */
export function axesIn(where: string, axes: readonly number[], rank: number): number[] {
  const norm = axes.map((v) => axisIn(where, v, rank))
  if (new Set(norm).size !== norm.length) throw new OnnxShapeError(`${where}: axes [${axes}] repeat an axis.`)
  return norm
}

/** Numpy broadcasting of two float tensors through a per-element function. */
export function broadcast(
  where: string,
  a: FloatTensor,
  b: FloatTensor,
  f: (x: number, y: number) => number,
): FloatTensor {
  if (b.data.length === a.data.length && b.dims.join() === a.dims.join())
    return float(
      a.dims,
      f32Array(a.data.length, (i) => f(a.data[i], b.data[i])),
    )
  const rank = Math.max(a.dims.length, b.dims.length)
  const pad = (d: number[]) => [...new Array(rank - d.length).fill(1), ...d]
  const [da, db] = [pad(a.dims), pad(b.dims)]
  const dims = broadcastDims(where, a.dims, b.dims)
  const strides = (d: number[]) => {
    const s = new Array(rank).fill(0)
    let k = 1
    for (let i = rank - 1; i >= 0; i--) {
      s[i] = d[i] === 1 ? 0 : k
      k *= d[i]
    }
    return s
  }
  const [sa, sb] = [strides(da), strides(db)]
  const out = new Float32Array(size(dims))
  const idx = new Array(rank).fill(0)
  for (let o = 0; o < out.length; o++) {
    let ia = 0
    let ib = 0
    for (let i = 0; i < rank; i++) {
      ia += idx[i] * sa[i]
      ib += idx[i] * sb[i]
    }
    out[o] = f(a.data[ia], b.data[ib])
    for (let i = rank - 1; i >= 0 && ++idx[i] === dims[i]; i--) idx[i] = 0
  }
  return float(dims, out)
}

/** Moves `axes` to the end, flattening to [rows, n]; returns the permuted data and how to undo it. */
export function toRows(x: FloatTensor, axes: number[]) {
  const keep = x.dims.map((_, i) => i).filter((i) => !axes.includes(i))
  const order = [...keep, ...axes]
  const data = order.every((v, i) => v === i) ? x.data : permuteRef(x.data, x.dims, order)
  const n = size(axes.map((a) => x.dims[a]))
  return {
    data,
    rows: x.data.length / Math.max(1, n),
    n,
    order,
    permutedDims: order.map((i) => x.dims[i]),
  }
}

/** An operator this runtime does not implement. */
export function unsupported(node: Node): OnnxError {
  return new OnnxError(`Operator ${node.op} (node ${node.name}) is not supported.`)
}

// ---- Any element type: the shape, index and comparison operators work on float, int64 and bool alike. ----

/** A tensor of `type` from data of the matching array (the caller's guarantee). */
export const typed = (type: DType, dims: number[], data: Tensor['data']): Tensor =>
  ({ type, dims, data }) as Tensor

/** Each element type's array; a type added to Tensor must be added here too (the compiler says so). */
const ARRAYS = {
  float: Float32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
} satisfies Record<DType, new (n: number) => Tensor['data']>

/** A zeroed array for `n` values of `type`. */
export const alloc = (type: DType, n: number): Tensor['data'] => new ARRAYS[type](n)

/** Row-major strides of dims, with 0 on the axes of size 1 (they broadcast). */
function broadcastStrides(dims: readonly number[], rank: number): number[] {
  const pad = [...new Array<number>(rank - dims.length).fill(1), ...dims]
  const s = new Array<number>(rank).fill(0)
  for (let i = rank - 1, k = 1; i >= 0; i--) {
    s[i] = pad[i] === 1 ? 0 : k
    k *= pad[i]
  }
  return s
}

/**
 * For each element of a tensor of dims `out`, the offset of the element of a tensor of dims `d` that
 * numpy broadcasting maps to it (d already checked to broadcast to out).
 */
export function broadcastOffsets(out: readonly number[], d: readonly number[]): Int32Array {
  const rank = out.length
  const s = broadcastStrides(d, rank)
  const offsets = new Int32Array(size(out as number[]))
  const idx = new Array<number>(rank).fill(0)
  let at = 0
  for (let o = 0; o < offsets.length; o++) {
    offsets[o] = at
    for (let i = rank - 1; i >= 0; i--) {
      at += s[i]
      if (++idx[i] < out[i]) break
      at -= s[i] * out[i]
      idx[i] = 0
    }
  }
  return offsets
}

/** Numpy broadcasting of any number of shapes. */
export const broadcastAll = (where: string, shapes: readonly (readonly number[])[]): number[] =>
  shapes.reduce<number[]>((a, b) => broadcastDims(where, a, b), [])

/** Input i's type, refused unless it is one of `types`. */
export function typeIn(where: string, t: { type: DType }, i: number, types: readonly DType[]): DType {
  if (!types.includes(t.type))
    throw new OnnxError(`${where}: input ${i} is ${t.type}; this operator takes ${types.join(' or ')} here.`)
  return t.type
}

/** Every input of a node has the same type (numeric operators of two inputs: ONNX's T). */
export function sameType(where: string, ts: readonly { type: DType }[]): DType {
  const bad = ts.findIndex((t) => t.type !== ts[0].type)
  if (bad > 0)
    throw new OnnxError(
      `${where}: input ${bad} is ${ts[bad].type}, input 0 is ${ts[0].type}; they must match.`,
    )
  return ts[0].type
}

/** A 64-bit result of int64 arithmetic, wrapped as onnxruntime's two's complement arithmetic wraps. */
export const wrap64 = (v: bigint) => BigInt.asIntN(64, v)

/** A value of any element type, as the per-element functions below see it (bool as 0 or 1). */
export type Scalar = number | bigint

/**
 * out[i] = f(the broadcast elements of ts at i), into a new tensor of `type`: the CPU reference of the
 * comparisons, logic, Where, Min and Max and int64 arithmetic (float arithmetic keeps `broadcast`).
 */
export function zipWith(
  where: string,
  ts: readonly Tensor[],
  type: DType,
  f: (...v: Scalar[]) => Scalar,
): Tensor {
  const dims = broadcastAll(
    where,
    ts.map((t) => t.dims),
  )
  const offs = ts.map((t) => (t.dims.join() === dims.join() ? null : broadcastOffsets(dims, t.dims)))
  const n = size(dims)
  const v = new Array<Scalar>(ts.length)
  const at = (o: number) => {
    for (let k = 0; k < ts.length; k++) v[k] = ts[k].data[offs[k]?.[o] ?? o]
    return f(...v)
  }
  // Float results through f32Array: every NaN the one canonical NaN on every engine.
  if (type === 'float')
    return typed(
      type,
      dims,
      f32Array(n, (o) => at(o) as number),
    )
  const out = alloc(type, n) as unknown as Scalar[]
  for (let o = 0; o < n; o++) out[o] = at(o)
  return typed(type, dims, out as unknown as Tensor['data'])
}

/**
 * The array a tensor's values are copied through, bit for bit: a float tensor's bits as u32 (a JS
 * number would not keep a NaN's payload on every engine), the others as they are.
 */
export const bitsOf = (t: Tensor): Exclude<Tensor['data'], Float32Array> | Uint32Array =>
  t.type === 'float' ? new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length) : t.data

/** A tensor of `type` whose values are the copied bits `data` (bitsOf's inverse). */
export const fromBits = (
  type: DType,
  dims: number[],
  data: Uint32Array | BigInt64Array | Uint8Array,
): Tensor =>
  typed(
    type,
    dims,
    type === 'float' ? new Float32Array(data.buffer, data.byteOffset, data.length) : (data as Tensor['data']),
  )

/** A zeroed bits array for `n` values of `type` (bitsOf's form). */
export const allocBits = (type: DType, n: number): Uint32Array | BigInt64Array | Uint8Array =>
  type === 'float' ? new Uint32Array(n) : (alloc(type, n) as BigInt64Array | Uint8Array)

/** Input i's values, refused unless it is a 1-D int64 tensor (Slice, Tile, Expand, ConstantOfShape: as onnxruntime). */
export function vectorIn(c: ShapeContext, i: number, what: string): number[] {
  const t = c.need(i)
  if (t.dims.length !== 1) throw new OnnxShapeError(`${c.where}: ${what} must be 1-D, got [${t.dims}].`)
  return c.ints(i, what)
}
