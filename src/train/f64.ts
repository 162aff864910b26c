// An independent float64 backend: every op written out plainly in double precision, sharing no code
// with the kernels. It checks the deterministic engine: finite-difference gradient checks, and a
// float64 reference trainer for the same model and data (docs/training.md).
import { ShapeError } from '../errors/gpu.ts'
import type { AdamHyper, Backend } from './backend.ts'
import { size } from './autograd.ts'

export interface F64Tensor {
  data: Float64Array
  shape: readonly number[]
}

const t = (data: Float64Array, shape: readonly number[]): F64Tensor => ({ data, shape: [...shape] })
const last = (x: F64Tensor) => x.shape[x.shape.length - 1]
const EPS = 1e-5

function mm(a: F64Tensor, b: F64Tensor, transA = false, transB = false): F64Tensor {
  const [ar, ac] = a.shape.slice(-2)
  const [br, bc] = b.shape.slice(-2)
  const [m, k] = transA ? [ac, ar] : [ar, ac]
  const [k2, n] = transB ? [bc, br] : [br, bc]
  if (k !== k2) throw new ShapeError(`f64 matmul: K ${k} vs ${k2}`)
  const batch = Math.max(a.shape.length === 3 ? a.shape[0] : 1, b.shape.length === 3 ? b.shape[0] : 1)
  const out = new Float64Array(batch * m * n)
  for (let z = 0; z < batch; z++) {
    const ao = a.shape.length === 3 ? z * m * k : 0
    const bo = b.shape.length === 3 ? z * k * n : 0
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0
        for (let q = 0; q < k; q++) {
          const av = a.data[ao + (transA ? q * m + i : i * k + q)]
          const bv = b.data[bo + (transB ? j * k + q : q * n + j)]
          s += av * bv
        }
        out[(z * m + i) * n + j] = s
      }
  }
  return t(out, a.shape.length === 3 || b.shape.length === 3 ? [batch, m, n] : [m, n])
}

const GELU_C = Math.sqrt(2 / Math.PI)
const geluF = (x: number) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3)))
function geluD(x: number): number {
  const u = GELU_C * (x + 0.044715 * x ** 3)
  const th = Math.tanh(u)
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_C * (1 + 3 * 0.044715 * x * x)
}

function softmaxRows(x: F64Tensor, causal: boolean): F64Tensor {
  const n = last(x)
  const out = new Float64Array(x.data.length)
  for (let r = 0; r < x.data.length / n; r++) {
    const len = causal ? (r % n) + 1 : n
    let m = -Infinity
    for (let k = 0; k < len; k++) m = Math.max(m, x.data[r * n + k])
    let s = 0
    for (let k = 0; k < len; k++) s += out[r * n + k] = Math.exp(x.data[r * n + k] - m)
    for (let k = 0; k < len; k++) out[r * n + k] /= s
  }
  return t(out, x.shape)
}

export const f64Backend: Backend<F64Tensor> = {
  kind: 'cpu',
  upload: (data, shape) => t(Float64Array.from(data), shape),
  download: async (x) => Float32Array.from(x.data),
  shape: (x) => x.shape,
  view: (x, shape) => {
    if (size(shape) !== x.data.length) throw new ShapeError(`Cannot view [${x.shape}] as [${shape}].`)
    return t(x.data, shape)
  },
  release: () => {},
  matmul: async (a, b, o = {}) => mm(a, b, o.transA, o.transB),
  add: async (a, b) =>
    t(
      a.data.map((v, i) => v + b.data[i % b.data.length]),
      a.shape,
    ),
  scale: async (x, s) =>
    t(
      x.data.map((v) => v * s),
      x.shape,
    ),
  gelu: async (x) => t(x.data.map(geluF), x.shape),
  geluGrad: async (x, dy) =>
    t(
      x.data.map((v, i) => geluD(v) * dy.data[i]),
      x.shape,
    ),
  columnSums: async (x) => {
    const n = last(x)
    const out = new Float64Array(n)
    x.data.forEach((v, i) => (out[i % n] += v))
    return t(out, [n])
  },
  embedding: async (table, ids) => {
    const d = table.shape[1]
    const out = new Float64Array(ids.length * d)
    ids.forEach((id, r) => out.set(table.data.subarray(id * d, (id + 1) * d), r * d))
    return t(out, [ids.length, d])
  },
  embeddingGrad: async (dy, ids, vocab) => {
    const d = last(dy)
    const out = new Float64Array(vocab * d)
    ids.forEach((id, r) => {
      for (let k = 0; k < d; k++) out[id * d + k] += dy.data[r * d + k]
    })
    return t(out, [vocab, d])
  },
  permute: async (x, order) => {
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
    return t(out, shape)
  },
  split: async (x, parts) => {
    const n = x.data.length / parts
    const shape = [x.shape[0] / parts, ...x.shape.slice(1)]
    return Array.from({ length: parts }, (_, i) => t(x.data.slice(i * n, (i + 1) * n), shape))
  },
  concat: async (xs) => {
    const out = new Float64Array(xs.reduce((n, x) => n + x.data.length, 0))
    let at = 0
    for (const x of xs) {
      out.set(x.data, at)
      at += x.data.length
    }
    return t(out, [xs.reduce((n, x) => n + x.shape[0], 0), ...xs[0].shape.slice(1)])
  },
  softmaxCausal: async (x) => softmaxRows(x, true),
  softmaxCausalGrad: async (y, dy) => {
    const n = last(y)
    const out = new Float64Array(y.data.length)
    for (let r = 0; r < y.data.length / n; r++) {
      let s = 0
      for (let k = 0; k < n; k++) s += y.data[r * n + k] * dy.data[r * n + k]
      for (let k = 0; k < n; k++) out[r * n + k] = y.data[r * n + k] * (dy.data[r * n + k] - s)
    }
    return t(out, y.shape)
  },
  layernorm: async (x, g, b) => {
    const n = last(x)
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
    return { y: t(y, x.shape), saved: { mean: t(mean, [rows]), std: t(std, [rows]) } }
  },
  layernormGrad: async (x, g, saved, dy) => {
    const n = last(x)
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
    return { dx: t(dx, x.shape), dgamma: t(dg, [n]), dbeta: t(db, [n]) }
  },
  crossEntropy: async (logits, targets) => {
    const n = last(logits)
    const rows = logits.data.length / n
    let total = 0
    for (let r = 0; r < rows; r++) {
      const row = logits.data.subarray(r * n, (r + 1) * n)
      const m = Math.max(...row)
      const s = row.reduce((a, v) => a + Math.exp(v - m), 0)
      total += Math.log(s) - (row[targets[r]] - m)
    }
    return t(new Float64Array([total / rows]), [1])
  },
  crossEntropyGrad: async (logits, targets) => {
    const p = softmaxRows(logits, false)
    const n = last(logits)
    const rows = logits.data.length / n
    for (let r = 0; r < rows; r++) p.data[r * n + targets[r]] -= 1
    return t(
      p.data.map((v) => v / rows),
      logits.shape,
    )
  },
  gradNorm: async (xs) => Math.sqrt(xs.reduce((s, x) => s + x.data.reduce((a, v) => a + v * v, 0), 0)),
  adamw: async (p, g, m, v, h: AdamHyper) => {
    const b1 = 1 - h.beta1 ** h.step
    const b2 = 1 - h.beta2 ** h.step
    for (let i = 0; i < p.data.length; i++) {
      const gi = g.data[i] * h.gradScale
      m.data[i] = h.beta1 * m.data[i] + (1 - h.beta1) * gi
      v.data[i] = h.beta2 * v.data[i] + (1 - h.beta2) * gi * gi
      p.data[i] -= h.lr * (m.data[i] / b1 / (Math.sqrt(v.data[i] / b2) + h.eps) + h.weightDecay * p.data[i])
    }
  },
}
