// Elementwise functions of one tensor (shaders/elementwise.wgsl, src/kernels/elementwise.ts) as ONNX
// runs them: Sqrt, Relu, Sigmoid, Tanh, Exp, Log, Neg, Abs (and int64 Neg, Abs), Erf, Sin, Cos
// (src/kernels/special.ts), Reciprocal, and Pow by a scalar exponent.
import { OnnxError } from '../errors/infer.ts'
import { unary, unaryRef, type UnaryOp } from '../kernels/elementwise.ts'
import * as sf from '../kernels/softfloat.ts'
import { broadcastDims, float, isFloat, type OnnxOp } from './onnx.ts'
import { defineOp, size } from './op.ts'

/**
 * Softfloat transcendentals cost about 100 ns an element on the CPU reference, against 20 for an add
 * (docs/receipts.md, "Budgets").
 */
const onnxUnary = (op: UnaryOp, slow: boolean): OnnxOp => ({
  inputs: [1, 1],
  shape: ({ float }) => [{ type: 'float', dims: float(0) }],
  cost: ({ out }) => ({ operations: (slow ? 16 : 4) * out }),
  run: ({ float: input }) => {
    const x = input(0)
    return [float(x.dims, unaryRef(op, x.data))]
  },
  gpu: async (g, { ins: [x] }) => (isFloat(x) ? g.out(await unary(g.gpu, op, g.up(x)), x.dims) : null),
})

/** Neg and Abs take int64 too (torch exports `x[:, -n:]` with an int64 Neg); it wraps at 64 bits. */
const withInt64 = (op: OnnxOp, f: (v: bigint) => bigint): OnnxOp => ({
  ...op,
  shape: (c) => {
    const x = c.need(0)
    return x.type === 'int64' ? [{ type: 'int64', dims: x.dims }] : op.shape(c)
  },
  run: (c) => {
    const x = c.ins[0]
    if (x?.type !== 'int64') return op.run(c)
    return [{ type: 'int64', dims: x.dims, data: BigInt64Array.from(x.data, (v) => BigInt.asIntN(64, f(v))) }]
  },
})

/** x^p for the exponents with an exact softfloat form. */
function power(p: number): ((v: number) => number) | null {
  if (p === 2) return (v) => sf.mul(v, v)
  if (p === 3) return (v) => sf.mul(sf.mul(v, v), v)
  if (p === 1) return (v) => sf.canon(v)
  if (p === 0.5) return sf.sqrt
  if (p === -1) return (v) => sf.div(1, v)
  return null
}

export default defineOp({
  name: 'unary',
  onnx: {
    Sqrt: onnxUnary('sqrt', true),
    Relu: onnxUnary('relu', false),
    Sigmoid: onnxUnary('sigmoid', true),
    Tanh: onnxUnary('tanh', true),
    Exp: onnxUnary('exp', true),
    Log: onnxUnary('log', true),
    Neg: withInt64(onnxUnary('neg', false), (v) => -v),
    Abs: withInt64(onnxUnary('abs', false), (v) => (v < 0n ? -v : v)),
    Erf: onnxUnary('erf', true),
    Sin: onnxUnary('sin', true),
    Cos: onnxUnary('cos', true),
    Reciprocal: onnxUnary('reciprocal', false),
    Pow: {
      inputs: [2, 2],
      shape: ({ where, float }) => {
        const [x, e] = [float(0), float(1)]
        if (size(e) !== 1) throw new OnnxError(`${where}: only a scalar exponent is supported.`)
        return [{ type: 'float', dims: broadcastDims(where, x, e) }]
      },
      cost: ({ out }) => ({ operations: 16 * out }),
      run: ({ where, float: input, planned }) => {
        const x = input(0)
        const p = input(1).data[0]
        const f = power(p)
        if (!f) throw new OnnxError(`${where}: exponent ${p} is not supported (2, 3, 1, 0.5 and -1 are).`)
        // The exponent's dims broadcast with x's: [3] ^ [1, 1] is [1, 3], as in onnxruntime.
        return [
          float(
            planned[0].dims,
            sf.f32Array(x.data.length, (i) => f(x.data[i])),
          ),
        ]
      },
    },
  },
})
