// The GPU backend: every op is a WGSL kernel with the bits of its CPU reference (src/train/cpu.ts).
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { downloadF32, empty, release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { binary, grad, scale, unary } from '../kernels/elementwise.ts'
import { embedding, embeddingBackward } from '../kernels/embedding.ts'
import { matmul } from '../kernels/matmul.ts'
import { permute } from '../kernels/permute.ts'
import { reduce } from '../kernels/reduce.ts'
import { softmax, softmaxBackward } from '../kernels/softmax.ts'
import { layernorm, layernormBackward } from '../kernels/layernorm.ts'
import { crossEntropy, crossEntropyBackward } from '../kernels/cross_entropy.ts'
import { adamw, globalGradNorm } from '../kernels/adamw.ts'
import type { Backend } from './backend.ts'
import { size } from './autograd.ts'

export function gpuBackend(gpu: Gpu): Backend<GpuTensor> {
  return {
    kind: 'gpu',
    maxTensorBytes: gpu.limits.maxStorageBufferBindingSize,
    upload: (data, shape) => upload(gpu, data, shape),
    download: (x) => downloadF32(gpu, x),
    shape: (x) => x.shape,
    view: (x, shape) => {
      if (size(shape) !== size(x.shape)) throw new ShapeError(`Cannot view [${x.shape}] as [${shape}].`)
      return { ...x, shape: [...shape] }
    },
    release: (...xs) => release(gpu, ...xs),
    matmul: (a, b, opts) => matmul(gpu, a, b, opts),
    add: (a, b) => binary(gpu, 'add', a, b),
    scale: (x, s) => scale(gpu, x, s),
    gelu: (x) => unary(gpu, 'geluTanh', x),
    geluGrad: (x, dy) => grad(gpu, 'geluTanh', x, dy),
    columnSums: async (x) => {
      const n = x.shape[x.shape.length - 1]
      const out = await reduce(gpu, { ...x, shape: [size(x.shape) / n, n] }, 'sum', { axis: 0 })
      return { ...out, shape: [n] }
    },
    embedding: (table, ids) => embedding(gpu, table, ids),
    embeddingGrad: (dy, ids, vocab) => embeddingBackward(gpu, dy, ids, vocab),
    permute: (x, order) => permute(gpu, x, order),
    split: async (x, parts) => {
      if (x.shape[0] % parts !== 0)
        throw new ShapeError(`Cannot split [${x.shape}] into ${parts} along axis 0.`)
      const shape = [x.shape[0] / parts, ...x.shape.slice(1)]
      const bytes = size(shape) * 4
      return Array.from({ length: parts }, (_, i) => {
        const part = empty(gpu, shape)
        gpu.copy(x.buffer, i * bytes, part.buffer, 0, bytes)
        return part
      })
    },
    concat: async (xs) => {
      const out = empty(gpu, [xs.reduce((n, x) => n + x.shape[0], 0), ...xs[0].shape.slice(1)])
      let at = 0
      for (const x of xs) {
        const bytes = size(x.shape) * 4
        gpu.copy(x.buffer, 0, out.buffer, at, bytes)
        at += bytes
      }
      return out
    },
    softmaxCausal: (x) => softmax(gpu, x, { causal: true }),
    softmaxCausalGrad: (y, dy) => softmaxBackward(gpu, y, dy, { causal: true }),
    layernorm: async (x, gamma, beta) => {
      const { y, mean, std } = await layernorm(gpu, x, gamma, beta)
      return { y, saved: { mean, std } }
    },
    layernormGrad: async (x, gamma, saved, dy) => {
      const { dx, dgamma, dbeta } = await layernormBackward(gpu, x, gamma, saved, dy)
      return { dx, dgamma, dbeta }
    },
    crossEntropy: async (logits, targets) => {
      const { losses, mean } = await crossEntropy(gpu, logits, targets)
      release(gpu, losses)
      return { ...mean, shape: [1] }
    },
    crossEntropyGrad: (logits, targets) => crossEntropyBackward(gpu, logits, targets),
    gradNorm: async (xs) => {
      const norm = await globalGradNorm(gpu, xs)
      const [value] = await downloadF32(gpu, norm)
      release(gpu, norm)
      return value
    },
    adamw: (p, g, m, v, h) => adamw(gpu, p, g, m, v, h),
  }
}
