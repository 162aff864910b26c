import { describe, expect, it } from 'vitest'
import { matmulRef, planMatmul } from './matmul.ts'
import { BLOCK, NONFINITE, SPAN, quantizeRef } from './quantize.ts'
import { mulberry32 } from '../util/random.ts'
import { adversarialF32 } from './testing.ts'

function gaussian(n: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed)
  const u = () => (next() + 0.5) / 2 ** 32
  return Float32Array.from(
    { length: n },
    () => scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  )
}

/** float64 matmul of row-major [m,k]·[k,n]. */
function exact(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n)
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) out[i * n + j] += a[i * k + t] * b[t * n + j]
  return out
}

function uniform(n: number, seed: number): Float32Array {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => next() / 2 ** 31 - 1)
}

/** Student's t with 3 degrees of freedom: heavy tails, finite variance. */
function studentT3(n: number, seed: number): Float32Array {
  const g = gaussian(4 * n, seed)
  return Float32Array.from({ length: n }, (_, i) => {
    const chi2 = g[4 * i + 1] ** 2 + g[4 * i + 2] ** 2 + g[4 * i + 3] ** 2
    return g[4 * i] / Math.sqrt(chi2 / 3)
  })
}

/** Cauchy (gaussian / gaussian), clipped at ±1e3: scattered huge outliers. */
function cauchy(n: number, seed: number): Float32Array {
  const g = gaussian(2 * n, seed)
  return Float32Array.from({ length: n }, (_, i) => Math.max(-1e3, Math.min(1e3, g[2 * i] / g[2 * i + 1])))
}

const bf16 = (x: number) => {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0]
  const r = (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000 // round to nearest even on the top 16 bits
  return new Float32Array(new Uint32Array([r >>> 0]).buffer)[0]
}

/** The industry's training baseline: bf16 inputs, f32 products and sequential f32 accumulation. */
function bf16Matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const ab = a.map(bf16)
  const bb = b.map(bf16)
  const out = new Float32Array(m * n)
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let t = 0; t < k; t++) s = Math.fround(s + Math.fround(ab[i * k + t] * bb[t * n + j]))
      out[i * n + j] = s
    }
  return out
}

/** Errors of `got`: worst and RMS relative to Σ|a||b| per output, and normwise (max error / max |C|). */
function errors(got: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number) {
  const ref = exact(a, b, m, k, n)
  const scale = exact(a.map(Math.abs), b.map(Math.abs), m, k, n)
  let worst = 0
  let sq = 0
  let maxErr = 0
  let maxRef = 0
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - ref[i])
    worst = Math.max(worst, e / scale[i])
    sq += (e / scale[i]) ** 2
    maxErr = Math.max(maxErr, e)
    maxRef = Math.max(maxRef, Math.abs(ref[i]))
  }
  return { worst, rms: Math.sqrt(sq / got.length), normwise: maxErr / maxRef }
}

describe('quantizeRef (bq15)', () => {
  it('keeps every value within half a step of its block scale and flags non-finite vectors', () => {
    const k = 300
    const x = adversarialF32(4 * k, 3)
    x[2 * k + 40] = 1e30 // a vector whose other blocks sit more than SPAN binades lower
    const q = quantizeRef(x, { batch: 1, rows: 4, k, strideBatch: 4 * k, strideRow: k, strideK: 1 })
    const blocks = q.words / 8
    const lanes = new Int8Array(q.packed.buffer)
    for (let v = 0; v < 4; v++) {
      const top = q.exps[v * (blocks + 1)]
      for (let i = 0; i < k; i++) {
        const offset = q.exps[v * (blocks + 1) + 1 + Math.floor(i / BLOCK)]
        expect(offset).toBeGreaterThanOrEqual(0)
        expect(offset).toBeLessThanOrEqual(SPAN)
        const e = top - SPAN + offset
        const step = 2 ** (e - 140)
        const w = Math.floor(i / 4)
        const hi = lanes[(v * q.words + w) * 2 * 4 + (i % 4)]
        const lo = lanes[((v * q.words + w) * 2 + 1) * 4 + (i % 4)]
        expect(Math.abs(hi)).toBeLessThanOrEqual(64)
        expect(Math.abs((hi * 256 + lo) * step - x[v * k + i])).toBeLessThanOrEqual(step / 2)
      }
    }
    const bad = new Float32Array([1, NaN, 2, 3])
    const one = { batch: 1, rows: 1, k: 4, strideBatch: 4, strideRow: 4, strideK: 1 }
    expect(quantizeRef(bad, one).exps[0]).toBe(NONFINITE)
  })
})

describe('matmulRef accuracy', () => {
  // The contract: at least as accurate as bf16 inputs with f32 accumulation on the same data.
  // Figures for these sets are recorded in docs/determinism.md.
  const [m, k, n] = [24, 256, 20]
  it.each([
    ['gaussian', gaussian(m * k, 1), gaussian(k * n, 2)],
    ['uniform [-1,1)', uniform(m * k, 3), uniform(k * n, 4)],
    ["Student's t (3 dof)", studentT3(m * k, 5), studentT3(k * n, 6)],
    [
      'channel outliers x60 in A (LLM-like)',
      gaussian(m * k, 7).map((v, i) => ((i % k) % 50 === 3 ? v * 60 : v)),
      gaussian(k * n, 8),
    ],
  ])('beats bf16 on %s data, worst case and RMS', (_name, a, b) => {
    const ours = errors(matmulRef(a, [m, k], b, [k, n]), a, b, m, k, n)
    const base = errors(bf16Matmul(a, b, m, k, n), a, b, m, k, n)
    expect(ours.worst).toBeLessThan(base.worst)
    expect(ours.rms).toBeLessThan(base.rms)
    expect(ours.normwise).toBeLessThan(base.normwise)
  })

  // Known limit of shared block exponents: values 2^7 smaller than a block-mate keep fewer bits
  // than bf16 gives them. Normwise the result is still better; documented in docs/determinism.md.
  it.each([
    [
      'scattered x100 outliers in both operands',
      (x: Float32Array) => x.map((v, i) => (i % 97 === 0 ? v * 100 : v)),
    ],
    ['Cauchy', (_: Float32Array, seed: number) => cauchy(_.length, seed)],
  ])('stays normwise better than bf16 with %s', (_name, shape) => {
    const a = shape(gaussian(m * k, 9), 11)
    const b = shape(gaussian(k * n, 10), 12)
    const ours = errors(matmulRef(a, [m, k], b, [k, n]), a, b, m, k, n)
    const base = errors(bf16Matmul(a, b, m, k, n), a, b, m, k, n)
    expect(ours.normwise).toBeLessThan(base.normwise)
    expect(ours.worst).toBeLessThan(2 ** -5)
  })

  it('is batch-invariant: a row computed alone equals the same row inside a batch', () => {
    const [m, k, n] = [9, 70, 13]
    const a = gaussian(m * k, 5)
    const b = gaussian(k * n, 6)
    const all = matmulRef(a, [m, k], b, [k, n])
    for (const r of [0, 4, 8]) {
      const alone = matmulRef(a.slice(r * k, (r + 1) * k), [1, k], b, [k, n])
      expect(Array.from(alone)).toEqual(Array.from(all.slice(r * n, (r + 1) * n)))
    }
  })

  it('equals the transposed formulation bit for bit', () => {
    const [m, k, n] = [5, 33, 7]
    const a = gaussian(m * k, 7)
    const b = gaussian(k * n, 8)
    const at = new Float32Array(k * m)
    const bt = new Float32Array(n * k)
    for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) at[t * m + i] = a[i * k + t]
    for (let t = 0; t < k; t++) for (let j = 0; j < n; j++) bt[j * k + t] = b[t * n + j]
    const plain = matmulRef(a, [m, k], b, [k, n])
    expect(matmulRef(at, [k, m], bt, [n, k], { transA: true, transB: true })).toEqual(plain)
  })
})

describe('planMatmul input checks', () => {
  it('names the mismatch', () => {
    expect(() => planMatmul([3, 4], [5, 6])).toThrow(/inner dimensions differ.*K = 4.*K = 5/)
    expect(() => planMatmul([3], [3, 6])).toThrow(/rank 2 or 3/)
    expect(() => planMatmul([2, 3, 4], [3, 4, 6])).toThrow(/batch sizes 2 and 3/)
    expect(() =>
      matmulRef(new Float32Array(2 * 70000), [2, 70000], new Float32Array(70000), [70000, 1]),
    ).toThrow(/exceeds the exact-accumulation limit/)
  })
})
