// The optimizer (shaders/adamw.wgsl, src/kernels/adamw.ts): the global gradient norm for clipping, from
// one exact sum, and the AdamW step, in place on the parameter and its moments.
import { adamw, adamwRef, globalGradNorm, globalGradNormRef } from '../kernels/adamw.ts'
import { downloadF32, release } from '../gpu/tensor.ts'
import { defineOp } from './op.ts'

// Declared beside the kernels (src/kernels/adamw.ts), so that the trainer's stepper can name it without
// importing the op registry's modules.
export type { AdamHyper } from '../kernels/adamw.ts'
import type { AdamHyper } from '../kernels/adamw.ts'

declare module './op.ts' {
  interface Kernels<T> {
    /** sqrt(Σ x²) over all the tensors: the global gradient norm (exact sum, rounded once). */
    gradNorm(ts: readonly T[]): Promise<number>
    /** One AdamW step, in place on p, m and v. */
    adamw(p: T, g: T, m: T, v: T, h: AdamHyper): Promise<void>
  }
}

export default defineOp({
  name: 'adamw',
  kernels: {
    gradNorm: {
      cpu: async (xs) => globalGradNormRef(xs.map((x) => x.data)),
      gpu: async (gpu, xs) => {
        const norm = await globalGradNorm(gpu, xs)
        const [value] = await downloadF32(gpu, norm)
        release(gpu, norm)
        return value
      },
      f64: async (xs) => Math.sqrt(xs.reduce((s, x) => s + x.data.reduce((a, v) => a + v * v, 0), 0)),
      trace: {
        record: (xs) => ({ inputs: [...xs], args: [] }),
        replay: (be, xs) => be.gradNorm(xs),
      },
    },
    adamw: {
      cpu: async (p, g, m, v, h) => {
        const next = adamwRef(p.data, g.data, m.data, v.data, h)
        p.data.set(next.p)
        m.data.set(next.m)
        v.data.set(next.v)
      },
      gpu: (gpu, p, g, m, v, h) => adamw(gpu, p, g, m, v, h),
      f64: async (p, g, m, v, h) => {
        const b1 = 1 - h.beta1 ** h.step
        const b2 = 1 - h.beta2 ** h.step
        for (let i = 0; i < p.data.length; i++) {
          const gi = g.data[i] * h.gradScale
          m.data[i] = h.beta1 * m.data[i] + (1 - h.beta1) * gi
          v.data[i] = h.beta2 * v.data[i] + (1 - h.beta2) * gi * gi
          p.data[i] -=
            h.lr * (m.data[i] / b1 / (Math.sqrt(v.data[i] / b2) + h.eps) + h.weightDecay * p.data[i])
        }
      },
      trace: {
        record: (p, g, m, v, h) => ({ inputs: [p, g, m, v], args: [h] }),
        replay: (be, [p, g, m, v], [h]) => be.adamw(p, g, m, v, h),
        // In place: the outputs are the updated parameter and moments.
        outputs: (_, [p, , m, v]) => [p, m, v],
      },
    },
  },
})
