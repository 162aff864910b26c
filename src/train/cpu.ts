// The CPU backend: every op is the kernel's TypeScript reference, so it produces the GPU's bits.
// It is the verifier's path without WebGPU, in browsers and in Node.
import { ShapeError } from '../errors/gpu.ts'
import { binaryRef, gradRef, scaleRef, unaryRef } from '../kernels/elementwise.ts'
import { embeddingBackwardRef, embeddingRef } from '../kernels/embedding.ts'
import { matmulRef, planMatmul } from '../kernels/matmul.ts'
import { permuteRef, planPermute } from '../kernels/permute.ts'
import { reduceRef } from '../kernels/reduce.ts'
import { softmaxBackwardRef, softmaxRef } from '../kernels/softmax.ts'
import { layernormBackwardRef, layernormRef } from '../kernels/layernorm.ts'
import { crossEntropyBackwardRef, crossEntropyRef } from '../kernels/cross_entropy.ts'
import { adamwRef, globalGradNormRef } from '../kernels/adamw.ts'
import type { AdamHyper, Backend, NormSaved } from './backend.ts'
import { size } from './autograd.ts'

export interface CpuTensor {
  data: Float32Array
  shape: readonly number[]
}

const t = (data: Float32Array, shape: readonly number[]): CpuTensor => ({ data, shape: [...shape] })
const rowsOf = (x: CpuTensor) => x.data.length / x.shape[x.shape.length - 1]

export const cpuBackend: Backend<CpuTensor> = {
  kind: 'cpu',
  upload: (data, shape) => {
    if (size(shape) !== data.length)
      throw new ShapeError(`Shape [${shape}] needs ${size(shape)} values; got ${data.length}.`)
    return t(data.slice(), shape)
  },
  download: async (x) => x.data.slice(),
  shape: (x) => x.shape,
  view: (x, shape) => {
    if (size(shape) !== x.data.length) throw new ShapeError(`Cannot view [${x.shape}] as [${shape}].`)
    return t(x.data, shape)
  },
  release: () => {},
  matmul: async (a, b, opts = {}) =>
    t(matmulRef(a.data, a.shape, b.data, b.shape, opts), planMatmul(a.shape, b.shape, opts).outShape),
  add: async (a, b) => t(binaryRef('add', a.data, b.data), a.shape),
  scale: async (x, s) => t(scaleRef(x.data, s), x.shape),
  gelu: async (x) => t(unaryRef('geluTanh', x.data), x.shape),
  geluGrad: async (x, dy) => t(gradRef('geluTanh', x.data, dy.data), x.shape),
  columnSums: async (x) => {
    const n = x.shape[x.shape.length - 1]
    return t(reduceRef(x.data, [rowsOf(x), n], 'sum', { axis: 0 }), [n])
  },
  embedding: async (table, ids) =>
    t(embeddingRef(table.data, table.shape, ids), [ids.length, table.shape[1]]),
  embeddingGrad: async (dy, ids, vocab) =>
    t(embeddingBackwardRef(dy.data, dy.shape, ids, vocab), [vocab, dy.shape[dy.shape.length - 1]]),
  permute: async (x, order) => t(permuteRef(x.data, x.shape, order), planPermute(x.shape, order).outShape),
  split: async (x, parts) => {
    const n = x.data.length / parts
    if (x.shape[0] % parts !== 0)
      throw new ShapeError(`Cannot split [${x.shape}] into ${parts} along axis 0.`)
    const shape = [x.shape[0] / parts, ...x.shape.slice(1)]
    return Array.from({ length: parts }, (_, i) => t(x.data.slice(i * n, (i + 1) * n), shape))
  },
  concat: async (xs) => {
    const data = new Float32Array(xs.reduce((n, x) => n + x.data.length, 0))
    let at = 0
    for (const x of xs) {
      data.set(x.data, at)
      at += x.data.length
    }
    return t(data, [xs.reduce((n, x) => n + x.shape[0], 0), ...xs[0].shape.slice(1)])
  },
  softmaxCausal: async (x) => t(softmaxRef(x.data, x.shape, { causal: true }), x.shape),
  softmaxCausalGrad: async (y, dy) =>
    t(softmaxBackwardRef(y.data, dy.data, y.shape, { causal: true }), y.shape),
  layernorm: async (x, gamma, beta) => {
    const r = layernormRef(x.data, gamma.data, beta.data, x.shape)
    const rows = rowsOf(x)
    return { y: t(r.y, x.shape), saved: { mean: t(r.mean, [rows]), std: t(r.std, [rows]) } }
  },
  layernormGrad: async (x, gamma, saved: NormSaved<CpuTensor>, dy) => {
    const r = layernormBackwardRef(
      x.data,
      gamma.data,
      { mean: saved.mean.data, std: saved.std.data },
      dy.data,
      x.shape,
    )
    return { dx: t(r.dx, x.shape), dgamma: t(r.dgamma, gamma.shape), dbeta: t(r.dbeta, gamma.shape) }
  },
  crossEntropy: async (logits, targets) =>
    t(new Float32Array([crossEntropyRef(logits.data, logits.shape, targets).mean]), [1]),
  crossEntropyGrad: async (logits, targets) =>
    t(crossEntropyBackwardRef(logits.data, logits.shape, targets), logits.shape),
  gradNorm: async (xs) => globalGradNormRef(xs.map((x) => x.data)),
  adamw: async (p, g, m, v, h: AdamHyper) => {
    const next = adamwRef(p.data, g.data, m.data, v.data, h)
    p.data.set(next.p)
    m.data.set(next.m)
    v.data.set(next.v)
  },
}
