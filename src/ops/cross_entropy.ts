// cross-entropy of logits against one target per row, and its gradient (shaders/cross_entropy.wgsl,
// src/kernels/cross_entropy.ts): the loss the engine trains on, the root of backward().
import {
  crossEntropy,
  crossEntropyBackward,
  crossEntropyBackwardRef,
  crossEntropyRef,
} from '../kernels/cross_entropy.ts'
import { release } from '../gpu/tensor.ts'
import { softmaxRows } from './softmax.ts'
import { defineOp } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** Mean cross-entropy of logits [rows, vocab] against one target per row, as a [1] tensor. */
    crossEntropy(logits: T, targets: Int32Array): Promise<T>
    /** d(mean loss)/d(logits). */
    crossEntropyGrad(logits: T, targets: Int32Array): Promise<T>
  }
  interface TapeOps<T> {
    /** The mean cross-entropy, a [1] tensor: the root of backward(). */
    crossEntropy(logits: T, targets: Int32Array): Promise<T>
  }
}

const ids = (x: unknown) => Int32Array.from(x as number[])

export default defineOp({
  name: 'cross_entropy',
  kernels: {
    crossEntropy: {
      cpu: async (logits, targets) => ({
        data: new Float32Array([crossEntropyRef(logits.data, logits.shape, targets).mean]),
        shape: [1],
      }),
      gpu: async (gpu, logits, targets) => {
        const { losses, mean } = await crossEntropy(gpu, logits, targets)
        release(gpu, losses)
        return { ...mean, shape: [1] }
      },
      f64: async (logits, targets) => {
        const n = logits.shape[logits.shape.length - 1]
        const rows = logits.data.length / n
        let total = 0
        for (let r = 0; r < rows; r++) {
          const row = logits.data.subarray(r * n, (r + 1) * n)
          const m = Math.max(...row)
          const s = row.reduce((a, v) => a + Math.exp(v - m), 0)
          total += Math.log(s) - (row[targets[r]] - m)
        }
        return { data: new Float64Array([total / rows]), shape: [1] }
      },
      trace: {
        record: (logits, targets) => ({ inputs: [logits], args: [Array.from(targets)] }),
        replay: (be, [logits], [targets]) => be.crossEntropy(logits, ids(targets)),
      },
    },
    crossEntropyGrad: {
      cpu: async (logits, targets) => ({
        data: crossEntropyBackwardRef(logits.data, logits.shape, targets),
        shape: [...logits.shape],
      }),
      gpu: (gpu, logits, targets) => crossEntropyBackward(gpu, logits, targets),
      f64: async (logits, targets) => {
        const p = softmaxRows(logits, false)
        const n = logits.shape[logits.shape.length - 1]
        const rows = logits.data.length / n
        for (let r = 0; r < rows; r++) p.data[r * n + targets[r]] -= 1
        return { data: p.data.map((v) => v / rows), shape: [...logits.shape] }
      },
      trace: {
        record: (logits, targets) => ({ inputs: [logits], args: [Array.from(targets)] }),
        replay: (be, [logits], [targets]) => be.crossEntropyGrad(logits, ids(targets)),
      },
    },
  },
  tape: {
    crossEntropy: async (tape, logits, targets) => {
      const loss = tape.own(await tape.be.crossEntropy(logits, targets))
      tape.record(async () => {
        // The backend's gradient is already d(mean loss)/d(logits): the seed is taken as 1.
        if (tape.grad(loss))
          await tape.accumulate(logits, tape.own(await tape.be.crossEntropyGrad(logits, targets)))
      })
      return loss
    },
  },
})
