// Markets on anvil through src/markets/chain.ts and dev wallets: the full lifecycle with real settlement
// receipts (settled, disputed and ruled, disputed and timed out, liquidated), each payout against the
// bigint reference, and the gas of each step. Revert paths: market.reverts.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256, parseEventLogs, toFunctionSelector, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startAnvil, ANVIL_KEY_0 } from '../../scripts/chain.mjs'
import { publicClient, walletClient } from '../chain/client.ts'
import { resolveChain, type ChainConfig } from '../chain/config.ts'
import { interimRefereeAbi } from '../chain/contracts/InterimReferee.ts'
import { testTokenAbi } from '../chain/contracts/TestToken.ts'
import { devWalletProvider } from '../chain/devWallet.ts'
import { connectWallet, type WalletSession } from '../chain/wallet.ts'
import { RevertedError } from '../errors/chain.ts'
import { bundledModel, BUNDLED_URI } from './model.ts'
import { recheckSettlement, settle, signSettlement, type SettlementReceipt } from './settlement.ts'
import { creatorPart, expiredRefund, quoteBuy, quoteSell, seedOf, settledPayout } from './cost.ts'
import {
  approveCollateral,
  buy,
  challengeMarket,
  createdMarket,
  createMarket,
  DEFAULT_FEES,
  liquidate,
  listMarkets,
  marketTerms,
  readConfig,
  readHoldings,
  readMarket,
  readTerms,
  redeem,
  sell,
  settleMarket,
  termsProblems,
  withdraw,
  type ContractRef,
  type MarketConfig,
} from './chain.ts'
import { deployMarkets, travel, type MarketDeployment } from './testing.ts'

const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
const question = {
  question: 'Will it rain?',
  input: 'Clouds gather over the hills.',
  outcomes: ['Yes', 'No'],
}
const ONE = 10n ** 18n
/** Gas of each step, printed at the end (docs/markets.md quotes them). */
const gas: Record<string, bigint> = {}

let node: Awaited<ReturnType<typeof startAnvil>>
let config: ChainConfig
let d: MarketDeployment
let factory: ContractRef
let modelBytes: Uint8Array
let honest: ReturnType<typeof settle>
const keys = {
  creator: generatePrivateKey(),
  alice: generatePrivateKey(),
  bob: generatePrivateKey(),
  carol: generatePrivateKey(),
  judge: generatePrivateKey(),
}
type Who = keyof typeof keys
const s = {} as Record<Who, WalletSession>
const treasury = privateKeyToAccount(generatePrivateKey()).address

beforeAll(async () => {
  node = await startAnvil()
  config = resolveChain({ rpc: node.rpcUrl, registry: REGISTRY })
  d = await deployMarkets(node.rpcUrl, ANVIL_KEY_0, {
    registry: REGISTRY,
    treasury,
    refereeOwner: privateKeyToAccount(keys.judge).address,
  })
  factory = { config, address: d.factory }
  for (const who of Object.keys(keys) as Who[]) {
    s[who] = await connectWallet(devWalletProvider(keys[who], config), who)
    await mined(mint(s[who], 1000n * ONE))
  }
  modelBytes = bundledModel()
  honest = settle(modelBytes, question, BUNDLED_URI)
}, 60_000)
afterAll(() => node?.stop())

const client = () => publicClient(config)
async function mined(hash: Promise<Hex>, name?: string) {
  const r = await client().waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 })
  expect(r.status).toBe('success')
  if (name) gas[name] = r.gasUsed
  return r
}
const mint = (w: WalletSession, amount: bigint) =>
  walletClient(w.provider, w.address, config).writeContract({
    address: d.token,
    abi: testTokenAbi,
    functionName: 'mint',
    args: [w.address, amount],
  } as never)
const cash = (a: Address) =>
  client().readContract({ address: d.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] })
const signed = (who: Who, outcome: number): Promise<SettlementReceipt> =>
  signSettlement({ ...honest, outcome }, privateKeyToAccount(keys[who]), {
    chainId: config.chainId,
    verifyingContract: REGISTRY,
  })

const economics = (over: Partial<MarketConfig> = {}): MarketConfig => ({
  collateral: d.token,
  k: 1n,
  ...DEFAULT_FEES,
  liquidity: 100n * ONE,
  deposit: 20n * ONE,
  bond: 10n * ONE,
  tradingWindow: 3600n,
  settlementWindow: 3600n,
  challengeWindow: 1800n,
  ...over,
})

/** A fresh market on the rain question; everyone has approved it. */
async function newMarket(over: Partial<MarketConfig> = {}, label?: string): Promise<ContractRef> {
  const c = economics(over)
  await mined(approveCollateral(s.creator, config, d.token, d.factory, c.liquidity))
  const terms = marketTerms(
    question,
    { hash: keccak256(modelBytes), uri: BUNDLED_URI },
    { category: 'weather' },
  )
  const tx = createMarket(s.creator, factory, c, terms)
  await mined(tx, label)
  const ref = { config, address: await createdMarket(client(), await tx) }
  for (const who of Object.keys(keys) as Who[])
    await mined(approveCollateral(s[who], config, d.token, ref.address, 10n ** 30n))
  return ref
}

/** Buys at the reference quote (exactly as the bound) and returns the shares. */
async function buyAt(ref: ContractRef, who: Who, outcome: number, shares: bigint, label?: string) {
  const st = await readMarket(client(), ref)
  const q = quoteBuy(1n, DEFAULT_FEES.feeBps, st.supplies, outcome, shares)
  await mined(buy(s[who], ref, outcome, shares, q.total), label)
  return q
}

describe('a market on chain', () => {
  const h = () => honest.outcome
  const wrong = () => 1 - honest.outcome

  it('reads back what was created; trades at the reference price; a wrong settlement is challenged and overturned', async () => {
    const m = await newMarket({}, 'create (2 outcomes)')
    expect((await listMarkets(client(), factory)).includes(m.address)).toBe(true)
    const terms = await readTerms(client(), m)
    expect(terms.outcomes).toEqual(question.outcomes)
    expect((await readConfig(client(), m)).feeBps).toBe(200n)
    const st0 = await readMarket(client(), m)
    expect(st0.phase).toBe('open')
    expect(st0.seed).toBe(seedOf(1n, 2, 100n * ONE, 20n * ONE))

    await buyAt(m, 'alice', h(), 30n * ONE, 'buy')
    await buyAt(m, 'bob', wrong(), 50n * ONE)
    const bobBefore = await cash(s.bob.address)
    const st1 = await readMarket(client(), m)
    const q = quoteSell(1n, 200n, st1.supplies, wrong(), 10n * ONE)
    await mined(sell(s.bob, m, wrong(), 10n * ONE, q.total), 'sell')
    expect(await cash(s.bob.address)).toBe(bobBefore + q.total)
    // A bound one unit short of the quote is refused, by name, as the app sees it.
    const tight = quoteBuy(1n, 200n, (await readMarket(client(), m)).supplies, h(), ONE)
    const e = await buy(s.alice, m, h(), ONE, tight.total - 1n).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(RevertedError)
    expect((e as RevertedError).shortMessage).toContain('(CostAboveMax)')

    await travel(node.rpcUrl, 3600)
    expect((await readMarket(client(), m)).phase).toBe('awaiting-settlement')
    // The creator settles on the wrong outcome; its receipt matches the terms but not re-execution.
    const lie = await signed('creator', wrong())
    expect(termsProblems(lie, terms)).toEqual([])
    await mined(settleMarket(s.creator, client(), m, lie, 'ipfs://lie'), 'settle')
    const truth = await signed('carol', h())
    const challenged = await mined(challengeMarket(s.carol, client(), m, truth, 'ipfs://truth'), 'challenge')
    // The market told its referee (IReferee.disputeOpened), which logs the two receipts.
    const [notice] = parseEventLogs({
      abi: interimRefereeAbi,
      eventName: 'DisputeOpened',
      logs: challenged.logs,
    })
    expect(notice.args).toEqual({
      market: m.address,
      proposed: lie.receiptHash,
      proposedOutcome: BigInt(wrong()),
      countered: truth.receiptHash,
      counterOutcome: BigInt(h()),
    })
    const disputed = await readMarket(client(), m)
    expect(disputed.phase).toBe('disputed')
    expect(disputed.proposal?.producer).toBe(s.creator.address)
    expect(disputed.counter?.producer).toBe(s.carol.address)

    // The interim referee re-executes both and rules for the one that holds.
    const bad = (await recheckSettlement(lie, modelBytes)).filter((c) => !c.ok)
    const good = (await recheckSettlement(truth, modelBytes)).filter((c) => !c.ok)
    expect(bad.map((c) => c.name)).toContain('outcome')
    expect(good).toEqual([])
    const judge = walletClient(s.judge.provider, s.judge.address, config)
    await mined(
      judge.writeContract({
        address: d.referee,
        abi: interimRefereeAbi,
        functionName: 'rule',
        args: [m.address, true],
      } as never),
      'rule',
    )
    const settled = await readMarket(client(), m)
    expect(settled.phase).toBe('settled')
    expect(settled.winner).toBe(h())
    // The creator forfeits its deposit to the winners; carol takes both bonds.
    expect(settled.payoutPool).toBe(settled.pool + 20n * ONE)
    const alice = (await readHoldings(client(), m, s.alice.address, 2)).shares[h()]
    const before = await cash(s.alice.address)
    await mined(redeem(s.alice, m), 'redeem')
    expect(await cash(s.alice.address)).toBe(
      before + settledPayout(alice, settled.payoutPool, settled.supplies[h()]),
    )
    expect((await readHoldings(client(), m, s.alice.address, 2)).shares[h()]).toBe(0n)
    const e2 = await redeem(s.bob, m).catch((x: unknown) => x)
    expect((e2 as RevertedError).shortMessage).toContain('(NothingToRedeem)')
    const carol = await cash(s.carol.address)
    await mined(withdraw(s.carol, m), 'withdraw')
    expect(await cash(s.carol.address)).toBe(carol + 20n * ONE)
  }, 120_000)

  it('an unchallenged settlement finalises after its window: deposit, bond and fees return to the creator', async () => {
    const m = await newMarket()
    const paid = await buyAt(m, 'alice', h(), 40n * ONE)
    await travel(node.rpcUrl, 3600)
    await mined(settleMarket(s.creator, client(), m, await signed('creator', h()), 'ipfs://r'))
    const same = await challengeMarket(s.carol, client(), m, await signed('carol', h()), 'x').catch(
      (x: unknown) => x,
    )
    expect((same as RevertedError).shortMessage).toContain('(SameOutcome)')
    expect((await readMarket(client(), m)).phase).toBe('proposed')
    await travel(node.rpcUrl, 1800)
    const st = await readMarket(client(), m)
    expect(st.phase).toBe('settled')
    await mined(redeem(s.alice, m))
    const creator = await cash(s.creator.address)
    await mined(redeem(s.creator, m)) // its seed's share of the winners' pool
    const seedPaid = settledPayout(st.seed, st.pool, st.supplies[h()])
    expect(await cash(s.creator.address)).toBe(creator + seedPaid)
    const fees = creatorPart(paid.fee, 200n, 150n)
    await mined(withdraw(s.creator, m))
    expect(await cash(s.creator.address)).toBe(creator + seedPaid + 20n * ONE + 10n * ONE + fees)
    expect((await readHoldings(client(), m, treasury, 2)).owed).toBe(paid.fee - fees)
  }, 60_000)

  it('a creator who never settles is liquidated: holders share the pool and the deposit at the final prices', async () => {
    const m = await newMarket()
    await buyAt(m, 'alice', 0, 30n * ONE)
    await buyAt(m, 'bob', 1, 10n * ONE)
    await travel(node.rpcUrl, 3600)
    const early = await liquidate(s.bob, m).catch((x: unknown) => x)
    expect((early as RevertedError).shortMessage).toContain('(NotLiquidatable)')
    await travel(node.rpcUrl, 3600)
    const late = await settleMarket(s.creator, client(), m, await signed('creator', 0), 'x').catch(
      (x: unknown) => x,
    )
    expect((late as RevertedError).shortMessage).toContain('(SettlementWindowOver)')
    await mined(liquidate(s.bob, m), 'liquidate')
    const st = await readMarket(client(), m)
    expect(st.phase).toBe('expired')
    expect(st.payoutPool).toBe(st.pool + 20n * ONE)
    let paid = 0n
    for (const who of ['alice', 'bob', 'creator'] as const) {
      const held = (await readHoldings(client(), m, s[who].address, 2)).shares.map(
        (x) => x + (who === 'creator' ? st.seed : 0n),
      )
      const want = expiredRefund(held, st.supplies, st.payoutPool)
      const before = await cash(s[who].address)
      await mined(redeem(s[who], m), who === 'alice' ? 'redeem (expired)' : undefined)
      expect(await cash(s[who].address)).toBe(before + want)
      paid += want
    }
    expect(st.payoutPool - paid).toBeLessThan(3n) // rounding only
    expect(st.payoutPool - paid).toBeGreaterThanOrEqual(0n)
  }, 60_000)

  it('a dispute the referee leaves past its timeout expires: both bonds and the deposit return, holders are refunded', async () => {
    const m = await newMarket()
    const paid = await buyAt(m, 'alice', h(), 5n * ONE)
    await travel(node.rpcUrl, 3600)
    await mined(settleMarket(s.creator, client(), m, await signed('creator', h()), 'r'))
    await mined(challengeMarket(s.bob, client(), m, await signed('bob', wrong()), 'c'))
    await travel(node.rpcUrl, 7 * 24 * 3600)
    expect((await readMarket(client(), m)).phase).toBe('expired')
    const judge = walletClient(s.judge.provider, s.judge.address, config)
    const tooLate = await judge
      .writeContract({
        address: d.referee,
        abi: interimRefereeAbi,
        functionName: 'rule',
        args: [m.address, false],
      } as never)
      .catch((x: unknown) => x)
    // The market's refusal comes through the referee contract, whose ABI does not name it.
    expect(String(tooLate)).toContain(toFunctionSelector('WrongPhase(uint8)'))
    const bob = await cash(s.bob.address)
    await mined(withdraw(s.bob, m))
    expect(await cash(s.bob.address)).toBe(bob + 10n * ONE)
    // Bob's withdraw recorded the expiry: the creator is owed its bond, its deposit and its fees.
    const creatorOwed = (await readHoldings(client(), m, s.creator.address, 2)).owed
    expect(creatorOwed).toBe(30n * ONE + creatorPart(paid.fee, 200n, 150n))
    const st = await readMarket(client(), m)
    expect(st.payoutPool).toBe(st.pool)
    const alice = await cash(s.alice.address)
    const held = (await readHoldings(client(), m, s.alice.address, 2)).shares
    await mined(redeem(s.alice, m))
    expect(await cash(s.alice.address)).toBe(alice + expiredRefund(held, st.supplies, st.pool))
  }, 60_000)

  it('takes the largest market the bounds allow: 20 outcomes of 90 bytes', async () => {
    const c = economics()
    await mined(approveCollateral(s.creator, config, d.token, d.factory, c.liquidity))
    const outcomes = Array.from({ length: 20 }, (_, i) => `outcome ${i}`.padEnd(90, '.'))
    const wide = { ...question, outcomes: outcomes.map((o) => o.slice(0, 30)) }
    const terms = { ...marketTerms(wide, { hash: keccak256(modelBytes), uri: BUNDLED_URI }), outcomes }
    const long = { ...terms, outcomes: [...outcomes.slice(1), `${outcomes[0]}.`] }
    const e = await createMarket(s.creator, factory, c, long).catch((x: unknown) => x)
    expect((e as RevertedError).shortMessage).toContain('(BadOutcome)') // named, though the factory did not raise it
    const tx = createMarket(s.creator, factory, c, terms)
    await mined(tx, 'create (20 outcomes of 90 bytes)')
    const m = { config, address: await createdMarket(client(), await tx) }
    await mined(approveCollateral(s.alice, config, d.token, m.address, 10n ** 30n))
    await buyAt(m, 'alice', 19, ONE, 'buy (20 outcomes)')
    expect((await readTerms(client(), m)).outcomes).toEqual(outcomes)
  }, 60_000)

  it('reports gas', () => {
    console.log(
      Object.entries(gas)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    )
    expect(gas.buy).toBeGreaterThan(0n)
  })
})
