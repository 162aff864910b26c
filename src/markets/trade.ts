// A trade's preview from the bigint reference (cost.ts) at the chain's current supplies: what it costs
// or returns, the fee, how far it moves the outcome's probability, the probabilities after, and the
// bound sent with it (maxCost or minProceeds) so a market that moved meanwhile reverts instead of
// filling worse than the visitor agreed to. Also a wallet's position and P&L from its trades.
import { BPS, prices, quoteBuy, quoteSell } from './cost.ts'

export type Side = 'buy' | 'sell'

export interface Preview {
  side: Side
  gross: bigint
  fee: bigint
  /** Paid (buy) or received (sell), fee included. */
  total: bigint
  /** maxCost (buy) or minProceeds (sell): `total` moved by the slippage tolerance. */
  bound: bigint
  before: number[]
  after: number[]
  /** The outcome's probability after minus before (percentage points / 100). */
  impact: number
}

/**
 * The preview of trading `shares` of `outcome`; `slippageBps` widens the bound (buy: up to total ×
 * (1 + s), sell: down to total × (1 − s), each rounded toward the trader's protection).
 */
export function previewTrade(
  m: { k: bigint; feeBps: bigint; supplies: readonly bigint[] },
  side: Side,
  outcome: number,
  shares: bigint,
  slippageBps: bigint,
): Preview {
  if (!(outcome >= 0 && outcome < m.supplies.length)) throw new RangeError('no such outcome')
  if (shares <= 0n) throw new RangeError('shares must be positive')
  if (slippageBps < 0n || slippageBps >= BPS) throw new RangeError('slippage must be in [0, 100%)')
  const q = side === 'buy' ? quoteBuy : quoteSell
  const { gross, fee, total } = q(m.k, m.feeBps, m.supplies, outcome, shares)
  const next = m.supplies.map((x, i) => (i === outcome ? (side === 'buy' ? x + shares : x - shares) : x))
  const before = prices(m.k, m.supplies).probability
  const after = prices(m.k, next).probability
  const bound =
    side === 'buy' ? (total * (BPS + slippageBps)) / BPS : (total * (BPS - slippageBps) + BPS - 1n) / BPS
  return { side, gross, fee, total, bound, before, after, impact: after[outcome] - before[outcome] }
}

export interface Trade {
  side: Side
  outcome: number
  shares: bigint
  /** Paid (buy: cost + fee) or received (sell: proceeds after the fee). */
  amount: bigint
}

export interface Position {
  shares: bigint[]
  /** Paid for buys minus received for sells. */
  net: bigint
  /** What selling each holding now would return, one outcome at a time, summed. */
  value: bigint
  /** value − net: what the trades made or lost if sold now. */
  pnl: bigint
}

/** A wallet's position: `shares` as the chain holds them, `trades` its Bought/Sold history. */
export function positionOf(
  m: { k: bigint; feeBps: bigint; supplies: readonly bigint[] },
  shares: readonly bigint[],
  trades: readonly Trade[],
): Position {
  const net = trades.reduce((s, t) => s + (t.side === 'buy' ? t.amount : -t.amount), 0n)
  let value = 0n
  shares.forEach((x, i) => {
    if (x > 0n && x <= m.supplies[i]) value += quoteSell(m.k, m.feeBps, m.supplies, i, x).total
  })
  return { shares: [...shares], net, value, pnl: value - net }
}

/**
 * Each outcome's probability after every trade, from the seed on: the chart's series. `trades` in chain
 * order; the first point is the market as created.
 */
export function probabilityPath(k: bigint, outcomes: number, seed: bigint, trades: readonly Trade[]) {
  let q = Array.from({ length: outcomes }, () => seed)
  const path = [prices(k, q).probability]
  for (const t of trades) {
    q = q.map((x, i) => (i === t.outcome ? (t.side === 'buy' ? x + t.shares : x - t.shares) : x))
    path.push(prices(k, q).probability)
  }
  return path
}
