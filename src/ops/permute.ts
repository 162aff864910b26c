// permute: the axes of a tensor reordered, an exact copy (shaders/permute.wgsl, src/kernels/permute.ts);
// ONNX Transpose, of tensors of any type.
import { OnnxShapeError } from '../errors/infer.ts'
import { permute, permuteRef, planPermute } from '../kernels/permute.ts'
import { float, type Tensor } from './onnx.ts'
import { defineOp } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    permute(x: T, order: readonly number[]): Promise<T>
  }
  interface TapeOps<T> {
    permute(x: T, order: readonly number[]): Promise<T>
  }
}

export default defineOp({
  name: 'permute',
  kernels: {
    permute: {
      cpu: async (x, order) => ({
        data: permuteRef(x.data, x.shape, order),
        shape: planPermute(x.shape, order).outShape,
      }),
      gpu: (gpu, x, order) => permute(gpu, x, order),
      f64: async (x, order) => {
        const shape = order.map((a) => x.shape[a])
        const stride: number[] = []
        let s = 1
        for (let i = x.shape.length - 1; i >= 0; i--) {
          stride[i] = s
          s *= x.shape[i]
        }
        const out = new Float64Array(x.data.length)
        const idx = new Array(shape.length).fill(0)
        for (let o = 0; o < out.length; o++) {
          let src = 0
          for (let i = 0; i < shape.length; i++) src += idx[i] * stride[order[i]]
          out[o] = x.data[src]
          for (let i = shape.length - 1; i >= 0 && ++idx[i] === shape[i]; i--) idx[i] = 0
        }
        return { data: out, shape }
      },
      trace: {
        record: (x, order) => ({ inputs: [x], args: [[...order]] }),
        replay: (be, [x], [order]) => be.permute(x, order),
      },
    },
  },
  tape: {
    permute: async (tape, x, order) => {
      const y = tape.own(await tape.be.permute(x, order))
      const inverse = order.map((_, i) => order.indexOf(i))
      tape.record(async () => {
        const dy = tape.grad(y)
        if (dy) await tape.accumulate(x, tape.own(await tape.be.permute(dy, inverse)))
      })
      return y
    },
  },
  onnx: {
    Transpose: {
      inputs: [1, 1],
      shape: ({ node, where, need }) => {
        const x = need(0).dims
        const perm = permOf(node.attrs.perm, x.length)
        const ok =
          perm.length === x.length &&
          perm.every((p, i) => Number.isInteger(p) && p >= 0 && p < x.length && perm.indexOf(p) === i)
        if (!ok)
          throw new OnnxShapeError(`${where}: perm [${perm}] is not a permutation of rank ${x.length}.`)
        return [{ type: need(0).type, dims: perm.map((p) => x[p]) }]
      },
      // A copy that may move one element at a time; integers go through an index permutation (scratch).
      cost: ({ out, x, outs }) => ({ operations: 16 * out, scratch: outs[0].type === 'float' ? 0 : 2 * x }),
      run: ({ node, ins, planned }) => {
        const x = ins[0]!
        const perm = permOf(node.attrs.perm, x.dims.length)
        const dims = planned[0].dims
        return [
          x.type === 'float'
            ? float(dims, permuteRef(x.data, x.dims, perm))
            : ({ type: x.type, dims, data: permuteInt(x.data, x.dims, perm) } as Tensor),
        ]
      },
    },
  },
})

/** The perm attribute, by default the axes reversed. */
const permOf = (perm: unknown, rank: number): number[] =>
  Array.isArray(perm) ? perm : Array.from({ length: rank }, (_, i) => rank - 1 - i)

function permuteInt<T extends Tensor['data']>(data: T, dims: number[], perm: number[]): T {
  const idx = permuteRef(
    Int32Array.from({ length: data.length }, (_, i) => i),
    dims,
    perm,
  )
  const out = new (data.constructor as new (n: number) => T)(data.length)
  idx.forEach((i, o) => (out[o] = data[i]))
  return out
}
