// layernorm over the last axis (shaders/layernorm.wgsl, src/kernels/layernorm.ts, the norm library
// shaders/lib/norm.wgsl and src/kernels/norm.ts): the engine's pre-norm and its gradients; ONNX
// LayerNormalization (opset 17) over the trailing axes from any axis.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import { layernorm, layernormBackward, layernormBackwardRef, layernormRef } from '../kernels/layernorm.ts'
import { axisIn, float, isFloat, lastAxis } from './onnx.ts'
import { defineOp, size } from './op.ts'

export interface NormSaved<T> {
  mean: T
  std: T
}

declare module './op.ts' {
  interface Kernels<T> {
    layernorm(x: T, gamma: T, beta: T): Promise<{ y: T; saved: NormSaved<T> }>
    layernormGrad(x: T, gamma: T, saved: NormSaved<T>, dy: T): Promise<{ dx: T; dgamma: T; dbeta: T }>
  }
  interface TapeOps<T> {
    layernorm(x: T, gamma: T, beta: T): Promise<T>
  }
}

const EPS = 1e-5

export default defineOp({
  name: 'layernorm',
  kernels: {
    layernorm: {
      cpu: async (x, gamma, beta) => {
        const r = layernormRef(x.data, gamma.data, beta.data, x.shape)
        const rows = [r.mean.length]
        return {
          y: { data: r.y, shape: [...x.shape] },
          saved: { mean: { data: r.mean, shape: rows }, std: { data: r.std, shape: rows } },
        }
      },
      gpu: async (gpu, x, gamma, beta) => {
        const { y, mean, std } = await layernorm(gpu, x, gamma, beta)
        return { y, saved: { mean, std } }
      },
      f64: async (x, g, b) => {
        const n = x.shape[x.shape.length - 1]
        const rows = x.data.length / n
        const y = new Float64Array(x.data.length)
        const mean = new Float64Array(rows)
        const std = new Float64Array(rows)
        for (let r = 0; r < rows; r++) {
          const row = x.data.subarray(r * n, (r + 1) * n)
          const m = row.reduce((a, v) => a + v, 0) / n
          const v = row.reduce((a, x) => a + (x - m) ** 2, 0) / n
          mean[r] = m
          std[r] = Math.sqrt(v + EPS)
          for (let k = 0; k < n; k++) y[r * n + k] = ((row[k] - m) / std[r]) * g.data[k] + b.data[k]
        }
        return {
          y: { data: y, shape: [...x.shape] },
          saved: { mean: { data: mean, shape: [rows] }, std: { data: std, shape: [rows] } },
        }
      },
      trace: {
        record: (x, g, b) => ({ inputs: [x, g, b], args: [] }),
        replay: (be, [x, g, b]) => be.layernorm(x, g, b),
        outputs: (r) => [r.y, r.saved.mean, r.saved.std],
      },
    },
    layernormGrad: {
      cpu: async (x, gamma, saved, dy) => {
        const r = layernormBackwardRef(
          x.data,
          gamma.data,
          { mean: saved.mean.data, std: saved.std.data },
          dy.data,
          x.shape,
        )
        return {
          dx: { data: r.dx, shape: [...x.shape] },
          dgamma: { data: r.dgamma, shape: [...gamma.shape] },
          dbeta: { data: r.dbeta, shape: [...gamma.shape] },
        }
      },
      gpu: async (gpu, x, gamma, saved, dy) => {
        const { dx, dgamma, dbeta } = await layernormBackward(gpu, x, gamma, saved, dy)
        return { dx, dgamma, dbeta }
      },
      f64: async (x, g, saved, dy) => {
        const n = x.shape[x.shape.length - 1]
        const rows = x.data.length / n
        const dx = new Float64Array(x.data.length)
        const dg = new Float64Array(n)
        const db = new Float64Array(n)
        for (let r = 0; r < rows; r++) {
          const xh = Array.from(
            { length: n },
            (_, k) => (x.data[r * n + k] - saved.mean.data[r]) / saved.std.data[r],
          )
          const gy = Array.from({ length: n }, (_, k) => dy.data[r * n + k] * g.data[k])
          const a = gy.reduce((s, v) => s + v, 0) / n
          const c = gy.reduce((s, v, k) => s + v * xh[k], 0) / n
          for (let k = 0; k < n; k++) {
            dx[r * n + k] = (gy[k] - a - xh[k] * c) / saved.std.data[r]
            dg[k] += dy.data[r * n + k] * xh[k]
            db[k] += dy.data[r * n + k]
          }
        }
        return {
          dx: { data: dx, shape: [...x.shape] },
          dgamma: { data: dg, shape: [n] },
          dbeta: { data: db, shape: [n] },
        }
      },
      trace: {
        record: (x, g, saved, dy) => ({ inputs: [x, g, saved.mean, saved.std, dy], args: [] }),
        replay: (be, [x, g, mean, std, dy]) => be.layernormGrad(x, g, { mean, std }, dy),
        outputs: (r) => [r.dx, r.dgamma, r.dbeta],
      },
    },
  },
  tape: {
    layernorm: async (tape, x, gamma, beta) => {
      const { y, saved } = await tape.be.layernorm(x, gamma, beta)
      tape.own(y)
      tape.own(saved.mean)
      tape.own(saved.std)
      tape.record(async () => {
        const dy = tape.grad(y)
        if (!dy) return
        const { dx, dgamma, dbeta } = await tape.be.layernormGrad(x, gamma, saved, dy)
        await tape.accumulate(x, tape.own(dx))
        await tape.accumulate(gamma, tape.own(dgamma))
        await tape.accumulate(beta, tape.own(dbeta))
      })
      return y
    },
  },
  onnx: {
    LayerNormalization: {
      inputs: [2, 3],
      outputs: 'many',
      since: 17,
      shape: ({ node, where, float: dims, ins }) => {
        const x = dims(0)
        if (node.outputs.slice(1).some(Boolean))
          throw new OnnxError(`${where}: only the Y output is supported.`)
        const n = size(x.slice(axisIn(where, node.attrs.axis ?? -1, x.length)))
        for (const i of [1, 2])
          if ((i === 1 || ins[2]) && size(dims(i)) !== n)
            throw new OnnxShapeError(`${where}: scale and bias must have ${n} values.`)
        return [{ type: 'float', dims: x }]
      },
      // Each row from exact sums, the axes already last.
      cost: ({ x }) => ({ operations: 64 * x, scratch: 2 * x }),
      run: ({ node, where, float: input, ins }) => {
        const x = input(0)
        const a = node.attrs
        const axis = axisIn(where, a.axis ?? -1, x.dims.length)
        const n = size(x.dims.slice(axis))
        const g = input(1)
        const b = ins[2] ? input(2) : float([n], new Float32Array(n))
        const eps = typeof a.epsilon === 'number' ? a.epsilon : 1e-5
        return [float(x.dims, layernormRef(x.data, g.data, b.data, [x.data.length / n, n], { eps }).y)]
      },
      gpu: async (g, c) => {
        const [x, gamma, beta] = c.ins
        if (!isFloat(x) || !isFloat(gamma) || !isFloat(beta) || !lastAxis(c, x)) return null
        const n = x.dims.at(-1)!
        const eps = typeof c.node.attrs.epsilon === 'number' ? c.node.attrs.epsilon : 1e-5
        const r = await layernorm(g.gpu, g.up(x, [x.data.length / n, n]), g.up(gamma), g.up(beta), { eps })
        g.hold(r.mean, r.std)
        return g.out(r.y, x.dims)
      },
    },
  },
})
