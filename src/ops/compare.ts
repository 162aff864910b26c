// ONNX comparisons, logic and selection: Equal, Less, Greater, LessOrEqual, GreaterOrEqual (float or
// int64 in, bool out), Not, And, Or (bool), Where (a bool condition choosing between two tensors of
// any one type). Numpy broadcasting throughout. Exact: float comparisons are IEEE's (every comparison
// with NaN is false, -0 equals +0), and Where copies. They run on the CPU: masks are small and their
// consumers (Where over scores) are copies.
import { OnnxError } from '../errors/infer.ts'
import {
  allocBits,
  bitsOf,
  broadcastAll,
  broadcastOffsets,
  fromBits,
  GPU_MIN_ELEMENTS,
  isFloat,
  sameType,
  typeIn,
  zipWith,
  type DType,
  type OnnxOp,
  type Scalar,
  type Tensor,
} from './onnx.ts'
import { MAX_BROADCAST_RANK, broadcastOp } from '../kernels/broadcast.ts'
import { defineOp, size } from './op.ts'

const bit = (b: boolean) => (b ? 1 : 0)

/** 4 operations an output element, and an offset array an input for the broadcast (zipWith). */
const offsetsCost =
  (inputs: number) =>
  ({ out }: { out: number }) => ({ operations: 4 * out, scratch: inputs * out })

/** A comparison; the runtime's numbers and bigints compare with JS's operators, which are IEEE's. */
const compare = (f: (a: Scalar, b: Scalar) => boolean, types: DType[]): OnnxOp => ({
  inputs: [2, 2],
  shape: ({ where, need }) => {
    const [a, b] = [need(0), need(1)]
    typeIn(where, a, 0, types)
    sameType(where, [a, b])
    return [{ type: 'bool', dims: broadcastAll(where, [a.dims, b.dims]) }]
  },
  cost: offsetsCost(2),
  run: ({ where, ins }) => [zipWith(where, ins as Tensor[], 'bool', (a, b) => bit(f(a, b)))],
})

const logic = (f: (a: Scalar, b: Scalar) => boolean): OnnxOp => ({
  inputs: [2, 2],
  shape: ({ where, need }) => {
    ;[0, 1].forEach((i) => typeIn(where, need(i), i, ['bool']))
    return [{ type: 'bool', dims: broadcastAll(where, [need(0).dims, need(1).dims]) }]
  },
  cost: offsetsCost(2),
  run: ({ where, ins }) => [zipWith(where, ins as Tensor[], 'bool', (a, b) => bit(f(a, b)))],
})

export default defineOp({
  name: 'compare',
  onnx: {
    Equal: compare((a, b) => a === b, ['float', 'int64', 'bool']),
    Less: compare((a, b) => a < b, ['float', 'int64']),
    Greater: compare((a, b) => a > b, ['float', 'int64']),
    LessOrEqual: compare((a, b) => a <= b, ['float', 'int64']),
    GreaterOrEqual: compare((a, b) => a >= b, ['float', 'int64']),
    And: logic((a, b) => a === 1 && b === 1),
    Or: logic((a, b) => a === 1 || b === 1),
    Not: {
      inputs: [1, 1],
      shape: ({ where, need }) => [{ type: typeIn(where, need(0), 0, ['bool']), dims: need(0).dims }],
      run: ({ where, ins }) => [zipWith(where, [ins[0]!], 'bool', (a) => 1 - (a as number))],
    },
    Where: {
      inputs: [3, 3],
      shape: ({ where, need }) => {
        const [c, x, y] = [need(0), need(1), need(2)]
        if (c.type !== 'bool') throw new OnnxError(`${where}: the condition must be bool, got ${c.type}.`)
        return [{ type: sameType(where, [x, y]), dims: broadcastAll(where, [c.dims, x.dims, y.dims]) }]
      },
      cost: ({ out }) => ({ operations: 16 * out, scratch: 3 * out }),
      // Float values on the strided kernel (a mask selecting attention scores), when it pays.
      gpu: async (g, { planned, ins: [c, x, y] }) => {
        const dims = planned[0].dims
        if (c?.type !== 'bool' || !isFloat(x) || !isFloat(y)) return null
        if (dims.length > MAX_BROADCAST_RANK || size(dims) < GPU_MIN_ELEMENTS) return null
        return g.out(await broadcastOp(g.gpu, 'where', dims, g.up(x), g.up(y), g.upBool(c)), dims)
      },
      run: ({ planned, ins }) => {
        const [c, x, y] = ins as Tensor[]
        const dims = planned[0].dims
        const [oc, ox, oy] = [c, x, y].map((t) => broadcastOffsets(dims, t.dims))
        const [bx, by, out] = [bitsOf(x), bitsOf(y), allocBits(x.type, oc.length)]
        for (let o = 0; o < oc.length; o++) out[o] = c.data[oc[o]] === 1 ? bx[ox[o]] : by[oy[o]]
        return [fromBits(x.type, dims, out)]
      },
    },
  },
})
