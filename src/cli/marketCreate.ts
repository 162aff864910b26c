// `lockstep market create`: checks every field (marketFields.ts) and the creator's balance, approves the
// factory for the liquidity, creates the market and prints its address last, alone on its line, for scripts.
import { formatUnits } from 'viem'
import { createdMarket, createMarket } from '../markets/chain.ts'
import { seedOf } from '../markets/cost.ts'
import { MarketError } from '../errors/market.ts'
import { createPlan } from './marketFields.ts'
import {
  checkBalance,
  ensureAllowance,
  marketAccess,
  marketWallet,
  sent,
  tokenOf,
  units,
} from './marketAccess.ts'

export async function createCommand(args: string[]): Promise<number> {
  const access = await marketAccess(args)
  const collateral = access.config.marketCollateral
  if (!collateral) throw new MarketError('No collateral: pass --collateral ADDR (an ERC-20).')
  const token = await tokenOf(access.client, collateral)
  const plan = createPlan(args, token)
  const { config: c, terms: t } = plan
  const seed = seedOf(c.k, t.outcomes.length, c.liquidity, c.deposit)
  console.log(`question: ${t.question}`)
  console.log(`outcomes: ${t.outcomes.map((o, i) => `${i} ${JSON.stringify(o)}`).join(', ')}`)
  console.log(`input: ${plan.market.input.length} characters from ${plan.inputFrom}, hash ${t.inputHash}`)
  console.log(`model: ${t.modelUri}, hash ${t.modelHash}`)
  console.log(
    `k ${c.k}, fee ${Number(c.feeBps) / 100}% (creator ${Number(c.creatorFeeBps) / 100}%), liquidity ${units(token, c.liquidity)}, ` +
      `deposit ${units(token, c.deposit)}, bond ${units(token, c.bond)}, seed ${formatUnits(seed, token.decimals)} shares per outcome`,
  )
  console.log(
    `trading ${c.tradingWindow} s, settlement window ${c.settlementWindow} s, challenge window ${c.challengeWindow} s`,
  )
  const wallet = await marketWallet(args, access)
  await checkBalance(access, token, wallet.address, c.liquidity, 'Creating the market')
  await ensureAllowance(access, wallet, token, access.factory.address, c.liquidity)
  const tx = createMarket(wallet, access.factory, c, t)
  await sent(access, 'create the market', tx)
  console.log(await createdMarket(access.client, await tx))
  return 0
}
