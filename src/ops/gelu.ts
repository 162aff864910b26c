// gelu: the engine's tanh GELU and its gradient (shaders/elementwise.wgsl, src/kernels/elementwise.ts);
// ONNX Gelu (opset 20), exact (erf) or tanh.
import { OnnxError } from '../errors/infer.ts'
import { grad, gradRef, unary, unaryRef } from '../kernels/elementwise.ts'
import { float, isFloat } from './onnx.ts'
import { defineOp } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    gelu(x: T): Promise<T>
    /** dx = gelu'(x) dy. */
    geluGrad(x: T, dy: T): Promise<T>
  }
  interface TapeOps<T> {
    gelu(x: T): Promise<T>
  }
}

const GELU_C = Math.sqrt(2 / Math.PI)
const geluF = (x: number) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3)))
function geluD(x: number): number {
  const u = GELU_C * (x + 0.044715 * x ** 3)
  const th = Math.tanh(u)
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_C * (1 + 3 * 0.044715 * x * x)
}
const onnxForm = { none: 'geluErf', tanh: 'geluTanh' } as const
/** The kernel of an approximate attribute the shape pass accepted (none or tanh). */
const formOf = (approximate: unknown) => (approximate === 'tanh' ? 'geluTanh' : 'geluErf')

export default defineOp({
  name: 'gelu',
  kernels: {
    gelu: {
      cpu: async (x) => ({ data: unaryRef('geluTanh', x.data), shape: [...x.shape] }),
      gpu: (gpu, x) => unary(gpu, 'geluTanh', x),
      f64: async (x) => ({ data: x.data.map(geluF), shape: [...x.shape] }),
      trace: {
        record: (x) => ({ inputs: [x], args: [] }),
        replay: (be, [x]) => be.gelu(x),
      },
    },
    geluGrad: {
      cpu: async (x, dy) => ({ data: gradRef('geluTanh', x.data, dy.data), shape: [...x.shape] }),
      gpu: (gpu, x, dy) => grad(gpu, 'geluTanh', x, dy),
      f64: async (x, dy) => ({ data: x.data.map((v, i) => geluD(v) * dy.data[i]), shape: [...x.shape] }),
      trace: {
        record: (x, dy) => ({ inputs: [x, dy], args: [] }),
        replay: (be, [x, dy]) => be.geluGrad(x, dy),
      },
    },
  },
  tape: {
    gelu: async (tape, x) => {
      const y = tape.own(await tape.be.gelu(x))
      tape.record(async () => {
        const dy = tape.grad(y)
        if (dy) await tape.accumulate(x, tape.own(await tape.be.geluGrad(x, dy)))
      })
      return y
    },
  },
  onnx: {
    Gelu: {
      inputs: [1, 1],
      since: 20,
      shape: ({ node, where, float }) => {
        if (!Object.hasOwn(onnxForm, String(node.attrs.approximate ?? 'none')))
          throw new OnnxError(`${where}: approximate="${node.attrs.approximate}" is not defined.`)
        return [{ type: 'float', dims: float(0) }]
      },
      cost: ({ out }) => ({ operations: 16 * out }),
      run: ({ node, float: input }) => {
        const x = input(0)
        return [float(x.dims, unaryRef(formOf(node.attrs.approximate), x.data))]
      },
      gpu: async (g, { node, ins: [x] }) => {
        return isFloat(x) ? g.out(await unary(g.gpu, formOf(node.attrs.approximate), g.up(x)), x.dims) : null
      },
    },
  },
})
