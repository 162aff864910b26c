// Elementwise binary arithmetic (shaders/elementwise.wgsl, src/kernels/elementwise.ts): the engine's add
// (equal shapes, or a bias row over every row) and ONNX Add, Sub, Mul, Div with numpy broadcasting, on
// float tensors or int64 ones (shape arithmetic).
import { MAX_BROADCAST_RANK, broadcastOp } from '../kernels/broadcast.ts'
import { binary, binaryRef, type BinaryOp } from '../kernels/elementwise.ts'
import * as sf from '../kernels/softfloat.ts'
import { OnnxError } from '../errors/infer.ts'
import {
  broadcast,
  broadcastDims,
  isFloat,
  sameType,
  typeIn,
  wrap64,
  zipWith,
  GPU_MIN_ELEMENTS,
  type OnnxOp,
  type Scalar,
  type Tensor,
} from './onnx.ts'
import { defineOp, size } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** Elementwise, or b = [n] added to every row of a (a bias). */
    add(a: T, b: T): Promise<T>
  }
  interface TapeOps<T> {
    /** a + b, elementwise or with b a bias row broadcast over a's rows. */
    add(a: T, b: T): Promise<T>
  }
}

/** int64 arithmetic wraps at 64 bits (two's complement, as onnxruntime's); Div truncates toward zero. */
const INT64: Record<BinaryOp, (where: string) => (a: Scalar, b: Scalar) => bigint> = {
  add: () => (a, b) => wrap64((a as bigint) + (b as bigint)),
  sub: () => (a, b) => wrap64((a as bigint) - (b as bigint)),
  mul: () => (a, b) => wrap64((a as bigint) * (b as bigint)),
  div: (where) => (a, b) => {
    if (b === 0n) throw new OnnxError(`${where}: int64 division by zero.`)
    return wrap64((a as bigint) / (b as bigint))
  },
}

/** Float (softfloat, numpy broadcasting) or int64 (the shape arithmetic exporters emit). */
const onnxBinary = (op: BinaryOp, f: (x: number, y: number) => number): OnnxOp => ({
  inputs: [2, 2],
  shape: ({ where, need }) => {
    const [a, b] = [need(0), need(1)]
    return [
      {
        type: typeIn(where, { type: sameType(where, [a, b]) }, 0, ['float', 'int64']),
        dims: broadcastDims(where, a.dims, b.dims),
      },
    ]
  },
  // int64 through zipWith: an offset array an input (scratch) beside the output.
  cost: ({ out, ins }) => ({ operations: 4 * out, scratch: ins[0]?.type === 'int64' ? 2 * out : 0 }),
  run: ({ where, float, ins }) =>
    ins[0]?.type === 'int64'
      ? [zipWith(where, ins as Tensor[], 'int64', INT64[op](where))]
      : [broadcast(where, float(0), float(1), f)],
  gpu: async (g, { where, ins: [x, y] }) => {
    if (!isFloat(x) || !isFloat(y)) return null
    if (x.dims.join() === y.dims.join()) return g.out(await binary(g.gpu, op, g.up(x), g.up(y)), x.dims)
    // A bias: one row [.., n] repeated over the other's rows (the kernel's bias form). Add and Mul
    // commute bit for bit (IEEE rounds the exact result), so the bias may come first for them.
    if (isRow(y, x)) return g.out(await binary(g.gpu, op, g.up(x), g.up(y, [y.dims.at(-1)!])), x.dims)
    if ((op === 'add' || op === 'mul') && isRow(x, y))
      return g.out(await binary(g.gpu, op, g.up(y), g.up(x, [x.dims.at(-1)!])), y.dims)
    // Any other broadcast (scores + a [1, 1, s, T] mask): the strided kernel, when it pays.
    const dims = broadcastDims(where, x.dims, y.dims)
    if (dims.length > MAX_BROADCAST_RANK || size(dims) < GPU_MIN_ELEMENTS) return null
    return g.out(await broadcastOp(g.gpu, op, dims, g.up(x), g.up(y)), dims)
  },
})

/** Whether `row` is one row of `t`'s last axis ([n], [1, n], …) and `t` has more than one row. */
const isRow = (row: Tensor, t: Tensor) =>
  t.dims.length > 1 &&
  row.dims.length <= t.dims.length &&
  row.dims.length >= 1 &&
  row.dims.at(-1) === t.dims.at(-1) &&
  row.data.length === t.dims.at(-1)

export default defineOp({
  name: 'binary',
  kernels: {
    add: {
      cpu: async (a, b) => ({ data: binaryRef('add', a.data, b.data), shape: [...a.shape] }),
      gpu: (gpu, a, b) => binary(gpu, 'add', a, b),
      f64: async (a, b) => ({
        data: a.data.map((v, i) => v + b.data[i % b.data.length]),
        shape: [...a.shape],
      }),
      trace: {
        record: (a, b) => ({ inputs: [a, b], args: [] }),
        replay: (be, [a, b]) => be.add(a, b),
      },
    },
  },
  tape: {
    add: async (tape, a, b) => {
      const { be } = tape
      const y = tape.own(await be.add(a, b))
      const bias = be.shape(b).length === 1 && be.shape(a).length > 1
      tape.record(async () => {
        const dy = tape.grad(y)
        if (!dy) return
        await tape.accumulate(a, dy)
        await tape.accumulate(b, bias ? tape.own(await be.columnSums(dy)) : dy)
      })
      return y
    },
  },
  onnx: {
    Add: onnxBinary('add', sf.add),
    Sub: onnxBinary('sub', sf.sub),
    Mul: onnxBinary('mul', sf.mul),
    Div: onnxBinary('div', sf.div),
  },
})
