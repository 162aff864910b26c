// Elementwise binary arithmetic (shaders/elementwise.wgsl, src/kernels/elementwise.ts): the engine's add
// (equal shapes, or a bias row over every row) and ONNX Add, Sub, Mul, Div with numpy broadcasting.
import { binary, binaryRef, type BinaryOp } from '../kernels/elementwise.ts'
import * as sf from '../kernels/softfloat.ts'
import { broadcast, broadcastDims, isFloat, type OnnxOp } from './onnx.ts'
import { defineOp } from './op.ts'

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

const onnxBinary = (op: BinaryOp, f: (x: number, y: number) => number): OnnxOp => ({
  inputs: [2, 2],
  shape: ({ where, float }) => [{ type: 'float', dims: broadcastDims(where, float(0), float(1)) }],
  run: ({ where, float }) => [broadcast(where, float(0), float(1), f)],
  gpu: async (g, { ins: [x, y] }) =>
    isFloat(x) && isFloat(y) && x.dims.join() === y.dims.join()
      ? g.out(await binary(g.gpu, op, g.up(x), g.up(y)), x.dims)
      : null,
})

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
