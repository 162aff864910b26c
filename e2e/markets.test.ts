// Markets end to end (docs/markets.md): a chain of this file's own with the dev contracts, a creator and two
// traders, each a tab on the Markets page with an injected EIP-6963 wallet (anvil's unlocked accounts sign).
// 1. The creator makes a market through the page's form (the trained model, a question it answers from the
//    input); both traders buy at the previewed cost; after the deadline the creator settles by receipt, a
//    trader re-checks it in the tab, anyone finalizes after the window, and the winner redeems exactly the
//    reference payout.
// 2. A market settled wrong (a script posts a receipt that matches the terms but not re-execution): a
//    trader's tab re-checks it with one click, sees it fail, and challenges with its own re-execution; the
//    interim referee's owner rules, and the challenger withdraws its bond and the settler's.
// 3. A market never settled: after the settlement window a trader's tab liquidates it and redeems the refund.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { createPublicClient, createWalletClient, erc20Abi, http, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEY_0, startChain } from '../scripts/chain.mjs'
import { marketAbi } from '../src/chain/contracts/Market.ts'
import { testTokenAbi } from '../src/chain/contracts/TestToken.ts'
import { interimRefereeAbi } from '../src/chain/contracts/InterimReferee.ts'
import { testChainConfig } from '../src/chain/testing.ts'
import { keyWallet } from '../src/cli/keyWallet.ts'
import { approveCollateral, readConfig, readMarket, settleMarket } from '../src/markets/chain.ts'
import { expiredRefund, settledPayout } from '../src/markets/cost.ts'
import { TASK_RULE } from '../src/markets/model.ts'
import { settle, signSettlement } from '../src/markets/settlement.ts'
import { trainedModel, TRAINED_URI } from '../src/markets/trained.ts'
import { travel } from '../src/markets/testing.ts'
import { launch, screenshot } from './browser.ts'
import { anvilAccounts, injectTestWallet } from './testWallet.ts'

const baseUrl = inject('baseUrl')
const ONE = 10n ** 18n
/** anvil's second dev key: the creator's (anvilAccounts[0]). A public test key. */
const CREATOR_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const [CREATOR, ALICE, BOB] = anvilAccounts
/** A question the trained model answers from its input: it learned to sort short words. */
const SORT = {
  question: 'Which is the word “dca” with its letters in alphabetical order?',
  input: 'sort:dca',
  outcomes: ['acd', 'cad', 'dca'],
}

let browser: Browser
let chain: Awaited<ReturnType<typeof startChain>>
const tabs: { page: Page; errors: string[] }[] = []

beforeAll(async () => {
  ;[browser, chain] = await Promise.all([launch({ webgpu: false }), startChain()])
  const minter = createWalletClient({
    account: privateKeyToAccount(ANVIL_KEY_0),
    transport: http(chain.rpcUrl),
  })
  for (const to of [CREATOR, ALICE, BOB]) {
    const hash = await minter.writeContract({
      address: chain.testToken,
      abi: testTokenAbi,
      functionName: 'mint',
      args: [to, 1000n * ONE],
      chain: null,
    })
    await reader().waitForTransactionReceipt({ hash })
  }
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await chain?.stop()
})

const reader = () => createPublicClient({ transport: http(chain.rpcUrl) })
const balance = (who: Address) =>
  reader().readContract({ address: chain.testToken, abi: erc20Abi, functionName: 'balanceOf', args: [who] })

async function openTab(account: string, hash = '#/markets') {
  const context = await browser.newContext()
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await injectTestWallet(page, { rpc: chain.rpcUrl, signer: chain.rpcUrl, account, chainId: 31337 })
  await page.goto(`${baseUrl}?rpc=${encodeURIComponent(chain.rpcUrl)}${hash}`)
  await page.locator('[data-testid="wallet-option"][data-name="Test Wallet"]').click()
  await page.getByTestId('wallet-connected').waitFor()
  const tab = { page, errors }
  tabs.push(tab)
  return tab
}

/** Loads `hash` afresh in a tab (a new form), reconnecting its wallet if the page asks. */
async function reopen(tab: { page: Page }, hash: string) {
  // (A goto that changes only the hash keeps the document: reload it.)
  await tab.page.goto(`${baseUrl}?rpc=${encodeURIComponent(chain.rpcUrl)}${hash}`)
  await tab.page.reload()
  const option = tab.page.locator('[data-testid="wallet-option"][data-name="Test Wallet"]')
  await Promise.race([option.waitFor(), tab.page.getByTestId('wallet-connected').waitFor()])
  if (await option.isVisible()) await option.click()
  await tab.page.getByTestId('wallet-connected').waitFor()
}

/** The creator's five steps, as a person fills them; returns the new market's address once it landed. */
async function createMarket(page: Page, m: typeof SORT): Promise<Address> {
  await page.getByTestId('create-question').fill(m.question)
  await page.getByTestId('create-next').click()
  for (const [i, o] of m.outcomes.entries()) {
    if (i >= 2) await page.getByTestId('create-add-outcome').click()
    await page.getByTestId(`create-outcome-${i}`).fill(o)
  }
  await page.getByTestId('create-next').click()
  await page.getByTestId('create-next').click() // the economics as they come
  await page.getByTestId('create-input').fill(m.input)
  await page.getByTestId('create-next').click()
  await page.getByTestId('create-trading').fill('2')
  await page.getByTestId('create-challenge').fill('10')
  await page.getByTestId('create-submit').click()
  const open = page.getByTestId('create-open')
  await open.waitFor({ timeout: 60_000 })
  const address = (await page.getByTestId('create-queued').getAttribute('data-created')) as Address
  await open.click()
  await detail(page, address)
  return address
}

/** Waits for the market's view (and, if given, its phase). */
async function detail(page: Page, address: Address, phase?: string) {
  const sel = `[data-testid="market-detail"][data-loaded="true"]${phase ? `[data-phase="${phase}"]` : ''}`
  await page.locator(sel).waitFor({ timeout: 60_000 })
  expect((await page.getByTestId('market-detail').getAttribute('data-address'))?.toLowerCase()).toBe(
    address.toLowerCase(),
  )
}

/** A buy through the page: the previewed total is what the chain's Bought event charges. */
async function buy(page: Page, market: Address, trader: Address, outcome: number, shares: bigint) {
  await page.getByTestId('trade-side').selectOption('buy')
  await page.getByTestId('trade-outcome').selectOption(String(outcome))
  await page.getByTestId('trade-shares').fill(String(shares / ONE))
  await page.getByTestId('trade-slippage').fill('1')
  const preview = page.getByTestId('trade-preview')
  await preview.waitFor()
  const total = BigInt((await preview.getAttribute('data-total'))!)
  await page.getByTestId('trade-submit').click()
  await page.locator(`[data-testid="position-shares"][data-shares="${shares}"]`).waitFor({ timeout: 60_000 })
  const logs = await reader().getContractEvents({
    address: market,
    abi: marketAbi,
    eventName: 'Bought',
    args: { trader },
    fromBlock: 0n,
  })
  const a = logs.at(-1)!.args as { shares: bigint; cost: bigint; fee: bigint }
  expect(a.shares).toBe(shares)
  expect(a.cost + a.fee).toBe(total)
}

/** What `who` was paid by its Redeemed event on `market`. */
async function redeemed(market: Address, who: Address): Promise<bigint> {
  const logs = await reader().getContractEvents({
    address: market,
    abi: marketAbi,
    eventName: 'Redeemed',
    args: { holder: who },
    fromBlock: 0n,
  })
  return (logs[0]?.args as { paid: bigint } | undefined)?.paid ?? -1n
}

const ref = (address: Address) => ({ config: testChainConfig(chain), address })

describe('information markets, end to end', () => {
  it('creates, trades, settles by receipt, re-checks, finalizes and redeems', async () => {
    const creator = await openTab(CREATOR)
    const market = await createMarket(creator.page, SORT)
    const terms = await reader().readContract({ address: market, abi: marketAbi, functionName: 'terms' })
    expect(terms.rule).toBe(TASK_RULE)
    expect(terms.modelUri).toBe(TRAINED_URI)

    const alice = await openTab(ALICE, `#/markets/${market}`)
    const bob = await openTab(BOB, `#/markets/${market}`)
    await detail(alice.page, market)
    await buy(alice.page, market, ALICE, 0, 10n * ONE)
    // Bob's preview is exact once his view has read Alice's trade (before that, its bound still holds).
    await bob.page.locator('[data-testid="market-chart"][data-points="2"]').waitFor({ timeout: 60_000 })
    await buy(bob.page, market, BOB, 2, 6n * ONE)

    await travel(chain.rpcUrl, 121)
    await creator.page.getByTestId('resolve-run').click({ timeout: 60_000 })
    const posted = creator.page.locator('[data-testid="resolve-posted"][data-role="settlement"]')
    await posted.waitFor({ timeout: 120_000 })
    // The trained model sorts the word: "acd".
    expect(await posted.getAttribute('data-outcome')).toBe('0')
    await detail(bob.page, market, 'proposed')
    await bob.page.getByTestId('resolve-recheck').click()
    await bob.page
      .locator('[data-testid="resolve-recheck-result"]:not([data-status="running"])')
      .waitFor({ timeout: 120_000 })
    expect(await bob.page.getByTestId('resolve-recheck-result').getAttribute('data-status')).toBe('passed')

    await travel(chain.rpcUrl, 10 * 60 + 1)
    await alice.page.getByTestId('resolve-finalize').click({ timeout: 60_000 })
    await detail(alice.page, market, 'settled')
    // The phase reads "settled" once the window is over; the payout pool is fixed when finalize lands.
    await expect.poll(async () => (await readMarket(reader(), ref(market))).payoutPool).toBeGreaterThan(0n)
    const before = await balance(ALICE)
    const s = await readMarket(reader(), ref(market))
    expect(s.supplies[0]).toBe(s.seed + 10n * ONE)
    await alice.page.getByTestId('resolve-redeem').click({ timeout: 60_000 })
    await expect.poll(() => redeemed(market, ALICE), { timeout: 60_000 }).toBeGreaterThan(0n)
    const paid = settledPayout(10n * ONE, s.payoutPool, s.supplies[0])
    expect(await redeemed(market, ALICE)).toBe(paid)
    expect(await balance(ALICE)).toBe(before + paid)
    await screenshot(alice.page, 'markets-settled')
  }, 420_000)

  it('a wrong settlement is refuted in a tab, challenged, and the challenger is paid from the bond', async () => {
    const creator = tabs[0]
    await reopen(creator, '#/markets')
    const market = await createMarket(creator.page, SORT)
    const alice = tabs[1]
    await reopen(alice, `#/markets/${market}`)
    await detail(alice.page, market)
    await buy(alice.page, market, ALICE, 0, 4n * ONE)
    await travel(chain.rpcUrl, 121)

    // The creator, from a script, posts "cad" with a receipt that matches the terms but not re-execution.
    const config = testChainConfig(chain)
    const model = trainedModel(new Uint8Array(readFileSync('public/rl/warmstart.lscp')))
    const honest = settle(model, SORT, TRAINED_URI, undefined, TASK_RULE)
    expect(honest.outcome).toBe(0)
    const lie = await signSettlement({ ...honest, outcome: 1 }, privateKeyToAccount(CREATOR_KEY), {
      chainId: 31337,
      verifyingContract: chain.receiptRegistry,
    })
    const session = keyWallet(CREATOR_KEY, config)
    const { bond } = await readConfig(reader(), ref(market))
    await reader().waitForTransactionReceipt({
      hash: await approveCollateral(session, config, chain.testToken, market, bond),
    })
    const uri = 'data:application/json;base64,' + Buffer.from(JSON.stringify(lie)).toString('base64')
    await reader().waitForTransactionReceipt({
      hash: await settleMarket(session, reader(), ref(market), lie, uri),
    })

    const bob = tabs[2]
    await reopen(bob, `#/markets/${market}`)
    await detail(bob.page, market, 'proposed')
    await bob.page.getByTestId('resolve-recheck').click()
    await bob.page
      .locator('[data-testid="resolve-recheck-result"]:not([data-status="running"])')
      .waitFor({ timeout: 120_000 })
    expect(await bob.page.getByTestId('resolve-recheck-result').getAttribute('data-status')).toBe('failed')
    expect(await bob.page.getByTestId('resolve-verdict').textContent()).toContain('outcome')
    await bob.page.getByTestId('resolve-challenge').click()
    await detail(bob.page, market, 'disputed')
    const st = await readMarket(reader(), ref(market))
    expect(st.counter).toMatchObject({ outcome: 0 })
    expect(st.counter!.by.toLowerCase()).toBe(BOB.toLowerCase())

    // The interim referee (its owner, the dev chain's deployer) rules for the challenger.
    const owner = createWalletClient({
      account: privateKeyToAccount(ANVIL_KEY_0),
      transport: http(chain.rpcUrl),
    })
    await reader().waitForTransactionReceipt({
      hash: await owner.writeContract({
        address: chain.interimReferee,
        abi: interimRefereeAbi,
        functionName: 'rule',
        args: [market, true],
        chain: null,
      }),
    })
    const owed = await reader().readContract({
      address: market,
      abi: marketAbi,
      functionName: 'owed',
      args: [BOB],
    })
    expect(owed).toBe(2n * bond)
    const before = await balance(BOB)
    await bob.page.getByTestId('resolve-withdraw').click({ timeout: 60_000 })
    await expect.poll(() => balance(BOB), { timeout: 60_000 }).toBe(before + 2n * bond)
  }, 420_000)

  it('a market never settled is liquidated from a tab and refunds its holders', async () => {
    const creator = tabs[0]
    await reopen(creator, '#/markets')
    const market = await createMarket(creator.page, SORT)
    const alice = tabs[1]
    await reopen(alice, `#/markets/${market}`)
    await detail(alice.page, market)
    await buy(alice.page, market, ALICE, 1, 3n * ONE)
    // Past the deadline and the settlement window (1 h by default): the creator never settled.
    await travel(chain.rpcUrl, 121 + 3600 + 1)
    await alice.page.getByTestId('resolve-liquidate').click({ timeout: 60_000 })
    await detail(alice.page, market, 'expired')
    const s = await readMarket(reader(), ref(market))
    const held = [0n, 3n * ONE, 0n]
    const before = await balance(ALICE)
    await alice.page.getByTestId('resolve-redeem').click({ timeout: 60_000 })
    await expect.poll(() => redeemed(market, ALICE), { timeout: 60_000 }).toBeGreaterThan(0n)
    const paid = expiredRefund(held, s.supplies, s.payoutPool)
    expect(await redeemed(market, ALICE)).toBe(paid)
    expect(await balance(ALICE)).toBe(before + paid)
    for (const t of tabs) expect(t.errors).toEqual([])
  }, 420_000)
})
