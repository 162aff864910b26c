// embedding: rows of a table by token id, and the gradient that sums dy back into the table's rows
// in a fixed order (shaders/embedding.wgsl, src/kernels/embedding.ts).
import { embedding, embeddingBackward, embeddingBackwardRef, embeddingRef } from '../kernels/embedding.ts'
import { defineOp } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    embedding(table: T, ids: Int32Array): Promise<T>
    /** [rows, d] gradients summed into [vocab, d] by id. */
    embeddingGrad(dy: T, ids: Int32Array, vocab: number): Promise<T>
  }
  interface TapeOps<T> {
    embedding(table: T, ids: Int32Array): Promise<T>
  }
}

const ids = (x: unknown) => Int32Array.from(x as number[])

export default defineOp({
  name: 'embedding',
  kernels: {
    embedding: {
      cpu: async (table, ids) => ({
        data: embeddingRef(table.data, table.shape, ids),
        shape: [ids.length, table.shape[1]],
      }),
      gpu: (gpu, table, ids) => embedding(gpu, table, ids),
      f64: async (table, ids) => {
        const d = table.shape[1]
        const out = new Float64Array(ids.length * d)
        ids.forEach((id, r) => out.set(table.data.subarray(id * d, (id + 1) * d), r * d))
        return { data: out, shape: [ids.length, d] }
      },
      trace: {
        record: (table, ids) => ({ inputs: [table], args: [Array.from(ids)] }),
        replay: (be, [table], [a]) => be.embedding(table, ids(a)),
      },
    },
    embeddingGrad: {
      cpu: async (dy, ids, vocab) => ({
        data: embeddingBackwardRef(dy.data, dy.shape, ids, vocab),
        shape: [vocab, dy.shape[dy.shape.length - 1]],
      }),
      gpu: (gpu, dy, ids, vocab) => embeddingBackward(gpu, dy, ids, vocab),
      f64: async (dy, ids, vocab) => {
        const d = dy.shape[dy.shape.length - 1]
        const out = new Float64Array(vocab * d)
        ids.forEach((id, r) => {
          for (let k = 0; k < d; k++) out[id * d + k] += dy.data[r * d + k]
        })
        return { data: out, shape: [vocab, d] }
      },
      trace: {
        record: (dy, ids, vocab) => ({ inputs: [dy], args: [Array.from(ids), vocab] }),
        replay: (be, [dy], [a, vocab]) => be.embeddingGrad(dy, ids(a), vocab),
      },
    },
  },
  tape: {
    embedding: async (tape, table, ids) => {
      const y = tape.own(await tape.be.embedding(table, ids))
      const vocab = tape.be.shape(table)[0]
      tape.record(async () => {
        const dy = tape.grad(y)
        if (dy) await tape.accumulate(table, tape.own(await tape.be.embeddingGrad(dy, ids, vocab)))
      })
      return y
    },
  },
})
