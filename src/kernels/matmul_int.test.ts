// The integer product's reference against a BigInt transcription of its definition: exact sums, then
// wrapped to int32 — including sums past 2^31, which wrap as onnxruntime's accumulator does.
import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../util/random.ts'
import { matmulIntRef, type MatmulIntPlan } from './matmul_int.ts'

function oracle(a: number[], b: number[], p: MatmulIntPlan, az: number, bz: number[]): number[] {
  const out: number[] = []
  for (let z = 0; z < p.batch; z++)
    for (let i = 0; i < p.m; i++)
      for (let j = 0; j < p.n; j++) {
        let s = 0n
        for (let q = 0; q < p.k; q++) {
          const bv = b[(p.shared ? 0 : z * p.k * p.n) + q * p.n + j]
          s += BigInt(a[(z * p.m + i) * p.k + q] - az) * BigInt(bv - bz[bz.length === 1 ? 0 : j])
        }
        out.push(Number(BigInt.asIntN(32, s)))
      }
  return out
}

const ints = (n: number, lo: number, hi: number, seed: number) => {
  const next = mulberry32(seed)
  return Array.from({ length: n }, () => lo + (next() % (hi - lo + 1)))
}

describe('matmulIntRef', () => {
  it('equals the exact sums wrapped to int32, batched and shared, per-column zero points', () => {
    for (const p of [
      { batch: 1, m: 3, k: 7, n: 5, shared: true },
      { batch: 3, m: 2, k: 33, n: 4, shared: false },
      { batch: 2, m: 4, k: 1, n: 1, shared: true },
    ]) {
      const a = ints(p.batch * p.m * p.k, -128, 127, p.k)
      const b = ints((p.shared ? 1 : p.batch) * p.k * p.n, 0, 255, p.n)
      const bz = ints(p.n, 0, 255, 9)
      expect(Array.from(matmulIntRef(a, b, p, -128, bz))).toEqual(oracle(a, b, p, -128, bz))
      expect(Array.from(matmulIntRef(a, b, p, 3, [200]))).toEqual(oracle(a, b, p, 3, [200]))
    }
  })

  it('wraps a sum beyond 2^31 (K = 40,000 of 255 · 255)', () => {
    const p = { batch: 1, m: 1, k: 40_000, n: 2, shared: true }
    const a = new Array<number>(40_000).fill(255)
    const b = Array.from({ length: 80_000 }, (_, i) => (i % 2 ? 0 : 255))
    const y = matmulIntRef(a, b, p, 0, [0, 255])
    expect(Array.from(y)).toEqual(oracle(a, b, p, 0, [0, 255]))
    expect(y[0]).toBe(Number(BigInt.asIntN(32, 40_000n * 65_025n)))
  })
})
