// `lockstep market show ADDR` and `market list`: a market's phase and deadlines (against the chain's
// clock, which is what the contract reads), outcomes with supply, price and probability, the settlement
// and its status, and with --holder (or a key) that holder's shares, what it is owed, and its P&L.
// --json: the same as JSON, amounts as decimal strings of base units.
import { formatUnits, getAddress, isAddress, type Address } from 'viem'
import { marketAbi } from '../chain/contracts/Market.ts'
import { UsageError } from '../errors/cli.ts'
import { prices } from '../markets/cost.ts'
import {
  listMarkets,
  readConfig,
  readHoldings,
  readMarket,
  readTerms,
  type Claim,
  type ContractRef,
} from '../markets/chain.ts'
import { flag } from './args.ts'
import { marketAccess, marketRef, marketWallet, tokenOf, units, type MarketAccess } from './marketAccess.ts'
import { payoutOf, resolution, saleValue, tradesOf } from './marketView.ts'

const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString()

function holderOf(args: string[]): Address | 'key' | null {
  const h = flag(args, 'holder')
  if (h !== undefined) {
    if (!isAddress(h, { strict: false })) throw new UsageError(`--holder ${h} is not an address`)
    return getAddress(h)
  }
  return flag(args, 'key') || flag(args, 'keystore') || process.env.LOCKSTEP_KEY ? 'key' : null
}

async function view(access: MarketAccess, ref: ContractRef, holder: Address | null, fromBlock: bigint) {
  const { client } = access
  const [state, config, terms, block] = await Promise.all([
    readMarket(client, ref),
    readConfig(client, ref),
    readTerms(client, ref),
    client.getBlock(),
  ])
  const token = await tokenOf(client, config.collateral)
  const p = prices(config.k, state.supplies)
  const claim = (c: Claim | null) => c && { ...c, outcomeName: terms.outcomes[c.outcome] }
  const resolved = resolution(state)
  let mine = null
  if (holder) {
    const h = await readHoldings(client, ref, holder, terms.outcomes.length)
    const seedRedeemed = await client.readContract({ ...ref, abi: marketAbi, functionName: 'seedRedeemed' })
    const seed = holder === state.creator && !seedRedeemed ? state.seed : 0n
    const trades = await tradesOf(client, ref, holder, fromBlock)
    // Traded shares only: the creator's seed is its liquidity, not a trade.
    const worth = resolved
      ? payoutOf(h.shares, state)
      : state.phase === 'open'
        ? saleValue(h.shares, state, config)
        : null
    mine = {
      holder,
      shares: h.shares,
      seed,
      owed: h.owed,
      redeemable: resolved
        ? payoutOf(
            h.shares.map((x) => x + seed),
            state,
          )
        : null,
      ...trades,
      worth,
      worthIs: resolved ? 'payout' : state.phase === 'open' ? 'sale' : null,
      pnl: worth === null ? null : trades.received + worth - trades.spent,
    }
  }
  return {
    chainId: access.config.chainId,
    market: ref.address,
    factory: access.factory.address,
    chainTime: block.timestamp,
    phase: state.phase,
    creator: state.creator,
    referee: state.referee,
    terms,
    collateral: token,
    config,
    deadline: state.deadline,
    settlementDeadline: state.settlementDeadline,
    pool: state.pool,
    seed: state.seed,
    outcomes: terms.outcomes.map((name, i) => ({
      index: i,
      name,
      supply: state.supplies[i],
      price: p.marginal[i],
      probability: p.probability[i],
    })),
    proposal: claim(state.proposal),
    challengeUntil: state.proposal ? state.proposal.at + config.challengeWindow : null,
    counter: claim(state.counter),
    resolution: resolved && { ...resolved, recorded: state.payoutPool > 0n },
    holdings: mine,
  }
}

type View = Awaited<ReturnType<typeof view>>
const json = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)

function print(v: View) {
  const t = v.collateral
  const u = (x: bigint) => units(t, x)
  const sh = (x: bigint) => formatUnits(x, t.decimals)
  const when = (x: bigint) =>
    `${iso(x)} (${x > v.chainTime ? 'in' : 'passed'} ${(Number(x > v.chainTime ? x - v.chainTime : v.chainTime - x) / 60).toFixed(1)} min)`
  console.log(`market ${v.market} on chain ${v.chainId} (factory ${v.factory})`)
  console.log(`question: ${v.terms.question}${v.terms.category ? `  [${v.terms.category}]` : ''}`)
  console.log(`phase: ${v.phase} at chain time ${iso(v.chainTime)}`)
  console.log(`  trading until ${when(v.deadline)}; settlement by ${when(v.settlementDeadline)}`)
  const c = v.config
  console.log(
    `collateral ${t.symbol} ${t.address} (${t.decimals} decimals); k ${c.k}, fee ${Number(c.feeBps) / 100}% ` +
      `(creator ${Number(c.creatorFeeBps) / 100}%), deposit ${u(c.deposit)}, bond ${u(c.bond)}`,
  )
  console.log(`pool ${u(v.pool)}; seed ${sh(v.seed)} shares per outcome (the creator's)`)
  for (const o of v.outcomes)
    console.log(
      `  ${o.index} ${JSON.stringify(o.name)}: supply ${sh(o.supply)}, price ${o.price.toFixed(4)}, probability ${(100 * o.probability).toFixed(1)}%`,
    )
  console.log(
    `model ${v.terms.modelUri} ${v.terms.modelHash}; input hash ${v.terms.inputHash}; rule ${v.terms.rule}`,
  )
  const claimLine = (what: string, x: NonNullable<View['proposal']>) =>
    console.log(
      `${what}: outcome ${x.outcome} ${JSON.stringify(x.outcomeName)} by ${x.by} (producer ${x.producer}) at ${iso(x.at)}, receipt ${x.receiptHash}`,
    )
  if (v.proposal) {
    claimLine('settlement', v.proposal)
    console.log(`  challenge window until ${when(v.challengeUntil!)}`)
  } else console.log('settlement: none yet')
  if (v.counter) claimLine('challenge', v.counter)
  const r = v.resolution
  if (r)
    console.log(
      `status: ${r.winner >= 0 ? `settled on outcome ${r.winner} ${JSON.stringify(v.terms.outcomes[r.winner])}` : 'expired (refunds at the final prices)'}, ` +
        `payout pool ${u(r.payoutPool)}${r.recorded ? '' : ' (not recorded yet: finalize, redeem or withdraw records it)'}`,
    )
  const h = v.holdings
  if (!h) return
  console.log(`holder ${h.holder}:`)
  console.log(
    `  shares: ${h.shares.map((x, i) => `${JSON.stringify(v.terms.outcomes[i])} ${sh(x)}`).join(', ')}${h.seed ? ` (+ seed ${sh(h.seed)} each)` : ''}`,
  )
  console.log(`  owed (fees, bonds, deposit; withdraw): ${u(h.owed)}`)
  if (h.redeemable !== null) console.log(`  redeem pays: ${u(h.redeemable)}`)
  console.log(`  spent ${u(h.spent)}, received ${u(h.received)}`)
  if (h.worth !== null && h.pnl !== null)
    console.log(
      `  worth ${u(h.worth)} (${h.worthIs === 'sale' ? 'selling everything now' : 'its payout'}); P&L ${h.pnl < 0n ? '−' : '+'}${u(h.pnl < 0n ? -h.pnl : h.pnl)}`,
    )
}

export async function showCommand(args: string[], given: string | undefined): Promise<number> {
  const access = await marketAccess(args)
  const ref = await marketRef(access, given)
  const who = holderOf(args)
  const holder = who === 'key' ? (await marketWallet(args, access)).address : who
  const v = await view(access, ref, holder, BigInt(flag(args, 'from-block') ?? 0))
  if (args.includes('--json')) console.log(json(v))
  else print(v)
  return 0
}

export async function listCommand(args: string[]): Promise<number> {
  const access = await marketAccess(args)
  const start = Number(flag(args, 'start') ?? 0)
  const count = Number(flag(args, 'count') ?? 100)
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(count) || count < 1 || count > 1000)
    throw new UsageError('--start takes a number from 0, --count 1 to 1000')
  const markets = await listMarkets(access.client, access.factory, { start, count })
  const rows = await Promise.all(
    markets.map(async (address) => {
      const ref = { config: access.config, address }
      const [s, t] = await Promise.all([readMarket(access.client, ref), readTerms(access.client, ref)])
      const p = prices(1n, s.supplies).probability
      return {
        market: address,
        question: t.question,
        phase: s.phase,
        deadline: s.deadline,
        outcomes: t.outcomes.map((name, i) => ({ name, probability: p[i] })),
      }
    }),
  )
  if (args.includes('--json'))
    console.log(json({ chainId: access.config.chainId, factory: access.factory.address, markets: rows }))
  else if (rows.length === 0) console.log(`no markets on the factory ${access.factory.address}`)
  else
    for (const r of rows)
      console.log(
        `${r.market}  ${r.phase.padEnd(19)}  ${r.question}  ${r.outcomes.map((o) => `${o.name} ${(100 * o.probability).toFixed(0)}%`).join(' / ')}`,
      )
  return 0
}
