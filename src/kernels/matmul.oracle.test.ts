// matmulRef against a plain transcription of shaders/matmul.wgsl's arithmetic: per block the three
// int8 products summed as the shader sums them, every block shifted and added in BigInt, one rounding.
// matmulRef takes shortcuts (two products per k, a double while the sum is provably exact); this
// oracle takes none, so the two must agree bit for bit on any input, including those that force
// matmulRef off its double path.
import { describe, expect, it } from 'vitest'
import { matmulRef, planMatmul } from './matmul.ts'
import { simdAvailable } from './matmulSimd.ts'
import { BLOCK, NONFINITE, SPAN, quantizeRef } from './quantize.ts'
import { roundScaledToF32 } from './wide.ts'
import { adversarialF32, expectBitsEqual } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

function matmulOracle(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[]) {
  const plan = planMatmul(aShape, bShape)
  const qa = quantizeRef(a, plan.a)
  const qb = quantizeRef(b, plan.b)
  const lanes = (q: typeof qa, v: number, w: number, half: 0 | 1) =>
    new Int8Array(Uint32Array.of(q.packed[(v * q.words + w) * 2 + half]).buffer)
  const stride = qa.words / 8 + 1
  const out = new Float32Array(plan.batch * plan.m * plan.n)
  for (let r = 0; r < plan.m; r++)
    for (let c = 0; c < plan.n; c++) {
      const [topA, topB] = [qa.exps[r * stride], qb.exps[c * stride]]
      if (topA === NONFINITE || topB === NONFINITE) {
        out[r * plan.n + c] = NaN
        continue
      }
      let acc = 0n
      for (let blk = 0; blk < qa.words / 8; blk++) {
        let hh = 0
        let mixed = 0
        for (let w = blk * 8; w < blk * 8 + 8; w++) {
          const [ah, al, bh, bl] = [
            lanes(qa, r, w, 0),
            lanes(qa, r, w, 1),
            lanes(qb, c, w, 0),
            lanes(qb, c, w, 1),
          ]
          for (let j = 0; j < 4; j++) {
            hh += ah[j] * bh[j]
            mixed += ah[j] * bl[j] + al[j] * bh[j]
          }
        }
        const shift = qa.exps[r * stride + 1 + blk] + qb.exps[c * stride + 1 + blk]
        acc += BigInt(hh * 256 + mixed) << BigInt(shift)
      }
      out[r * plan.n + c] = roundScaledToF32(acc, topA + topB - 272 - 2 * SPAN)
    }
  return out
}

describe('matmulRef equals the plain integer transcription', () => {
  it.each([
    [
      'adversarial values (subnormals, extremes, signed zeros)',
      7,
      70,
      5,
      (n: number, s: number) => adversarialF32(n, s),
    ],
    ['non-finite values', 4, 40, 3, (n: number, s: number) => adversarialF32(n, s, { nonFinite: true })],
    [
      'random bits',
      6,
      97,
      6,
      (n: number, s: number) => {
        const next = mulberry32(s)
        return new Float32Array(Uint32Array.from({ length: n }, () => next() & 0xbfffffff).buffer)
      },
    ],
    // Every value at its block's top: sums past 2^52 take matmulRef's BigInt path.
    [
      'full-scale blocks (the BigInt path)',
      3,
      32 * BLOCK,
      4,
      (n: number, s: number) => new Float32Array(n).fill(s % 2 ? 1 : -1.5),
    ],
  ])('%s, in WebAssembly SIMD and in JavaScript', (_name, m, k, n, values) => {
    const a = values(m * k, 1)
    const b = values(k * n, 2)
    const want = matmulOracle(a, [m, k], b, [k, n])
    expectBitsEqual(matmulRef(a, [m, k], b, [k, n]), want, 'SIMD')
    expectBitsEqual(matmulRef(a, [m, k], b, [k, n], { simd: false }), want, 'JavaScript')
  })

  it('runs in WebAssembly SIMD on Node 20 and every browser Lockstep supports', () => {
    expect(simdAvailable()).toBe(true)
  })

  it('takes batches and shared operands as the plan says', () => {
    const a = adversarialF32(3 * 5 * 40, 5)
    const b = adversarialF32(40 * 6, 6)
    for (const [aShape, bShape] of [
      [
        [3, 5, 40],
        [40, 6],
      ],
      [
        [5, 40],
        [3, 40, 2],
      ],
    ]) {
      const x = a.subarray(
        0,
        aShape.reduce((p, q) => p * q),
      )
      const y = b.subarray(
        0,
        bShape.reduce((p, q) => p * q),
      )
      expectBitsEqual(matmulRef(x, aShape, y, bShape), matmulRef(x, aShape, y, bShape, { simd: false }))
    }
  })
})
