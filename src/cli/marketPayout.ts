// `lockstep market redeem|withdraw|finalize|liquidate`: the steps after trading. Each checks first that
// the contract would do something (the phase, a holding, something owed) and says what it expects to be
// paid (cost.ts, as the contract computes it), then what the balance moved by.
import { erc20Abi, type Address } from 'viem'
import { marketAbi } from '../chain/contracts/Market.ts'
import { MarketPhaseError, InsufficientFundsError } from '../errors/market.ts'
import {
  finalize,
  liquidate,
  readConfig,
  readHoldings,
  readMarket,
  redeem,
  withdraw,
} from '../markets/chain.ts'
import {
  marketAccess,
  marketRef,
  marketWallet,
  sent,
  tokenOf,
  units,
  type MarketAccess,
  type Token,
} from './marketAccess.ts'
import { payoutOf, resolution } from './marketView.ts'

async function setup(args: string[], given: string | undefined) {
  const access = await marketAccess(args)
  const ref = await marketRef(access, given)
  const [state, config] = await Promise.all([readMarket(access.client, ref), readConfig(access.client, ref)])
  const token = await tokenOf(access.client, config.collateral)
  return { access, ref, state, token }
}

const balance = (access: MarketAccess, t: Token, who: Address) =>
  access.client.readContract({ address: t.address, abi: erc20Abi, functionName: 'balanceOf', args: [who] })

async function paid(access: MarketAccess, t: Token, who: Address, before: bigint, expected: bigint) {
  const got = (await balance(access, t, who)) - before
  console.log(
    `received ${units(t, got)}${got === expected ? ', as expected' : `; expected ${units(t, expected)}`}`,
  )
}

export async function redeemCommand(args: string[], given: string | undefined): Promise<number> {
  const { access, ref, state, token } = await setup(args, given)
  if (!resolution(state))
    throw new MarketPhaseError(`The market is ${state.phase}; holders redeem once it is settled or expired.`)
  const wallet = await marketWallet(args, access)
  const h = await readHoldings(access.client, ref, wallet.address, state.supplies.length)
  const seedRedeemed = await access.client.readContract({
    ...ref,
    abi: marketAbi,
    functionName: 'seedRedeemed',
  })
  const seed = wallet.address === state.creator && !seedRedeemed ? state.seed : 0n
  const x = h.shares.map((s) => s + seed)
  const r = resolution(state)!
  if ((r.winner >= 0 ? x[r.winner] : x.reduce((a, b) => a + b, 0n)) === 0n)
    throw new InsufficientFundsError(`${wallet.address} holds nothing this market pays. Nothing was sent.`)
  const expected = payoutOf(x, state)!
  console.log(`redeem pays ${units(token, expected)}`)
  const before = await balance(access, token, wallet.address)
  await sent(access, 'redeem', redeem(wallet, ref))
  await paid(access, token, wallet.address, before, expected)
  if (h.owed > 0n)
    console.log(`also owed ${units(token, h.owed)} in fees, bonds or deposit: lockstep market withdraw`)
  return 0
}

export async function withdrawCommand(args: string[], given: string | undefined): Promise<number> {
  const { access, ref, state, token } = await setup(args, given)
  const wallet = await marketWallet(args, access)
  // What finalize (which withdraw calls) releases is not in `owed` yet; the balance says what came.
  const { owed } = await readHoldings(access.client, ref, wallet.address, state.supplies.length)
  console.log(
    `owed now: ${units(token, owed)}${resolution(state) && state.payoutPool === 0n ? ' (and whatever finalize releases)' : ''}`,
  )
  const before = await balance(access, token, wallet.address)
  await sent(access, 'withdraw', withdraw(wallet, ref))
  console.log(`received ${units(token, (await balance(access, token, wallet.address)) - before)}`)
  return 0
}

export async function finalizeCommand(args: string[], given: string | undefined): Promise<number> {
  const { access, ref, state } = await setup(args, given)
  if (!resolution(state) || state.payoutPool > 0n)
    throw new MarketPhaseError(
      `Nothing to finalize: the market is ${state.phase}${state.payoutPool > 0n ? ', recorded' : ''}.`,
    )
  await sent(access, 'finalize', finalize(await marketWallet(args, access), ref))
  return 0
}

export async function liquidateCommand(args: string[], given: string | undefined): Promise<number> {
  const { access, ref, state } = await setup(args, given)
  const now = (await access.client.getBlock()).timestamp
  if (state.phase !== 'awaiting-settlement' || now < state.settlementDeadline)
    throw new MarketPhaseError(
      `The market is ${state.phase}; it is liquidated when unsettled after its settlement window (${new Date(Number(state.settlementDeadline) * 1000).toISOString()}).`,
    )
  await sent(access, 'liquidate', liquidate(await marketWallet(args, access), ref))
  return 0
}
