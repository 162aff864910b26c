// The reference cost function against its own definition: exact bounds, path independence, fees.
import { describe, expect, it } from 'vitest'
import {
  ceilSqrt,
  expiredRefund,
  feeOn,
  isqrt,
  poolAt,
  prices,
  quoteBuy,
  quoteSell,
  seedOf,
  sumSquares,
} from './cost.ts'
import { rng } from './testing.ts'

describe('the reference cost function', () => {
  it('isqrt and ceilSqrt bracket the root exactly', () => {
    const r = rng(1)
    for (let i = 0; i < 2000; i++) {
      const n = r.big(250)
      const f = isqrt(n)
      expect(f * f <= n && (f + 1n) * (f + 1n) > n).toBe(true)
      const c = ceilSqrt(n)
      expect(c * c >= n && (c === 0n || (c - 1n) * (c - 1n) < n)).toBe(true)
    }
  })

  it('the pool is ⌈k·‖q‖⌉: at or above the real cost by less than one unit', () => {
    const r = rng(2)
    for (let i = 0; i < 1000; i++) {
      const k = BigInt(1 + r.int(100))
      const q = Array.from({ length: 2 + r.int(19) }, () => r.big(112))
      const T = poolAt(k, q)
      const exact = k * k * sumSquares(q) // T is the least integer with T² ≥ k²‖q‖²
      expect(T * T >= exact && (T === 0n || (T - 1n) * (T - 1n) < exact)).toBe(true)
    }
  })

  it('any path to the same supplies costs the same: a buy then its sale returns the gross exactly', () => {
    const r = rng(3)
    for (let i = 0; i < 500; i++) {
      const k = BigInt(1 + r.int(100))
      const q = Array.from({ length: 2 + r.int(5) }, () => 1n + r.big(80))
      const o = r.int(q.length)
      const x = 1n + r.big(80)
      const b = quoteBuy(k, 200n, q, o, x)
      const after = q.map((v, j) => (j === o ? v + x : v))
      const s = quoteSell(k, 200n, after, o, x)
      expect(s.gross).toBe(b.gross)
      expect(b.total - s.total).toBe(b.fee + s.fee)
      expect(poolAt(k, q) + b.gross).toBe(poolAt(k, after))
    }
  })

  it('fees round up; the seed fits the budget; expiry refunds sum to the pool', () => {
    expect(feeOn(1n, 200n)).toBe(1n)
    expect(feeOn(10_000n, 200n)).toBe(200n)
    expect(feeOn(10_001n, 200n)).toBe(201n)
    const s = seedOf(3n, 4, 1_000_000n, 100_000n)
    expect(poolAt(3n, [s, s, s, s])).toBeLessThanOrEqual(900_000n)
    expect(poolAt(3n, [s + 1n, s + 1n, s + 1n, s + 1n])).toBeGreaterThan(900_000n)
    const q = [7n, 11n, 13n]
    expect(expiredRefund(q, q, 1000n)).toBe(1000n)
    const p = prices(1n, [3n, 4n])
    expect(p.probability[0] + p.probability[1]).toBeCloseTo(1, 12)
    expect(p.marginal).toEqual([0.6, 0.8])
  })
})
