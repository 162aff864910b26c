// What a market owes and how it stands, from its state as read: the resolution time has decided even
// before anyone records it (finalize), a holder's payout (cost.ts, as the contract computes it), and a
// holder's trades and P&L from its logs. Shared by `show` and `redeem`.
import type { Address, PublicClient } from 'viem'
import { marketAbi } from '../chain/contracts/Market.ts'
import { expiredRefund, quoteSell, settledPayout } from '../markets/cost.ts'
import type { ContractRef, MarketConfig, MarketState } from '../markets/chain.ts'

/** The winner (−1 when expired) and the pool redemptions share, once resolved, as finalize would record it. */
export function resolution(s: MarketState): { winner: number; payoutPool: bigint } | null {
  // A stored resolution has a payout pool (the pool is never empty); one only time has decided has not.
  const recorded = s.payoutPool > 0n
  if (s.phase === 'settled')
    return recorded
      ? { winner: s.winner, payoutPool: s.payoutPool }
      : { winner: s.proposal!.outcome, payoutPool: s.pool }
  if (s.phase === 'expired') return { winner: -1, payoutPool: recorded ? s.payoutPool : s.pool }
  return null
}

/** What `redeem` pays for holdings `x` (per outcome, seed included where it is the holder's). */
export function payoutOf(x: readonly bigint[], s: MarketState): bigint | null {
  const r = resolution(s)
  if (!r) return null
  return r.winner >= 0
    ? settledPayout(x[r.winner], r.payoutPool, s.supplies[r.winner])
    : expiredRefund(x, s.supplies, r.payoutPool)
}

/** What selling every holding now returns, outcome by outcome, after fees. */
export function saleValue(x: readonly bigint[], s: MarketState, c: MarketConfig): bigint {
  let q = [...s.supplies]
  let total = 0n
  x.forEach((shares, i) => {
    if (shares === 0n) return
    total += quoteSell(c.k, c.feeBps, q, i, shares).total
    q = q.map((v, j) => (j === i ? v - shares : v))
  })
  return total
}

export interface Trades {
  /** Paid for shares bought, fees included. */
  spent: bigint
  /** Received for shares sold and redeemed. */
  received: bigint
}

/** The holder's buys, sells and redemptions on this market, from its logs. */
export async function tradesOf(
  client: PublicClient,
  ref: ContractRef,
  holder: Address,
  fromBlock: bigint,
): Promise<Trades> {
  const at = { address: ref.address, abi: marketAbi, fromBlock } as const
  const [bought, sold, redeemed] = await Promise.all([
    client.getContractEvents({ ...at, eventName: 'Bought', args: { trader: holder } }),
    client.getContractEvents({ ...at, eventName: 'Sold', args: { trader: holder } }),
    client.getContractEvents({ ...at, eventName: 'Redeemed', args: { holder } }),
  ])
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n)
  return {
    spent: sum(bought.map((l) => l.args.cost! + l.args.fee!)),
    received: sum(sold.map((l) => l.args.proceeds!)) + sum(redeemed.map((l) => l.args.paid!)),
  }
}
