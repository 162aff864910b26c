// cross-entropy of logits against one target per row, and its gradient (shaders/cross_entropy.wgsl,
// src/kernels/cross_entropy.ts): the loss the engine trains on, the root of backward(). The mean for
// language-model steps; the weighted sum for GRPO (src/rl/grpo.ts), whose per-token weights carry the
// advantages; the per-row losses alone for the log-probabilities GRPO weighs them by.
import {
  crossEntropy,
  crossEntropyBackward,
  crossEntropyBackwardRef,
  crossEntropyRef,
  crossEntropyWeighted,
  crossEntropyWeightedBackward,
  crossEntropyWeightedBackwardRef,
  crossEntropyWeightedRef,
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
    /** Each row's cross-entropy, a [rows] tensor: minus the log-probability of its target. */
    crossEntropyRows(logits: T, targets: Int32Array): Promise<T>
    /** Σ_r weights[r]·loss_r as a [1] tensor: each product rounded once, the sum exact. */
    crossEntropyWeighted(logits: T, targets: Int32Array, weights: Float32Array): Promise<T>
    /** d(weighted sum)/d(logits): (softmax − onehot)·weights[r]. */
    crossEntropyWeightedGrad(logits: T, targets: Int32Array, weights: Float32Array): Promise<T>
  }
  interface TapeOps<T> {
    /** The mean cross-entropy, a [1] tensor: the root of backward(). */
    crossEntropy(logits: T, targets: Int32Array): Promise<T>
    /** The weighted sum of the rows' cross-entropies, a [1] tensor: the root of backward(). */
    crossEntropyWeighted(logits: T, targets: Int32Array, weights: Float32Array): Promise<T>
  }
}

const ids = (x: unknown) => Int32Array.from(x as number[])
// Weights travel in a trace as their f32 bits: JSON keeps every u32, but not a -0 (which changes the
// sign of a zero gradient) or a NaN.
const weightBits = (w: Float32Array) => Array.from(new Uint32Array(Float32Array.from(w).buffer))
const f32s = (x: unknown) => new Float32Array(Uint32Array.from(x as number[]).buffer)

/** float64 (max, log Σ exp(x − max)) of each row, for the f64 kernels. */
function rowsOf(logits: { data: Float64Array; shape: readonly number[] }) {
  const n = logits.shape[logits.shape.length - 1]
  const rows = logits.data.length / n
  return Array.from({ length: rows }, (_, r) => {
    const row = logits.data.subarray(r * n, (r + 1) * n)
    const m = Math.max(...row)
    return { row, m, lse: Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) }
  })
}

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
    crossEntropyRows: {
      cpu: async (logits, targets) => ({
        data: crossEntropyRef(logits.data, logits.shape, targets).losses,
        shape: [logits.shape[0]],
      }),
      gpu: async (gpu, logits, targets) => {
        const { losses, mean } = await crossEntropy(gpu, logits, targets)
        release(gpu, mean)
        return losses
      },
      f64: async (logits, targets) => ({
        data: Float64Array.from(rowsOf(logits), ({ row, m, lse }, r) => lse - (row[targets[r]] - m)),
        shape: [logits.shape[0]],
      }),
      trace: {
        record: (logits, targets) => ({ inputs: [logits], args: [Array.from(targets)] }),
        replay: (be, [logits], [targets]) => be.crossEntropyRows(logits, ids(targets)),
      },
    },
    crossEntropyWeighted: {
      cpu: async (logits, targets, weights) => ({
        data: new Float32Array([crossEntropyWeightedRef(logits.data, logits.shape, targets, weights).sum]),
        shape: [1],
      }),
      gpu: async (gpu, logits, targets, weights) => {
        const { losses, sum } = await crossEntropyWeighted(gpu, logits, targets, weights)
        release(gpu, losses)
        return { ...sum, shape: [1] }
      },
      f64: async (logits, targets, weights) => {
        const total = rowsOf(logits).reduce(
          (a, { row, m, lse }, r) => a + weights[r] * (lse - (row[targets[r]] - m)),
          0,
        )
        return { data: new Float64Array([total]), shape: [1] }
      },
      trace: {
        record: (logits, targets, weights) => ({
          inputs: [logits],
          args: [Array.from(targets), weightBits(weights)],
        }),
        replay: (be, [logits], [targets, weights]) =>
          be.crossEntropyWeighted(logits, ids(targets), f32s(weights)),
      },
    },
    crossEntropyWeightedGrad: {
      cpu: async (logits, targets, weights) => ({
        data: crossEntropyWeightedBackwardRef(logits.data, logits.shape, targets, weights),
        shape: [...logits.shape],
      }),
      gpu: (gpu, logits, targets, weights) => crossEntropyWeightedBackward(gpu, logits, targets, weights),
      f64: async (logits, targets, weights) => {
        const p = softmaxRows(logits, false)
        const n = logits.shape[logits.shape.length - 1]
        for (let r = 0; r < p.data.length / n; r++) {
          p.data[r * n + targets[r]] -= 1
          for (let k = 0; k < n; k++) p.data[r * n + k] *= weights[r]
        }
        return { data: p.data, shape: [...logits.shape] }
      },
      trace: {
        record: (logits, targets, weights) => ({
          inputs: [logits],
          args: [Array.from(targets), weightBits(weights)],
        }),
        replay: (be, [logits], [targets, weights]) =>
          be.crossEntropyWeightedGrad(logits, ids(targets), f32s(weights)),
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
    crossEntropyWeighted: async (tape, logits, targets, weights) => {
      const loss = tape.own(await tape.be.crossEntropyWeighted(logits, targets, weights))
      tape.record(async () => {
        // As crossEntropy: the backend's gradient is already that of the weighted sum (seed 1).
        if (tape.grad(loss))
          await tape.accumulate(
            logits,
            tape.own(await tape.be.crossEntropyWeightedGrad(logits, targets, weights)),
          )
      })
      return loss
    },
  },
})
