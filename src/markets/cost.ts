// The dynamic parimutuel cost function in exact integers (docs/markets.md#economics), written from the
// formula: the pool a market holds at supplies q is ⌈k·√(Σ qᵢ²)⌉ base units of its collateral; a trade
// costs (or returns) the difference of two pools; fees are basis points rounded up. The tests hold the
// contract (contracts/Market.sol) to this, and the page uses it to preview a trade's price impact.

export const BPS = 10_000n

/** ⌊√n⌋ by Newton's method on bigints. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number')
  if (n < 2n) return n
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1) // ≥ √n
  for (;;) {
    const y = (x + n / x) >> 1n
    if (y >= x) return x
    x = y
  }
}

/** ⌈√n⌉. */
export function ceilSqrt(n: bigint): bigint {
  const r = isqrt(n)
  return r * r === n ? r : r + 1n
}

export const sumSquares = (q: readonly bigint[]) => q.reduce((s, x) => s + x * x, 0n)

/** ⌈k·√(Σ qᵢ²)⌉ = ⌈√(k²·Σ qᵢ²)⌉: exact, never below the real-valued cost, less than one unit above. */
export function poolAt(k: bigint, q: readonly bigint[]): bigint {
  return ceilSqrt(k * k * sumSquares(q))
}

/** `bps` basis points of `amount`, rounded up. */
export const feeOn = (amount: bigint, bps: bigint) => (amount * bps + BPS - 1n) / BPS

/** The equal seed per outcome that `liquidity − deposit` buys: the largest s with ⌈k·s·√n⌉ ≤ it. */
export function seedOf(k: bigint, outcomes: number, liquidity: bigint, deposit: bigint): bigint {
  const budget = liquidity - deposit
  return isqrt((budget * budget) / (k * k * BigInt(outcomes)))
}

const moved = (q: readonly bigint[], outcome: number, delta: bigint) =>
  q.map((x, i) => (i === outcome ? x + delta : x))

export interface Quote {
  /** Pool after the trade minus before (buy), or before minus after (sell): the cost function's part. */
  gross: bigint
  fee: bigint
  /** What the trader pays (buy: gross + fee) or receives (sell: gross − fee). */
  total: bigint
}

/** Buying exactly `shares` of `outcome` (exact-out): the trader pays `total`. */
export function quoteBuy(
  k: bigint,
  feeBps: bigint,
  q: readonly bigint[],
  outcome: number,
  shares: bigint,
): Quote {
  const gross = poolAt(k, moved(q, outcome, shares)) - poolAt(k, q)
  const fee = feeOn(gross, feeBps)
  return { gross, fee, total: gross + fee }
}

/** Selling exactly `shares` of `outcome` (exact-in): the trader receives `total`. */
export function quoteSell(
  k: bigint,
  feeBps: bigint,
  q: readonly bigint[],
  outcome: number,
  shares: bigint,
): Quote {
  if (shares > q[outcome]) throw new RangeError('cannot sell more than the supply')
  const gross = poolAt(k, q) - poolAt(k, moved(q, outcome, -shares))
  const fee = feeOn(gross, feeBps)
  return { gross, fee, total: gross - fee }
}

/** The creator's part of a fee (rounded down); the treasury takes the rest. */
export const creatorPart = (fee: bigint, feeBps: bigint, creatorFeeBps: bigint) =>
  (fee * creatorFeeBps) / feeBps

/** Settled: `shares` of the winning outcome pay ⌊shares · payoutPool / supply[winner]⌋. */
export const settledPayout = (shares: bigint, payoutPool: bigint, winnerSupply: bigint) =>
  (shares * payoutPool) / winnerSupply

/** Expired: holdings x pay ⌊Σ xᵢ·qᵢ · payoutPool / Σ qᵢ²⌋, each share's expected value at the final prices. */
export function expiredRefund(x: readonly bigint[], q: readonly bigint[], payoutPool: bigint): bigint {
  const weighted = x.reduce((s, xi, i) => s + xi * q[i], 0n)
  return (weighted * payoutPool) / sumSquares(q)
}

/**
 * For display only (floats): each outcome's marginal price k·qᵢ/‖q‖ per share, and the probability the
 * market implies, qᵢ²/Σq² (a winning share pays pool/qᵢ, so a price is fair when it is that probability
 * times the payout).
 */
export function prices(k: bigint, q: readonly bigint[]): { marginal: number[]; probability: number[] } {
  const s = Number(sumSquares(q))
  const norm = Math.sqrt(s)
  return {
    marginal: q.map((x) => (Number(k) * Number(x)) / norm),
    probability: q.map((x) => (Number(x) * Number(x)) / s),
  }
}
