// `lockstep market buy|sell`: quotes the trade with cost.ts against the supplies on chain now, prints
// the preview (what it costs or returns, the fee, the price impact, the probabilities after), refuses a
// quote past the trader's bound before sending, and sends with that bound, so a trade that lands after
// someone else's is refused by the contract (CostAboveMax, ProceedsBelowMin) rather than filled worse.
import { formatUnits, type Address } from 'viem'
import { marketAbi } from '../chain/contracts/Market.ts'
import { UsageError } from '../errors/cli.ts'
import {
  InsufficientFundsError,
  MarketFieldError,
  MarketPhaseError,
  SlippageError,
} from '../errors/market.ts'
import { BPS, prices, quoteBuy, quoteSell, type Quote } from '../markets/cost.ts'
import { buy, readConfig, readMarket, readTerms, sell, type ContractRef } from '../markets/chain.ts'
import { flag } from './args.ts'
import {
  checkBalance,
  ensureAllowance,
  marketAccess,
  marketRef,
  marketWallet,
  parseUnitsOf,
  sent,
  tokenOf,
  units,
  type MarketAccess,
  type Token,
} from './marketAccess.ts'

/** --outcome: an index, or an outcome's exact text. */
export function outcomeIndex(given: string | undefined, outcomes: string[]): number {
  if (given === undefined) throw new UsageError('name the outcome: --outcome INDEX (or its text)')
  const i = /^\d{1,2}$/.test(given) ? Number(given) : outcomes.indexOf(given)
  if (!(i >= 0 && i < outcomes.length))
    throw new MarketFieldError(
      `--outcome ${given}: the market's outcomes are ${outcomes.map((o, j) => `${j} ${JSON.stringify(o)}`).join(', ')}.`,
    )
  return i
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`

function preview(
  side: 'buy' | 'sell',
  t: Token,
  names: string[],
  k: bigint,
  before: bigint[],
  i: number,
  shares: bigint,
  q: Quote,
) {
  const after = before.map((x, j) => (j === i ? (side === 'buy' ? x + shares : x - shares) : x))
  const [p0, p1] = [prices(k, before), prices(k, after)]
  const average = Number(q.gross) / Number(shares)
  const impact = average / p0.marginal[i] - 1
  const what = side === 'buy' ? 'cost' : 'proceeds'
  console.log(
    `${side} ${formatUnits(shares, t.decimals)} shares of ${JSON.stringify(names[i])} (outcome ${i})`,
  )
  console.log(
    `  ${what}: ${units(t, q.total)} = ${units(t, q.gross)} ${side === 'buy' ? '+' : '−'} fee ${units(t, q.fee)}`,
  )
  console.log(
    `  price per share: ${p0.marginal[i].toFixed(4)} now, ${average.toFixed(4)} on average, ${p1.marginal[i].toFixed(4)} after ` +
      `(price impact ${impact >= 0 ? '+' : ''}${pct(impact)})`,
  )
  console.log(
    `  probabilities: ${names.map((n, j) => `${JSON.stringify(n)} ${pct(p0.probability[j])} → ${pct(p1.probability[j])}`).join(', ')}`,
  )
}

interface Trade {
  access: MarketAccess
  ref: ContractRef
  token: Token
  i: number
  shares: bigint
  /** The bound as the trader gave it, or from --slippage-bps around the quote. */
  bound: (q: Quote) => bigint
}

async function trade(
  side: 'buy' | 'sell',
  args: string[],
  given: string | undefined,
): Promise<Trade & { q: Quote }> {
  const access = await marketAccess(args)
  const ref = await marketRef(access, given)
  const [state, config, terms] = await Promise.all([
    readMarket(access.client, ref),
    readConfig(access.client, ref),
    readTerms(access.client, ref),
  ])
  if (state.phase !== 'open')
    throw new MarketPhaseError(`Trading is closed: the market is ${state.phase}. Nothing was sent.`)
  const token = await tokenOf(access.client, config.collateral)
  const i = outcomeIndex(flag(args, 'outcome'), terms.outcomes)
  const shares = parseUnitsOf(token, flag(args, 'shares'), 'shares')
  if (shares === 0n) throw new MarketFieldError('--shares must be more than zero.')
  const limit = side === 'buy' ? 'max-cost' : 'min-proceeds'
  const fixed = flag(args, limit)
  const slippage = flag(args, 'slippage-bps')
  if (fixed !== undefined && slippage !== undefined)
    throw new UsageError(`--${limit} or --slippage-bps, not both`)
  if (slippage !== undefined && !/^\d{1,5}$/.test(slippage))
    throw new MarketFieldError(`--slippage-bps takes basis points, 0 to 99999 (got ${slippage}).`)
  const bps = BigInt(slippage ?? '0')
  const bound =
    fixed !== undefined
      ? () => parseUnitsOf(token, fixed, limit)
      : side === 'buy'
        ? (q: Quote) => q.total + (q.total * bps + BPS - 1n) / BPS
        : (q: Quote) => (bps >= BPS ? 0n : q.total - (q.total * bps + BPS - 1n) / BPS)
  let q: Quote
  if (side === 'buy') q = quoteBuy(config.k, config.feeBps, state.supplies, i, shares)
  else {
    const traded = state.supplies[i] - state.seed
    if (shares > traded)
      throw new MarketFieldError(
        `Only ${formatUnits(traded, token.decimals)} shares of outcome ${i} are held by traders.`,
      )
    q = quoteSell(config.k, config.feeBps, state.supplies, i, shares)
  }
  preview(side, token, terms.outcomes, config.k, state.supplies, i, shares, q)
  return { access, ref, token, i, shares, bound, q }
}

const dryRun = (args: string[]) => {
  if (!args.includes('--dry-run')) return false
  console.log('dry run: nothing was sent')
  return true
}

export async function buyCommand(args: string[], given: string | undefined): Promise<number> {
  const { access, ref, token, i, shares, bound, q } = await trade('buy', args, given)
  const maxCost = bound(q)
  console.log(`  pays at most ${units(token, maxCost)}`)
  if (q.total > maxCost)
    throw new SlippageError(
      `The quote, ${units(token, q.total)}, is above --max-cost ${units(token, maxCost)}. Nothing was sent.`,
    )
  if (dryRun(args)) return 0
  const wallet = await marketWallet(args, access)
  await checkBalance(access, token, wallet.address, q.total, 'Buying')
  await ensureAllowance(access, wallet, token, ref.address, maxCost)
  await sent(access, `buy outcome ${i}`, buy(wallet, ref, i, shares, maxCost))
  return 0
}

export async function sellCommand(args: string[], given: string | undefined): Promise<number> {
  const { access, ref, token, i, shares, bound, q } = await trade('sell', args, given)
  const minProceeds = bound(q)
  console.log(`  receives at least ${units(token, minProceeds)}`)
  if (q.total < minProceeds)
    throw new SlippageError(
      `The quote, ${units(token, q.total)}, is below --min-proceeds ${units(token, minProceeds)}. Nothing was sent.`,
    )
  if (dryRun(args)) return 0
  const wallet = await marketWallet(args, access)
  const held = await heldShares(access, ref, wallet.address, i)
  if (held < shares)
    throw new InsufficientFundsError(
      `${wallet.address} holds ${formatUnits(held, token.decimals)} shares of outcome ${i}. Nothing was sent.`,
    )
  await sent(access, `sell outcome ${i}`, sell(wallet, ref, i, shares, minProceeds))
  return 0
}

const heldShares = (access: MarketAccess, ref: ContractRef, holder: Address, i: number) =>
  access.client.readContract({
    address: ref.address,
    abi: marketAbi,
    functionName: 'balanceOf',
    args: [holder, BigInt(i)],
  })
