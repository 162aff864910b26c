// softmax over the last axis from exact sums (shaders/softmax.wgsl, src/kernels/softmax.ts): the
// engine's causal attention softmax and its gradient; ONNX Softmax over any axis.
import { softmax, softmaxBackward, softmaxBackwardRef, softmaxRef } from '../kernels/softmax.ts'
import { permuteRef } from '../kernels/permute.ts'
import { axisIn, float, isFloat, lastAxis, toRows } from './onnx.ts'
import { defineOp, type F64Tensor } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** Softmax over the last axis of [rows, T] blocks with a causal mask. */
    softmaxCausal(x: T): Promise<T>
    softmaxCausalGrad(y: T, dy: T): Promise<T>
  }
  interface TapeOps<T> {
    softmaxCausal(x: T): Promise<T>
  }
}

/** Plain float64 softmax of each row, over the first (r mod n) + 1 entries when causal. */
export function softmaxRows(x: F64Tensor, causal: boolean): F64Tensor {
  const n = x.shape[x.shape.length - 1]
  const out = new Float64Array(x.data.length)
  for (let r = 0; r < x.data.length / n; r++) {
    const len = causal ? (r % n) + 1 : n
    let m = -Infinity
    for (let k = 0; k < len; k++) m = Math.max(m, x.data[r * n + k])
    let s = 0
    for (let k = 0; k < len; k++) s += out[r * n + k] = Math.exp(x.data[r * n + k] - m)
    for (let k = 0; k < len; k++) out[r * n + k] /= s
  }
  return { data: out, shape: [...x.shape] }
}

export default defineOp({
  name: 'softmax',
  kernels: {
    softmaxCausal: {
      cpu: async (x) => ({ data: softmaxRef(x.data, x.shape, { causal: true }), shape: [...x.shape] }),
      gpu: (gpu, x) => softmax(gpu, x, { causal: true }),
      f64: async (x) => softmaxRows(x, true),
      trace: {
        record: (x) => ({ inputs: [x], args: [] }),
        replay: (be, [x]) => be.softmaxCausal(x),
      },
    },
    softmaxCausalGrad: {
      cpu: async (y, dy) => ({
        data: softmaxBackwardRef(y.data, dy.data, y.shape, { causal: true }),
        shape: [...y.shape],
      }),
      gpu: (gpu, y, dy) => softmaxBackward(gpu, y, dy, { causal: true }),
      f64: async (y, dy) => {
        const n = y.shape[y.shape.length - 1]
        const out = new Float64Array(y.data.length)
        for (let r = 0; r < y.data.length / n; r++) {
          let s = 0
          for (let k = 0; k < n; k++) s += y.data[r * n + k] * dy.data[r * n + k]
          for (let k = 0; k < n; k++) out[r * n + k] = y.data[r * n + k] * (dy.data[r * n + k] - s)
        }
        return { data: out, shape: [...y.shape] }
      },
      trace: {
        record: (y, dy) => ({ inputs: [y, dy], args: [] }),
        replay: (be, [y, dy]) => be.softmaxCausalGrad(y, dy),
      },
    },
  },
  tape: {
    softmaxCausal: async (tape, x) => {
      const y = tape.own(await tape.be.softmaxCausal(x))
      tape.record(async () => {
        const dy = tape.grad(y)
        if (dy) await tape.accumulate(x, tape.own(await tape.be.softmaxCausalGrad(y, dy)))
      })
      return y
    },
  },
  onnx: {
    Softmax: {
      inputs: [1, 1],
      shape: ({ node, where, float: dims }) => {
        const x = dims(0)
        axisIn(where, node.attrs.axis ?? -1, x.length)
        return [{ type: 'float', dims: x }]
      },
      // The axis is moved last (a copy) and each row computed from exact sums.
      cost: ({ x }) => ({ operations: 64 * x, scratch: 2 * x }),
      run: ({ node, where, float: input }) => {
        const x = input(0)
        const axis = axisIn(where, node.attrs.axis ?? -1, x.dims.length)
        const r = toRows(x, [axis])
        const y = softmaxRef(r.data, [r.rows, r.n])
        const inverse = r.order.map((_, i) => r.order.indexOf(i))
        return [float(x.dims, r.order.every((v, i) => v === i) ? y : permuteRef(y, r.permutedDims, inverse))]
      },
      gpu: async (g, c) => {
        const x = c.ins[0]
        // Before opset 13 Softmax flattened to 2-D from the axis: the same rows only at rank <= 2.
        if (!isFloat(x) || x.dims.length < 1 || !lastAxis(c, x) || (c.opset < 13 && x.dims.length > 2))
          return null
        const n = x.dims.at(-1)!
        return g.out(await softmax(g.gpu, g.up(x, [x.data.length / n, n])), x.dims)
      },
    },
  },
})
