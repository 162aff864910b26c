// linear: a matmul with the elementwise steps that follow it in a GPT fused into its output (the
// matmul kernel's epilogue, src/kernels/matmul.ts): a bias, a residual add, an attention scale. The
// same steps run in the same order per element as scale, add and add would, so the bits are those of
// the unfused ops, and so are the gradients: each rule below accumulates into its inputs in the order
// the unfused ops' records would.
import { epilogueRef, matmul, matmulRef, planMatmul } from '../kernels/matmul.ts'
import { defineOp, type F64Tensor } from './op.ts'
import { matmulF64, type Transposes } from './matmul.ts'

/** The epilogue's steps, in the order they apply: ·scale, + bias (a row), residual +. */
export interface Epilogue<T> {
  scale?: number
  bias?: T
  residual?: T
}

/** What a trace keeps of an epilogue besides its tensors. */
type RecordedEpilogue = { scale?: number; bias: boolean; residual: boolean }

declare module './op.ts' {
  interface Kernels<T> {
    /** residual + (a · b · scale + bias), each step optional: the unfused ops' bits in one kernel. */
    matmulEpilogue(a: T, b: T, opts: Transposes, epilogue: Epilogue<T>): Promise<T>
  }
  interface TapeOps<T> {
    /** y = x · w + b, plus `residual` when given: a linear layer (and its residual add) in one kernel. */
    linear(x: T, w: T, b: T, residual?: T): Promise<T>
    /** y = s (a · bᵀ) when transB (attention scores), else s (a · b). */
    scaledMatmul(a: T, b: T, s: number, opts?: { transB?: boolean }): Promise<T>
  }
}

function f64Epilogue(c: F64Tensor, e: Epilogue<F64Tensor>): F64Tensor {
  const n = c.shape[c.shape.length - 1]
  const data = c.data.map((v, i) => {
    let y = e.scale === undefined ? v : v * e.scale
    if (e.bias) y += e.bias.data[i % n]
    return e.residual ? e.residual.data[i] + y : y
  })
  return { data, shape: c.shape }
}

export default defineOp({
  name: 'linear',
  kernels: {
    matmulEpilogue: {
      cpu: async (a, b, opts, e) => ({
        data: epilogueRef(matmulRef(a.data, a.shape, b.data, b.shape, opts), {
          scale: e.scale,
          bias: e.bias?.data,
          residual: e.residual?.data,
        }),
        shape: planMatmul(a.shape, b.shape, opts).outShape,
      }),
      gpu: (gpu, a, b, opts, e) => matmul(gpu, a, b, opts, e),
      f64: async (a, b, opts, e) => f64Epilogue(matmulF64(a, b, opts.transA, opts.transB), e),
      trace: {
        record: (a, b, opts, e) => ({
          inputs: [a, b, ...(e.bias ? [e.bias] : []), ...(e.residual ? [e.residual] : [])],
          // Records are JSON: no key is left undefined (a trace file would drop it and read as another record).
          args: [
            opts,
            { ...(e.scale === undefined ? {} : { scale: e.scale }), bias: !!e.bias, residual: !!e.residual },
          ],
        }),
        replay: (be, [a, b, ...rest], [opts, e]) => {
          const { scale, ...has }: RecordedEpilogue = e
          const bias = has.bias ? rest.shift() : undefined
          const residual = has.residual ? rest.shift() : undefined
          return be.matmulEpilogue(a, b, opts as Transposes, { scale, bias, residual })
        },
      },
    },
  },
  tape: {
    linear: async (tape, x, w, b, residual) => {
      const { be } = tape
      const y = tape.own(await be.matmulEpilogue(x, w, {}, { bias: b, residual }))
      tape.record(async () => {
        const dy = tape.grad(y)
        if (!dy) return
        // As add(residual, ·), then add(·, b), then matmul(x, w) would, in reverse.
        if (residual) await tape.accumulate(residual, dy)
        await tape.accumulate(b, tape.own(await be.columnSums(dy)))
        await tape.accumulate(x, tape.own(await be.matmul(dy, w, { transB: true })))
        await tape.accumulate(w, tape.own(await be.matmul(x, dy, { transA: true })))
      })
      return y
    },
    scaledMatmul: async (tape, a, b, s, opts = {}) => {
      const { be } = tape
      const y = tape.own(await be.matmulEpilogue(a, b, opts, { scale: s }))
      tape.record(async () => {
        const dy = tape.grad(y)
        if (!dy) return
        // As scale(·, s), then matmul(a, b), would.
        const ds = tape.own(await be.scale(dy, s))
        if (opts.transB) {
          await tape.accumulate(a, tape.own(await be.matmul(ds, b)))
          await tape.accumulate(b, tape.own(await be.matmul(ds, a, { transA: true })))
        } else {
          await tape.accumulate(a, tape.own(await be.matmul(ds, b, { transB: true })))
          await tape.accumulate(b, tape.own(await be.matmul(a, ds, { transA: true })))
        }
      })
      return y
    },
  },
})
