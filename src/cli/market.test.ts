// `lockstep market …` against anvil with the dev chain's markets (scripts/chain.mjs): a market created,
// traded by two buyers, settled, left past its challenge window, finalized and redeemed, each balance
// held to cost.ts; a wrong settlement challenged by `market challenge`, which refuses a right one; fields
// outside the contract's bounds and quotes past their bound refused before any transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { erc20Abi, formatUnits, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { publicClient, walletClient } from '../chain/client.ts'
import type { ChainConfig } from '../chain/config.ts'
import { marketAbi } from '../chain/contracts/Market.ts'
import { marketFactoryAbi } from '../chain/contracts/MarketFactory.ts'
import { testTokenAbi } from '../chain/contracts/TestToken.ts'
import { testChainConfig } from '../chain/testing.ts'
import {
  approveCollateral,
  readConfig,
  readHoldings,
  readMarket,
  settleMarket,
  type ContractRef,
} from '../markets/chain.ts'
import { creatorPart, expiredRefund, quoteBuy, quoteSell, settledPayout } from '../markets/cost.ts'
import { bundledModel, BUNDLED_URI, TASK_RULE } from '../markets/model.ts'
import { TRAINED_URI } from '../markets/trained.ts'
import { settle, signSettlement } from '../markets/settlement.ts'
import { travel } from '../markets/testing.ts'
import { keyWallet } from './keyWallet.ts'
import { BOUNDS, createPlan } from './marketFields.ts'
import { MarketFieldError } from '../errors/market.ts'
import { lockstep } from './testing.ts'

/** anvil's dev accounts 1–4: public test keys, funded with ether. */
const [CREATOR, ALICE, BOB, CAROL] = [
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
] as const
const address = (key: Hex) => privateKeyToAccount(key).address
const ONE = 10n ** 18n
const rain = {
  question: 'Will it rain?',
  input: 'Clouds gather over the hills.',
  outcomes: ['Yes', 'No'],
}
const dir = mkdtempSync(join(tmpdir(), 'lockstep-market-'))

let chain: Awaited<ReturnType<typeof startChain>>
let config: ChainConfig
/** The outcome the bundled model gives the rain question. */
let honest: number

const cli = (key: Hex | '', ...args: string[]) =>
  lockstep(args, { env: { LOCKSTEP_KEY: key, LOCKSTEP_KEYSTORE_PASSWORD: '' }, limitMs: 60_000 })
const market = (key: Hex | '', sub: string, ...args: string[]) =>
  cli(key, 'market', sub, ...args, '--rpc', chain.rpcUrl)
const client = () => publicClient(config)
const cash = (who: Address) =>
  client().readContract({ address: chain.testToken, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
const nonce = (key: Hex) => client().getTransactionCount({ address: address(key) })
const marketCount = () =>
  client().readContract({ address: chain.marketFactory, abi: marketFactoryAbi, functionName: 'marketCount' })

async function create(...extra: string[]): Promise<ContractRef> {
  const args = ['--question', rain.question, '--outcome', 'Yes', '--outcome', 'No', '--input', rain.input]
  args.push('--model', 'bundled')
  const r = await market(CREATOR, 'create', ...args, '--trading', '2m', ...extra)
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  const last = r.stdout.trim().split('\n').at(-1)!
  expect(last).toMatch(/^0x[0-9a-fA-F]{40}$/)
  return { config, address: last as Address }
}

/** Buys through the CLI and holds the balance's move to cost.ts's quote. */
async function buyAs(key: Hex, ref: ContractRef, outcome: number, shares: bigint, ...extra: string[]) {
  const s = await readMarket(client(), ref)
  const q = quoteBuy(1n, 200n, s.supplies, outcome, shares)
  const before = await cash(address(key))
  const r = await market(
    key,
    'buy',
    ref.address,
    '--outcome',
    String(outcome),
    '--shares',
    `${shares / ONE}`,
    ...extra,
  )
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  expect(r.stdout).toContain(`cost: ${formatUnits(q.total, 18)} LTD (${q.total})`)
  expect(await cash(address(key))).toBe(before - q.total)
  return q
}

beforeAll(async () => {
  chain = await startChain()
  config = testChainConfig(chain)
  for (const key of [CREATOR, ALICE, BOB, CAROL]) {
    const w = keyWallet(key, config)
    const hash = await walletClient(w.provider, w.address, config).writeContract({
      address: chain.testToken,
      abi: testTokenAbi,
      functionName: 'mint',
      args: [w.address, 1000n * ONE],
    } as never)
    await client().waitForTransactionReceipt({ hash, pollingInterval: 50 })
  }
  honest = settle(bundledModel(), rain, BUNDLED_URI).outcome
}, 120_000)
afterAll(() => chain?.stop())

describe('lockstep market', () => {
  it('holds the same bounds as the deployed contract', async () => {
    const read = (functionName: string) =>
      client().readContract({
        address: chain.marketImplementation,
        abi: marketAbi,
        functionName,
      } as never) as Promise<bigint>
    const [minO, maxO, bytes, text, minK, maxK, minF, maxF, minT, maxT, minS, maxS, minC, maxC] =
      await Promise.all(
        [
          'MIN_OUTCOMES',
          'MAX_OUTCOMES',
          'MAX_OUTCOME_BYTES',
          'MAX_TEXT_BYTES',
          'MIN_K',
          'MAX_K',
          'MIN_FEE_BPS',
          'MAX_FEE_BPS',
          'MIN_TRADING_WINDOW',
          'MAX_TRADING_WINDOW',
          'MIN_SETTLEMENT_WINDOW',
          'MAX_SETTLEMENT_WINDOW',
          'MIN_CHALLENGE_WINDOW',
          'MAX_CHALLENGE_WINDOW',
        ].map(read),
      )
    const n = (x: bigint) => Number(x)
    expect(BOUNDS.outcomes).toEqual([n(minO), n(maxO)])
    expect([BOUNDS.outcomeBytes, BOUNDS.textBytes]).toEqual([n(bytes), n(text)])
    expect(BOUNDS.k).toEqual([n(minK), n(maxK)])
    expect(BOUNDS.feeBps).toEqual([n(minF), n(maxF)])
    expect(BOUNDS.tradingWindow).toEqual([n(minT), n(maxT)])
    expect(BOUNDS.settlementWindow).toEqual([n(minS), n(maxS)])
    expect(BOUNDS.challengeWindow).toEqual([n(minC), n(maxC)])
  })

  it('refuses fields outside the bounds, by name, before any transaction', async () => {
    const [sent, markets] = [await nonce(CREATOR), await marketCount()]
    const base = ['--question', 'Q?', '--input', 'x']
    const two = ['--outcome', 'A', '--outcome', 'B']
    const cases: [string[], RegExp][] = [
      [[...base, '--outcome', 'A'], /1 outcomes: a market has 2 to 20/],
      [[...base, '--outcome', 'A', '--outcome', 'B'.repeat(91)], /outcome 1\) is 91 bytes; each is 1 to 90/],
      [[...base, '--outcome', 'A', '--outcome', 'A'], /Outcomes must differ/],
      [[...base, ...two, '--k', '101'], /--k 101 is outside 1 to 100/],
      [[...base, ...two, '--fee-bps', '49'], /--fee-bps 49 is outside 50 to 500/],
      [[...base, ...two, '--trading', '119'], /--trading 119 s is outside 120 s to 31536000 s/],
      [[...base, ...two, '--settlement-window', '25h'], /--settlement-window 90000 s is outside 3600 s/],
      [[...base, ...two, '--deposit', '100'], /--deposit must be less than --liquidity/],
      [[...base, ...Array.from({ length: 21 }, (_, i) => ['--outcome', `o${i}`]).flat()], /21 outcomes/],
      [[...base, '--outcome', 'A', '--outcome', ''], /outcome 1\) is 0 bytes/],
      [['--question', ' ', '--input', 'x', ...two], /The market needs a question/],
      [[...base, ...two, '--k', '0'], /--k 0 is outside 1 to 100/],
      [[...base, ...two, '--fee-bps', '501'], /--fee-bps 501 is outside/],
      [[...base, ...two, '--creator-fee-bps', '201'], /--creator-fee-bps 201 is above the fee, 200/],
      [[...base, ...two, '--trading', '366d'], /--trading 31622400 s is outside/],
      [[...base, ...two, '--trading', '2 minutes'], /--trading takes seconds/],
      [[...base, ...two, '--settlement-window', '59m'], /--settlement-window 3540 s is outside/],
      [[...base, ...two, '--challenge-window', '8d'], /--challenge-window 691200 s is outside/],
      [[...base, ...two, '--bond', '0'], /--bond must be more than zero/],
      [
        ['--question', 'Q?', '--input', './forecast.txt', ...two],
        /looks like a file's path, but there is no such file/,
      ],
      [[...base, ...two, '--liquidity', '-1'], /--liquidity takes a decimal amount of LTD/],
      [
        [...base, ...two, '--liquidity', '0.000000000000000002', '--deposit', '0.000000000000000001'],
        /too small to seed/,
      ],
      [['--question', 'Q'.repeat(513), '--input', 'x', ...two], /--question is 513 bytes; 512 at most/],
      [
        [...base, ...two, '--liquidity', '1.0000000000000000001'],
        /--liquidity 1.0000000000000000001: LTD has 18 decimals/,
      ],
    ]
    // Each bound in-process (createPlan is what create runs first); one through the CLI for its exit.
    const ltd = { address: chain.testToken, symbol: 'LTD', decimals: 18 }
    for (const [args, message] of cases) {
      const e = (() => {
        try {
          createPlan(args, ltd)
        } catch (x) {
          return x
        }
      })()
      expect(e, args.join(' ')).toBeInstanceOf(MarketFieldError)
      expect((e as Error).message).toMatch(message)
    }
    // --input FILE reads the file.
    const file = join(dir, 'forecast.txt')
    writeFileSync(file, 'Clouds gather.\n')
    expect(createPlan(['--question', 'Q?', '--input', file, ...two], ltd).market.input).toBe(
      'Clouds gather.\n',
    )
    // The bounds themselves are in.
    const edges = ['--k', '100', '--fee-bps', '500', '--trading', '2m', '--settlement-window', '24h']
    const plan = createPlan([...base, ...two, ...edges, '--challenge-window', '7d'], ltd)
    expect(plan.config).toMatchObject({ k: 100n, feeBps: 500n, creatorFeeBps: 375n, tradingWindow: 120n })
    expect([plan.config.settlementWindow, plan.config.challengeWindow]).toEqual([86_400n, 604_800n])
    const bad = await market(CREATOR, 'create', ...cases[3][0])
    expect(bad.stderr).toMatch(/MarketFieldError: --k 101 is outside 1 to 100/)
    expect(bad.status).toBe(1)
    const missing = await market(CREATOR, 'create', '--outcome', 'A', '--outcome', 'B')
    expect(missing.stderr).toContain('market create needs --question')
    expect(missing.status).toBe(2)
    const poor = await market(CREATOR, 'create', ...base, ...two, '--liquidity', '5000', '--deposit', '1')
    expect(poor.stderr).toMatch(/InsufficientFundsError: Creating the market needs 5000 LTD/)
    expect(poor.status).toBe(1)
    expect([await nonce(CREATOR), await marketCount()]).toEqual([sent, markets])
  }, 60_000)

  it('creates, trades, settles, finalizes after the challenge window and redeems: every balance as cost.ts says', async () => {
    const m = await create('--challenge-window', '10m')
    const listed = JSON.parse((await market('', 'list', '--json')).stdout)
    expect(listed.markets.map((x: { market: string }) => x.market)).toContain(m.address)
    const wrong = 1 - honest
    const paid = await buyAs(ALICE, m, honest, 30n * ONE, '--slippage-bps', '100')
    const bobPaid = await buyAs(BOB, m, wrong, 20n * ONE)
    // Bob sells a quarter back at the quote; --min-proceeds is exactly it.
    const s1 = await readMarket(client(), m)
    const sale = quoteSell(1n, 200n, s1.supplies, wrong, 5n * ONE)
    const bob0 = await cash(address(BOB))
    const sold = await market(
      BOB,
      'sell',
      m.address,
      '--outcome',
      String(wrong),
      '--shares',
      '5',
      '--min-proceeds',
      formatUnits(sale.total, 18),
    )
    expect(sold.status).toBe(0)
    expect(await cash(address(BOB))).toBe(bob0 + sale.total)

    // Two reads at once: the holder's view, and a settlement before the deadline.
    const [view, early] = await Promise.all([
      market('', 'show', m.address, '--holder', address(ALICE), '--json'),
      market(CREATOR, 'settle', m.address, '--out', join(dir, 'early.json')),
    ])
    const shown = JSON.parse(view.stdout)
    expect(shown.phase).toBe('open')
    expect(shown.holdings.shares).toEqual(honest === 0 ? [`${30n * ONE}`, '0'] : ['0', `${30n * ONE}`])
    expect(shown.holdings.spent).toBe(`${paid.total}`)
    expect(shown.outcomes[honest].probability).toBeGreaterThan(0.5)

    expect(early.stderr).toContain('MarketPhaseError: The market is open')
    expect(early.status).toBe(1)
    await travel(chain.rpcUrl, 120)
    const out = join(dir, 'settlement.json')
    const settled = await market(CREATOR, 'settle', m.address, '--out', out)
    expect(settled.stderr).toBe('')
    expect(settled.stdout).toContain(`✓ model: the shipped model ${BUNDLED_URI} has the committed hash`)
    expect(settled.stdout).toContain(`✓ settle on outcome ${honest}: mined`)
    expect(settled.status).toBe(0)
    const receipt = JSON.parse(readFileSync(out, 'utf8'))
    const st = await readMarket(client(), m)
    expect(st.phase).toBe('proposed')
    expect(st.proposal?.receiptHash).toBe(receipt.receiptHash)
    expect(st.proposal?.producer).toBe(address(CREATOR))

    // The settlement is right: challenge re-executes, finds it holds, and sends nothing.
    const carolNonce = await nonce(CAROL)
    const [refused, forced] = await Promise.all([
      market(CAROL, 'challenge', m.address, '--out', join(dir, 'c0.json')),
      market(CAROL, 'challenge', m.address, '--force', '--out', join(dir, 'c1.json')),
    ])
    expect(refused.stdout).toContain('✓ posted outcome')
    expect(refused.stderr).toContain('SettlementHoldsError: The settlement holds')
    expect(refused.status).toBe(1)
    expect(forced.stderr).toContain('name the outcome: --outcome')
    expect(forced.status).toBe(2)
    expect(await nonce(CAROL)).toBe(carolNonce)

    await travel(chain.rpcUrl, 600)
    expect((await market(ALICE, 'finalize', m.address)).status).toBe(0)
    const final = await readMarket(client(), m)
    expect([final.phase, final.winner, final.payoutPool]).toEqual(['settled', honest, final.pool])
    const alice0 = await cash(address(ALICE))
    // Bob's refusal sends nothing, so it runs beside Alice's redemption.
    const [redeemed, loser] = await Promise.all([
      market(ALICE, 'redeem', m.address),
      market(BOB, 'redeem', m.address),
    ])
    expect(redeemed.stdout).toContain('as expected')
    expect(redeemed.status).toBe(0)
    expect(await cash(address(ALICE))).toBe(
      alice0 + settledPayout(30n * ONE, final.pool, final.supplies[honest]),
    )
    expect(loser.stderr).toContain('InsufficientFundsError')
    expect(loser.status).toBe(1)
    // The creator: its seed's share of the winners' pool, then deposit, bond and its part of the fees.
    const c = await readConfig(client(), m)
    const creator0 = await cash(address(CREATOR))
    expect((await market(CREATOR, 'redeem', m.address)).status).toBe(0)
    const seedPaid = settledPayout(final.seed, final.pool, final.supplies[honest])
    expect(await cash(address(CREATOR))).toBe(creator0 + seedPaid)
    expect((await market(CREATOR, 'withdraw', m.address)).status).toBe(0)
    const fees = creatorPart(paid.fee + bobPaid.fee + sale.fee, c.feeBps, c.creatorFeeBps)
    expect(await cash(address(CREATOR))).toBe(creator0 + seedPaid + c.deposit + c.bond + fees)
  }, 120_000)

  it('challenges a wrong settlement with its own re-execution', async () => {
    const m = await create()
    await buyAs(ALICE, m, honest, 10n * ONE)
    await travel(chain.rpcUrl, 120)
    // The creator posts the other outcome with a receipt that matches the terms but not re-execution.
    const lie = await signSettlement(
      { ...settle(bundledModel(), rain, BUNDLED_URI), outcome: 1 - honest },
      privateKeyToAccount(CREATOR),
      { chainId: config.chainId, verifyingContract: chain.receiptRegistry as Address },
    )
    const creator = keyWallet(CREATOR, config)
    const uri = 'data:application/json;base64,' + Buffer.from(JSON.stringify(lie)).toString('base64')
    const bond = (await readConfig(client(), m)).bond
    await client().waitForTransactionReceipt({
      hash: await approveCollateral(creator, config, chain.testToken, m.address, bond),
    })
    await client().waitForTransactionReceipt({ hash: await settleMarket(creator, client(), m, lie, uri) })
    const out = join(dir, 'counter.json')
    const r = await market(CAROL, 'challenge', m.address, '--out', out)
    expect(r.stdout).toMatch(/✗ outcome: re-applying the rule gives outcome/)
    expect(r.stdout).toContain(`✓ challenge with outcome ${honest}: mined`)
    expect(r.status).toBe(0)
    const st = await readMarket(client(), m)
    expect(st.phase).toBe('disputed')
    expect(st.counter).toMatchObject({ by: address(CAROL), producer: address(CAROL), outcome: honest })
    expect(st.counter?.receiptHash).toBe(JSON.parse(readFileSync(out, 'utf8')).receiptHash)
    const shown = await market('', 'show', m.address)
    expect(shown.stdout).toContain('phase: disputed')
    expect(shown.stdout).toContain(`challenge: outcome ${honest}`)
  }, 60_000)

  it('liquidates a market its creator never settled; holders redeem at the final prices', async () => {
    const m = await create('--settlement-window', '1h')
    await buyAs(ALICE, m, 0, 12n * ONE)
    await buyAs(BOB, m, 1, 4n * ONE)
    await travel(chain.rpcUrl, 120)
    const early = await market(BOB, 'liquidate', m.address)
    expect(early.stderr).toContain('MarketPhaseError')
    expect(early.status).toBe(1)
    await travel(chain.rpcUrl, 3600)
    expect((await market(BOB, 'liquidate', m.address)).status).toBe(0)
    const st = await readMarket(client(), m)
    expect(st.phase).toBe('expired')
    const held = (await readHoldings(client(), m, address(ALICE), 2)).shares
    const alice0 = await cash(address(ALICE))
    const r = await market(ALICE, 'redeem', m.address)
    expect(r.stdout).toContain('as expected')
    expect(r.status).toBe(0)
    expect(await cash(address(ALICE))).toBe(alice0 + expiredRefund(held, st.supplies, st.payoutPool))
  }, 60_000)

  it('settles a market on the trained model under its task rule', async () => {
    const args = ['--question', 'Sorted?', '--input', 'sort:dca', '--trading', '2m', '--model', 'trained']
    const made = await market(
      CREATOR,
      'create',
      ...args,
      '--outcome',
      'acd',
      '--outcome',
      'cad',
      '--outcome',
      'dca',
    )
    expect(made.status).toBe(0)
    const m = made.stdout.trim().split('\n').at(-1)!
    await travel(chain.rpcUrl, 120)
    const out = join(dir, 'trained.json')
    const r = await market(CREATOR, 'settle', m, '--out', out)
    expect(r.stdout).toContain(`✓ model: the shipped model ${TRAINED_URI}`)
    expect(r.status).toBe(0)
    const receipt = JSON.parse(readFileSync(out, 'utf8'))
    expect([receipt.body.rule, receipt.body.outcome]).toEqual([TASK_RULE, 0]) // "acd", as trained.test.ts finds
  }, 60_000)

  it('refuses a quote past the trader’s bound before sending', async () => {
    const m = await create()
    const s = await readMarket(client(), m)
    const q = quoteBuy(1n, 200n, s.supplies, 0, 10n * ONE)
    const before = await nonce(BOB)
    const tight = await market(BOB, 'buy', m.address, '--outcome', 'Yes', '--shares', '10', '--max-cost', '5')
    expect(tight.stdout).toContain(`cost: `)
    expect(tight.stdout).toContain(`(${q.total})`)
    expect(tight.stderr).toContain('SlippageError: The quote')
    expect(tight.status).toBe(1)
    const oversold = await market(BOB, 'sell', m.address, '--outcome', '0', '--shares', '1')
    expect(oversold.stderr).toContain('MarketFieldError: Only 0 shares of outcome 0 are held by traders')
    expect(oversold.status).toBe(1)
    const noOutcome = await market(BOB, 'buy', m.address, '--outcome', 'Maybe', '--shares', '1')
    expect(noOutcome.stderr).toContain('MarketFieldError: --outcome Maybe')
    expect(noOutcome.status).toBe(1)
    expect(await nonce(BOB)).toBe(before)
    expect((await readHoldings(client(), m, address(BOB), 2)).shares).toEqual([0n, 0n])
  }, 60_000)
})
