// split: equal contiguous parts along axis 0 (buffer copies on the GPU); ONNX Split along any axis.
import { ShapeError } from '../errors/gpu.ts'
import { OnnxShapeError } from '../errors/infer.ts'
import { empty } from '../gpu/tensor.ts'
import { axisIn, float } from './onnx.ts'
import { defineOp, size } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** Splits along axis 0 into `parts` equal contiguous tensors. */
    split(x: T, parts: number): Promise<T[]>
  }
  interface TapeOps<T> {
    split(x: T, parts: number): Promise<T[]>
  }
}

/** The shape of each of `parts` equal parts of `shape` along axis 0. */
function partShape(shape: readonly number[], parts: number): number[] {
  if (shape[0] % parts !== 0) throw new ShapeError(`Cannot split [${shape}] into ${parts} along axis 0.`)
  return [shape[0] / parts, ...shape.slice(1)]
}

export default defineOp({
  name: 'split',
  kernels: {
    split: {
      cpu: async (x, parts) => {
        const n = x.data.length / parts
        const shape = partShape(x.shape, parts)
        return Array.from({ length: parts }, (_, i) => ({ data: x.data.slice(i * n, (i + 1) * n), shape }))
      },
      gpu: async (gpu, x, parts) => {
        const shape = partShape(x.shape, parts)
        const bytes = size(shape) * 4
        return Array.from({ length: parts }, (_, i) => {
          const part = empty(gpu, shape)
          gpu.copy(x.buffer, i * bytes, part.buffer, 0, bytes)
          return part
        })
      },
      f64: async (x, parts) => {
        const n = x.data.length / parts
        const shape = [x.shape[0] / parts, ...x.shape.slice(1)]
        return Array.from({ length: parts }, (_, i) => ({ data: x.data.slice(i * n, (i + 1) * n), shape }))
      },
      trace: {
        record: (x, parts) => ({ inputs: [x], args: [parts] }),
        replay: (be, [x], [parts]) => be.split(x, parts),
      },
    },
  },
  tape: {
    split: async (tape, x, parts) => {
      const { be } = tape
      const ys = (await be.split(x, parts)).map((y) => tape.own(y))
      tape.record(async () => {
        if (ys.every((y) => !tape.grad(y))) return
        const zeros = (y: (typeof ys)[number]) =>
          tape.own(be.upload(new Float32Array(size(be.shape(y))), be.shape(y)))
        await tape.accumulate(x, tape.own(await be.concat(ys.map((y) => tape.grad(y) ?? zeros(y)))))
      })
      return ys
    },
  },
  onnx: {
    Split: {
      inputs: [1, 2],
      outputs: 'many',
      shape: ({ node, where, float: dims, ints, ins }) => {
        const x = dims(0)
        const axis = axisIn(where, node.attrs.axis ?? 0, x.length)
        const outs = node.outputs.length
        const parts = ins[1] ? ints(1, 'split') : new Array<number>(outs).fill(x[axis] / outs)
        if (
          parts.length !== outs ||
          parts.some((p) => !Number.isInteger(p) || p < 0) ||
          parts.reduce((p, q) => p + q, 0) !== x[axis]
        )
          throw new OnnxShapeError(
            `${where}: parts [${parts}] do not divide axis ${axis} of [${x}] into ${outs} outputs.`,
          )
        return parts.map((p) => ({ type: 'float', dims: x.map((d, i) => (i === axis ? p : d)) }))
      },
      cost: ({ out }) => ({ operations: 16 * out }),
      run: ({ node, where, float: input, planned }) => {
        const x = input(0)
        const axis = axisIn(where, node.attrs.axis ?? 0, x.dims.length)
        const parts = planned.map((p) => p.dims[axis])
        const outer = size(x.dims.slice(0, axis))
        const inner = size(x.dims.slice(axis + 1))
        let start = 0
        return parts.map((p) => {
          const out = new Float32Array(outer * p * inner)
          for (let o = 0; o < outer; o++)
            out.set(
              x.data.subarray((o * x.dims[axis] + start) * inner, (o * x.dims[axis] + start + p) * inner),
              o * p * inner,
            )
          start += p
          const dims = [...x.dims]
          dims[axis] = p
          return float(dims, out)
        })
      },
    },
  },
})
