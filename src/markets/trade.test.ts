import { describe, expect, it } from 'vitest'
import { quoteBuy, quoteSell } from './cost.ts'
import { positionOf, previewTrade, probabilityPath } from './trade.ts'

const m = { k: 1n, feeBps: 200n, supplies: [10n ** 18n, 10n ** 18n] }

describe('previewTrade', () => {
  it('buys at the reference quote, bounded by the slippage, and moves the probabilities', () => {
    const p = previewTrade(m, 'buy', 0, 10n ** 17n, 100n)
    const q = quoteBuy(1n, 200n, m.supplies, 0, 10n ** 17n)
    expect([p.gross, p.fee, p.total]).toEqual([q.gross, q.fee, q.total])
    expect(p.bound).toBe((q.total * 10_100n) / 10_000n)
    expect(p.before).toEqual([0.5, 0.5])
    expect(p.after[0]).toBeGreaterThan(0.5)
    expect(p.after[0] + p.after[1]).toBeCloseTo(1, 12)
    expect(p.impact).toBeCloseTo(p.after[0] - 0.5, 12)
    expect(previewTrade(m, 'buy', 0, 10n ** 17n, 0n).bound).toBe(q.total)
  })

  it('sells with a minimum below the proceeds, rounded up', () => {
    const p = previewTrade(m, 'sell', 1, 3n, 5000n)
    const q = quoteSell(1n, 200n, m.supplies, 1, 3n)
    expect(p.total).toBe(q.total)
    expect(p.bound).toBe((q.total * 5000n + 9999n) / 10_000n)
    expect(p.impact).toBeLessThanOrEqual(0)
  })

  it('refuses what the market would refuse', () => {
    expect(() => previewTrade(m, 'buy', 2, 1n, 0n)).toThrow(RangeError)
    expect(() => previewTrade(m, 'buy', 0, 0n, 0n)).toThrow(RangeError)
    expect(() => previewTrade(m, 'buy', 0, 1n, 10_000n)).toThrow(RangeError)
  })
})

describe('positions', () => {
  it('values a holding at what selling it returns, and P&L against what was paid', () => {
    const bought = quoteBuy(1n, 200n, [10n, 10n], 0, 5n).total
    const after = { k: 1n, feeBps: 200n, supplies: [15n, 10n] }
    const p = positionOf(after, [5n, 0n], [{ side: 'buy', outcome: 0, shares: 5n, amount: bought }])
    expect(p.net).toBe(bought)
    expect(p.value).toBe(quoteSell(1n, 200n, after.supplies, 0, 5n).total)
    expect(p.pnl).toBe(p.value - bought)
    expect(p.pnl).toBeLessThan(0n) // the fee both ways
  })

  it('traces the probabilities from the seed through each trade', () => {
    const path = probabilityPath(1n, 2, 10n, [
      { side: 'buy', outcome: 0, shares: 10n, amount: 0n },
      { side: 'sell', outcome: 0, shares: 10n, amount: 0n },
    ])
    expect(path).toEqual([
      [0.5, 0.5],
      [0.8, 0.2],
      [0.5, 0.5],
    ])
  })
})
