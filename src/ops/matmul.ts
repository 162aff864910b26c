// matmul: C = A · B on the bq15 kernel (shaders/matmul.wgsl, src/kernels/matmul.ts), batched alike or
// by a 2-D B; ONNX MatMul and Gemm.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import { ShapeError } from '../errors/gpu.ts'
import { matmul, matmulRef, planMatmul } from '../kernels/matmul.ts'
import { MAX_K } from '../kernels/quantize.ts'
import { scaleRef } from '../kernels/elementwise.ts'
import * as sf from '../kernels/softfloat.ts'
import { broadcast, float, isFloat, type CostContext } from './onnx.ts'
import { defineOp, size, type F64Tensor } from './op.ts'

export interface Transposes {
  /** A is stored [.., K, M] and used transposed. */
  transA?: boolean
  /** B is stored [.., N, K] and used transposed. */
  transB?: boolean
}

declare module './op.ts' {
  interface Kernels<T> {
    matmul(a: T, b: T, opts?: Transposes): Promise<T>
  }
  interface TapeOps<T> {
    /** y = a · b (b transposed when transB: [.., N, K]); a and b may be batched alike. */
    matmul(a: T, b: T, opts?: { transB?: boolean }): Promise<T>
  }
}

export default defineOp({
  name: 'matmul',
  kernels: {
    matmul: {
      cpu: async (a, b, opts = {}) => ({
        data: matmulRef(a.data, a.shape, b.data, b.shape, opts),
        shape: planMatmul(a.shape, b.shape, opts).outShape,
      }),
      gpu: (gpu, a, b, opts) => matmul(gpu, a, b, opts),
      f64: async (a, b, o = {}) => matmulF64(a, b, o.transA, o.transB),
      trace: {
        record: (a, b, o = {}) => ({ inputs: [a, b], args: [o] }),
        replay: (be, [a, b], [o]) => be.matmul(a, b, o),
      },
    },
  },
  tape: {
    matmul: async (tape, a, b, opts = {}) => {
      const { be } = tape
      const y = tape.own(await be.matmul(a, b, opts))
      tape.record(async () => {
        const dy = tape.grad(y)
        if (!dy) return
        if (opts.transB) {
          await tape.accumulate(a, tape.own(await be.matmul(dy, b)))
          await tape.accumulate(b, tape.own(await be.matmul(dy, a, { transA: true })))
        } else {
          await tape.accumulate(a, tape.own(await be.matmul(dy, b, { transB: true })))
          await tape.accumulate(b, tape.own(await be.matmul(a, dy, { transA: true })))
        }
      })
      return y
    },
  },
  onnx: {
    MatMul: {
      inputs: [2, 2],
      shape: ({ where, float }) => {
        const [x, w] = [float(0), float(1)]
        if (!x.length || !w.length) throw new OnnxShapeError(`${where}: operands must have rank 1 or more.`)
        const xd = x.length === 1 ? [1, x[0]] : x
        const wd = w.length === 1 ? [w[0], 1] : w
        const [m, k] = xd.slice(-2)
        const [k2, n] = wd.slice(-2)
        if (k !== k2)
          throw new OnnxShapeError(`${where}: inner dimensions differ: [${x}] has ${k}, [${w}] has ${k2}.`)
        const batch = xd.slice(0, -2)
        if (wd.length > 2 && wd.slice(0, -2).join() !== batch.join())
          throw new OnnxError(
            `${where}: batch dims [${batch}] and [${wd.slice(0, -2)}] must match (or B be 2-D).`,
          )
        matmulSupported(where, m, k, n)
        if (size(batch) === 0) throw new OnnxError(`${where}: an empty batch is not supported.`)
        let dims = [...batch, m, n]
        if (x.length === 1) dims = dims.filter((_, i) => i !== dims.length - 2)
        if (w.length === 1) dims = dims.slice(0, -1)
        return [{ type: 'float', dims }]
      },
      cost: (c) => matmulCost(c, c.ins[0]!.dims.at(-1)!, 0),
      run: ({ float: input, planned }) => {
        const [x, w] = [input(0), input(1)]
        const xd = x.dims.length === 1 ? [1, x.dims[0]] : x.dims
        const wd = w.dims.length === 1 ? [w.dims[0], 1] : w.dims
        const batchX = xd.slice(0, -2)
        const batchW = wd.slice(0, -2)
        const [m, k] = xd.slice(-2)
        const n = wd[wd.length - 1]
        const B = size(batchX)
        const out = matmulRef(
          x.data,
          B > 1 || batchX.length ? [B, m, k] : [m, k],
          w.data,
          batchW.length ? [B, k, n] : [k, n],
        )
        return [float(planned[0].dims, out)]
      },
      gpu: async (g, { ins: [x, y] }) => {
        if (!isFloat(x) || !isFloat(y) || x.dims.length < 2 || y.dims.length !== 2) return null
        const [m, k] = x.dims.slice(-2)
        const batch = x.dims.slice(0, -2)
        const shape = batch.length ? [size(batch), m, k] : [m, k]
        return g.out(await matmul(g.gpu, g.up(x, shape), g.up(y)), [...batch, m, y.dims[1]])
      },
    },
    Gemm: {
      inputs: [2, 3],
      shape: ({ node, where, float, ins }) => {
        const a = node.attrs
        const [x, w] = [float(0), float(1)]
        if (x.length !== 2 || w.length !== 2)
          throw new OnnxShapeError(`${where}: A and B must be 2-D, got [${x}] and [${w}].`)
        const [m, k] = a.transA === 1 ? [x[1], x[0]] : x
        const [k2, n] = a.transB === 1 ? [w[1], w[0]] : w
        if (k !== k2) throw new OnnxShapeError(`${where}: inner dimensions differ: ${k} and ${k2}.`)
        matmulSupported(where, m, k, n)
        if (ins[2]) {
          const c = float(2)
          const fits = c.length <= 2 && c.every((d, i) => d === 1 || d === [m, n][i + 2 - c.length])
          if (!fits) throw new OnnxShapeError(`${where}: C [${c}] does not broadcast to [${m},${n}].`)
        }
        return [{ type: 'float', dims: [m, n] }]
      },
      cost: (c) => {
        const a = c.ins[0]!.dims
        return matmulCost(c, c.node.attrs.transA === 1 ? a[0] : a[a.length - 1], 2 * c.out)
      },
      run: ({ node, where, float: input, ins }) => {
        const a = node.attrs
        const [x, w] = [input(0), input(1)]
        const transA = a.transA === 1
        const transB = a.transB === 1
        let y = matmulRef(x.data, x.dims, w.data, w.dims, { transA, transB })
        const m = transA ? x.dims[1] : x.dims[0]
        const n = transB ? w.dims[0] : w.dims[1]
        const alpha = typeof a.alpha === 'number' ? a.alpha : 1
        const beta = typeof a.beta === 'number' ? a.beta : 1
        if (alpha !== 1) y = scaleRef(y, alpha)
        let out = float([m, n], y)
        if (ins[2]) {
          const c = input(2)
          out = broadcast(where, out, beta === 1 ? c : float(c.dims, scaleRef(c.data, beta)), sf.add)
        }
        return [out]
      },
    },
  },
})

/** What the bq15 matmul can do: no empty operand, K within its exact-accumulation limit. */
function matmulSupported(where: string, m: number, k: number, n: number) {
  if (m < 1 || k < 1 || n < 1)
    throw new OnnxError(`${where}: empty operands ([${m}×${k}]·[${k}×${n}]) are not supported.`)
  if (k > MAX_K) throw new OnnxError(`${where}: K = ${k} exceeds the exact-accumulation limit of ${MAX_K}.`)
}

/**
 * The bq15 matmul on the CPU reference: per output, 64 operations per block of 32 along K plus 256 for
 * its exact BigInt sum. Its scratch is every quantised row of A and column of B (about 32 words per
 * block and 128 of object overhead each): a [2^24, 1] · [1, 1] product makes 2^24 rows.
 */
function matmulCost({ ins, out }: CostContext, k: number, extra: number) {
  const blocks = Math.ceil(k / 32)
  const vectors = size(ins[0]!.dims) / k + size(ins[1]!.dims) / k
  return { scratch: vectors * (32 * blocks + 128) + extra, operations: out * (64 * blocks + 256) }
}

/** Plain float64 C = A · B with the kernel's transposes and batches. */
export function matmulF64(a: F64Tensor, b: F64Tensor, transA = false, transB = false): F64Tensor {
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
  return { data: out, shape: a.shape.length === 3 || b.shape.length === 3 ? [batch, m, n] : [m, n] }
}
