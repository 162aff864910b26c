// rmsnorm over the last axis, y = x / sqrt(mean(x^2) + eps) * gamma (shaders/rmsnorm.wgsl,
// src/kernels/rmsnorm.ts, the norm library shaders/lib/norm.wgsl and src/kernels/norm.ts): the norm of
// LLaMA-style models, on every backend, on the tape and in traces. No ONNX operator: RMSNormalization
// entered the default domain in opset 23, beyond the runtime's 21.
import { rmsnorm, rmsnormBackward, rmsnormBackwardRef, rmsnormRef } from '../kernels/rmsnorm.ts'
import { defineOp } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** y and the saved divisor rms = sqrt(mean(x^2) + eps) per row ([rows]). */
    rmsnorm(x: T, gamma: T): Promise<{ y: T; rms: T }>
    rmsnormGrad(x: T, gamma: T, rms: T, dy: T): Promise<{ dx: T; dgamma: T }>
  }
  interface TapeOps<T> {
    rmsnorm(x: T, gamma: T): Promise<T>
  }
}

/** As layernorm's: the kernels' default, an f32 added to the mean square. */
const EPS = 1e-5

export default defineOp({
  name: 'rmsnorm',
  kernels: {
    rmsnorm: {
      cpu: async (x, gamma) => {
        const r = rmsnormRef(x.data, gamma.data, x.shape)
        return { y: { data: r.y, shape: [...x.shape] }, rms: { data: r.rms, shape: [r.rms.length] } }
      },
      gpu: (gpu, x, gamma) => rmsnorm(gpu, x, gamma),
      f64: async (x, g) => {
        const n = x.shape[x.shape.length - 1]
        const rows = x.data.length / n
        const y = new Float64Array(x.data.length)
        const rms = new Float64Array(rows)
        for (let r = 0; r < rows; r++) {
          const row = x.data.subarray(r * n, (r + 1) * n)
          rms[r] = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / n + EPS)
          for (let k = 0; k < n; k++) y[r * n + k] = (row[k] / rms[r]) * g.data[k]
        }
        return { y: { data: y, shape: [...x.shape] }, rms: { data: rms, shape: [rows] } }
      },
      trace: {
        record: (x, gamma) => ({ inputs: [x, gamma], args: [] }),
        replay: (be, [x, gamma]) => be.rmsnorm(x, gamma),
        outputs: (r) => [r.y, r.rms],
      },
    },
    rmsnormGrad: {
      cpu: async (x, gamma, rms, dy) => {
        const r = rmsnormBackwardRef(x.data, gamma.data, { rms: rms.data }, dy.data, x.shape)
        return {
          dx: { data: r.dx, shape: [...x.shape] },
          dgamma: { data: r.dgamma, shape: [...gamma.shape] },
        }
      },
      gpu: (gpu, x, gamma, rms, dy) => rmsnormBackward(gpu, x, gamma, { rms }, dy),
      f64: async (x, g, rms, dy) => {
        const n = x.shape[x.shape.length - 1]
        const dx = new Float64Array(x.data.length)
        const dg = new Float64Array(n)
        for (let r = 0; r < x.data.length / n; r++) {
          const xh = Array.from({ length: n }, (_, k) => x.data[r * n + k] / rms.data[r])
          const gy = Array.from({ length: n }, (_, k) => dy.data[r * n + k] * g.data[k])
          const c = gy.reduce((s, v, k) => s + v * xh[k], 0) / n
          for (let k = 0; k < n; k++) {
            dx[r * n + k] = (gy[k] - xh[k] * c) / rms.data[r]
            dg[k] += dy.data[r * n + k] * xh[k]
          }
        }
        return { dx: { data: dx, shape: [...x.shape] }, dgamma: { data: dg, shape: [n] } }
      },
      trace: {
        record: (x, gamma, rms, dy) => ({ inputs: [x, gamma, rms, dy], args: [] }),
        replay: (be, [x, gamma, rms, dy]) => be.rmsnormGrad(x, gamma, rms, dy),
        outputs: (r) => [r.dx, r.dgamma],
      },
    },
  },
  tape: {
    rmsnorm: async (tape, x, gamma) => {
      const { y, rms } = await tape.be.rmsnorm(x, gamma)
      tape.own(y)
      tape.own(rms)
      tape.record(async () => {
        const dy = tape.grad(y)
        if (!dy) return
        const { dx, dgamma } = await tape.be.rmsnormGrad(x, gamma, rms, dy)
        await tape.accumulate(x, tape.own(dx))
        await tape.accumulate(gamma, tape.own(dgamma))
      })
      return y
    },
  },
})
