// concat: tensors joined along axis 0 (buffer copies on the GPU), the inverse of split; ONNX Concat
// along any axis, of any one element type (bit copies).
import { OnnxShapeError } from '../errors/infer.ts'
import { empty } from '../gpu/tensor.ts'
import { alloc, axisIn, sameType, typed, type Tensor } from './onnx.ts'
import { defineOp, size } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** Concatenates along axis 0 (the inverse of split). */
    concat(ts: readonly T[]): Promise<T>
  }
}

const joined = (xs: readonly { shape: readonly number[] }[]) => [
  xs.reduce((n, x) => n + x.shape[0], 0),
  ...xs[0].shape.slice(1),
]

export default defineOp({
  name: 'concat',
  kernels: {
    concat: {
      cpu: async (xs) => {
        const data = new Float32Array(xs.reduce((n, x) => n + x.data.length, 0))
        let at = 0
        for (const x of xs) {
          data.set(x.data, at)
          at += x.data.length
        }
        return { data, shape: joined(xs) }
      },
      gpu: async (gpu, xs) => {
        const out = empty(gpu, joined(xs))
        let at = 0
        for (const x of xs) {
          const bytes = size(x.shape) * 4
          gpu.copy(x.buffer, 0, out.buffer, at, bytes)
          at += bytes
        }
        return out
      },
      f64: async (xs) => {
        const data = new Float64Array(xs.reduce((n, x) => n + x.data.length, 0))
        let at = 0
        for (const x of xs) {
          data.set(x.data, at)
          at += x.data.length
        }
        return { data, shape: joined(xs) }
      },
      trace: {
        record: (xs) => ({ inputs: [...xs], args: [] }),
        replay: (be, xs) => be.concat(xs),
      },
    },
  },
  onnx: {
    Concat: {
      inputs: [1, Infinity],
      shape: ({ node, where, need }) => {
        const type = sameType(
          where,
          node.inputs.map((_, i) => need(i)),
        )
        const xs = node.inputs.map((_, i) => need(i).dims)
        const rank = xs[0].length
        const axis = axisIn(where, node.attrs.axis, rank)
        xs.forEach((d, i) => {
          if (d.length !== rank || d.some((v, j) => j !== axis && v !== xs[0][j]))
            throw new OnnxShapeError(
              `${where}: input ${i} [${d}] does not fit input 0 [${xs[0]}] beside axis ${node.attrs.axis}.`,
            )
        })
        const out = [...xs[0]]
        out[axis] = xs.reduce((p, d) => p + d[axis], 0)
        return [{ type, dims: out }]
      },
      // Copies that may move one element at a time (Concat of [N, 1] on axis 1).
      cost: ({ out }) => ({ operations: 16 * out }),
      run: ({ where, node, ins, planned }) => {
        const xs = ins as Tensor[]
        const axis = axisIn(where, node.attrs.axis, xs[0].dims.length)
        const outer = size(xs[0].dims.slice(0, axis))
        const chunks = xs.map((t) => size(t.dims.slice(axis)))
        const out = alloc(xs[0].type, outer * chunks.reduce((p, q) => p + q, 0)) as Float32Array
        let at = 0
        for (let o = 0; o < outer; o++)
          xs.forEach(
            (t, i) => (
              out.set((t.data as Float32Array).subarray(o * chunks[i], (o + 1) * chunks[i]), at),
              (at += chunks[i])
            ),
          )
        return [typed(xs[0].type, planned[0].dims, out)]
      },
    },
  },
})
