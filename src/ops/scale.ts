// scale: y = s x with s rounded to f32 (shaders/elementwise.wgsl, src/kernels/elementwise.ts).
import { scale, scaleRef } from '../kernels/elementwise.ts'
import { defineOp } from './op.ts'

declare module './op.ts' {
  interface Kernels<T> {
    scale(x: T, s: number): Promise<T>
  }
  interface TapeOps<T> {
    scale(x: T, s: number): Promise<T>
  }
}

export default defineOp({
  name: 'scale',
  kernels: {
    scale: {
      cpu: async (x, s) => ({ data: scaleRef(x.data, s), shape: [...x.shape] }),
      gpu: (gpu, x, s) => scale(gpu, x, s),
      f64: async (x, s) => ({ data: x.data.map((v) => v * s), shape: [...x.shape] }),
      trace: {
        record: (x, s) => ({ inputs: [x], args: [s] }),
        replay: (be, [x], [s]) => be.scale(x, s),
      },
    },
  },
  tape: {
    scale: async (tape, x, s) => {
      const y = tape.own(await tape.be.scale(x, s))
      tape.record(async () => {
        const dy = tape.grad(y)
        if (dy) await tape.accumulate(x, tape.own(await tape.be.scale(dy, s)))
      })
      return y
    },
  },
})
