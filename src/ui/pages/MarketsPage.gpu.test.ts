// In the browser project (a real DOM, not the GPU) against anvil, which the node side starts
// (vite.config.ts, commands.startAnvil): the Markets page with the page's own Wallet and durable queue
// and the dev wallet. A market created through the five-step form (with inline errors on the way), a
// buy whose previewed cost is what the chain charges, a sell likewise, the chart over those trades, the
// creator's settlement after the deadline, its re-check in the tab with one click, then finalize, redeem
// (paid what the bigint reference says) and withdraw. axe and the 375 px layout are checked with the form,
// while trading, and settled.
import { flushSync, mount, unmount } from 'svelte'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { commands } from 'vitest/browser'
import axe from 'axe-core'
import { createPublicClient, createWalletClient, http, parseUnits, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import '../theme.css'
import MarketsPage from './MarketsPage.svelte'
import { Wallet } from '../../state/wallet.svelte.ts'
import { receiptRegistryAbi, receiptRegistryBytecode } from '../../chain/contracts/ReceiptRegistry.ts'
import { marketAbi } from '../../chain/contracts/Market.ts'
import { testTokenAbi } from '../../chain/contracts/TestToken.ts'
import { walletClient } from '../../chain/client.ts'
import { deployMarkets, travel, type MarketDeployment } from '../../markets/testing.ts'
import { settledPayout } from '../../markets/cost.ts'

declare module 'vitest/browser' {
  interface BrowserCommands {
    startAnvil: () => Promise<string>
    stopAnvil: (rpcUrl: string) => Promise<void>
  }
}

/** anvil's first account: a published test key. */
const KEY0: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const REGISTRY: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3' // KEY0's first deployment
const ONE = 10n ** 18n
const INPUT = 'Clouds gather over the hills.'

let rpc: string
let d: MarketDeployment
let wallet: Wallet
let el: HTMLElement
let app: ReturnType<typeof mount>

beforeAll(async () => {
  rpc = await commands.startAnvil()
  const transport = http(rpc)
  const deployer = createWalletClient({ account: privateKeyToAccount(KEY0), chain: foundry, transport })
  const pub = createPublicClient({ chain: foundry, transport })
  const hash = await deployer.deployContract({ abi: receiptRegistryAbi, bytecode: receiptRegistryBytecode })
  expect((await pub.waitForTransactionReceipt({ hash })).contractAddress?.toLowerCase()).toBe(
    REGISTRY.toLowerCase(),
  )
  d = await deployMarkets(rpc, KEY0, {
    registry: REGISTRY,
    treasury: deployer.account.address,
    refereeOwner: deployer.account.address,
  })
  localStorage.clear()
  wallet = new Wallet(`?rpc=${encodeURIComponent(rpc)}&marketFactory=${d.factory}&collateral=${d.token}`)
  wallet.start()
  await wallet.connect('dev')
  expect(wallet.session).not.toBeNull()
  const mint = await walletClient(
    wallet.session!.provider,
    wallet.session!.address,
    wallet.config,
  ).writeContract({
    address: d.token,
    abi: testTokenAbi,
    functionName: 'mint',
    args: [wallet.session!.address, 1000n * ONE],
  } as never)
  await pub.waitForTransactionReceipt({ hash: mint })
  history.replaceState(null, '', '#/markets')
  el = document.createElement('div')
  el.style.width = '375px'
  document.body.append(el)
  app = mount(MarketsPage, { target: el, props: { wallet, pollMs: 300 } })
}, 120_000)

afterAll(async () => {
  if (app) unmount(app)
  el?.remove()
  wallet?.stop()
  if (rpc) await commands.stopAnvil(rpc)
})

const client = () => createPublicClient({ chain: foundry, transport: http(rpc) })
const q = <T extends Element = HTMLElement>(id: string) => el.querySelector<T>(`[data-testid="${id}"]`)

type Maybe<T> = T | null | undefined | false
async function until<T>(what: string, get: () => Maybe<T> | Promise<Maybe<T>>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    flushSync()
    const v = await get()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function type(id: string, value: string) {
  const input = q<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(id)
  if (!input) throw new Error(`no field ${id}`)
  input.value = value
  input.dispatchEvent(new Event(input instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }))
  flushSync()
}
const click = (id: string) => (q<HTMLButtonElement>(id)!.click(), flushSync())
const step = () => Number(q('create-form')!.getAttribute('data-step'))

let market: Address

it('creates a market through the form, refusing each bad field inline first', async () => {
  click('create-next')
  expect(q('create-question-error')?.textContent).toMatch(/needs a question/)
  expect(q('create-question')!.getAttribute('aria-invalid')).toBe('true')
  expect(step()).toBe(0)
  type('create-question', 'Will it rain?')
  type('create-category', 'weather')
  click('create-next')
  expect(step()).toBe(1)
  type('create-outcome-1', 'Yes')
  click('create-next')
  expect(q('create-outcome-1-error')?.textContent).toMatch(/Same as outcome 1/)
  type('create-outcome-1', 'No')
  click('create-next')
  expect(step()).toBe(2)
  type('create-k', '101')
  type('create-fee', '7')
  click('create-next')
  expect(q('create-k-error')?.textContent).toMatch(/1 to 100/)
  expect(q('create-fee-error')?.textContent).toMatch(/0.5 to 5/)
  type('create-k', '1')
  type('create-fee', '2')
  click('create-next')
  expect(step()).toBe(3)
  expect(q('create-model-hash')?.textContent).toMatch(/Trained model/)
  type('create-input', INPUT)
  click('create-next')
  expect(step()).toBe(4)
  type('create-trading', '1')
  click('create-submit')
  expect(q('create-trading-error')?.textContent).toMatch(/2 to/)
  await accessible() // the form with an error shown
  type('create-trading', '2')
  click('create-submit')
  await until('the creation to be queued', () => q('create-queued'))
  const row = await until('the market in the list', () => q('market-row'))
  market = row.getAttribute('data-address') as Address
  expect(row.getAttribute('data-phase')).toBe('open')
  expect(row.textContent).toContain('Will it rain?')
  expect(row.textContent).toContain('50.0%')
  await until('the link to the new market', () => q('create-open'))
  expect(q('create-queued')!.getAttribute('data-created')!.toLowerCase()).toBe(market.toLowerCase())
  q<HTMLAnchorElement>('market-open')!.click()
  await until('the market to open', () => q('market-detail')?.getAttribute('data-loaded') === 'true')
  expect(q('market-detail')!.getAttribute('data-address')!.toLowerCase()).toBe(market.toLowerCase())
})

/** The trade's preview as shown, the trade sent, and what the chain's event says it moved. */
async function trade(side: 'buy' | 'sell', shares: string, heldAfter: bigint) {
  type('trade-side', side)
  type('trade-outcome', '0')
  type('trade-shares', shares)
  type('trade-slippage', '1')
  const preview = await until('a preview', () => q('trade-preview'))
  const total = BigInt(preview.getAttribute('data-total')!)
  const units = parseUnits(shares, 18)
  // The reference's preview is the contract's own quote at the chain's supplies, fee included.
  // (quoteBuy gives the cost before its fee, quoteSell the proceeds after it.)
  const [amount, fee] = await client().readContract({
    address: market,
    abi: marketAbi,
    functionName: side === 'buy' ? 'quoteBuy' : 'quoteSell',
    args: [0n, units],
  })
  expect(total).toBe(side === 'buy' ? amount + fee : amount)
  click('trade-submit')
  await until(
    `the ${side} to land`,
    () => q('position-shares')?.getAttribute('data-shares') === String(heldAfter),
  )
  const logs = await client().getContractEvents({
    address: market,
    abi: marketAbi,
    eventName: side === 'buy' ? 'Bought' : 'Sold',
    args: { trader: wallet.session!.address },
    fromBlock: 0n,
  })
  expect(logs).toHaveLength(1)
  const a = logs[0].args as { shares: bigint; cost?: bigint; proceeds?: bigint; fee: bigint }
  expect(a.shares).toBe(units)
  return { total, charged: side === 'buy' ? a.cost! + a.fee : a.proceeds! }
}

it('buys and sells at the previewed amounts, and charts each trade', async () => {
  const bought = await trade('buy', '5', 5n * ONE)
  expect(bought.charged).toBe(bought.total)
  const sold = await trade('sell', '2', 3n * ONE)
  expect(sold.charged).toBe(sold.total)
  const probability = Number(q('market-outcome-row')!.getAttribute('data-probability'))
  expect(probability).toBeGreaterThan(0.5)
  await until('the chart over both trades', () => q('market-chart')?.getAttribute('data-points') === '3')
  const pos = q('market-position')!
  expect(BigInt(pos.getAttribute('data-net')!)).toBe(bought.total - sold.total)
  // The queue records a write as landed just after the chain shows it; then nothing is pending.
  await until('no pending writes', () => q('market-pending')?.getAttribute('data-count') === '0')
  await accessible() // trading, with the preview, the chart and the position shown
  // Every write went through the durable queue: two approvals (factory, market), the creation, two trades.
  expect(wallet.jobs.map((j) => [j.kind.replace('lockstep/market-', ''), j.status])).toEqual([
    ['approve', 'anchored'],
    ['create', 'anchored'],
    ['approve', 'anchored'],
    ['buy', 'anchored'],
    ['sell', 'anchored'],
  ])
}, 90_000)

it('settles after the deadline and re-checks the posted settlement with one click', async () => {
  await travel(rpc, 121)
  await until('the settle step', () => q('resolve-run'))
  // The input was kept when the market was created: the creator need not type it again.
  expect(q<HTMLTextAreaElement>('resolve-input')!.value).toBe(INPUT)
  click('resolve-run')
  const posted = await until('the settlement on chain', () => q('resolve-posted'), 60_000)
  expect(posted.getAttribute('data-role')).toBe('settlement')
  await until('the proposed phase', () => q('market-detail')?.getAttribute('data-phase') === 'proposed')
  click('resolve-recheck')
  const result = await until(
    'the re-check',
    () =>
      q('resolve-recheck-result')?.getAttribute('data-status') !== 'running' && q('resolve-recheck-result'),
    60_000,
  )
  expect(result.getAttribute('data-status')).toBe('passed')
  expect(q('resolve-verdict')!.textContent).toMatch(/^Passed/)
  const s = await client().readContract({ address: market, abi: marketAbi, functionName: 'state' })
  expect(Number(s.proposal.outcome)).toBe(Number(posted.getAttribute('data-outcome')))
}, 120_000)

it('finalizes after the challenge window, redeems at the reference payout and withdraws what is owed', async () => {
  await travel(rpc, 30 * 60 + 1)
  await until('the finalize step', () => q('resolve-finalize'))
  click('resolve-finalize')
  await until('the market resolved', () => !q('resolve-finalize') && q('resolve-redeem'))
  const s = await client().readContract({ address: market, abi: marketAbi, functionName: 'state' })
  expect(s.phase).toBe(4) // Settled
  const held = s.winner === 0n ? 3n * ONE : 0n // the wallet's shares of the winner; it is the creator, so the seed too
  const expected = settledPayout(held + s.seed, s.payoutPool, s.supplies[Number(s.winner)])
  click('resolve-redeem')
  const me = wallet.session!.address
  const redeemed = await until('the redemption', async () => {
    const logs = await client().getContractEvents({
      address: market,
      abi: marketAbi,
      eventName: 'Redeemed',
      args: { holder: me },
      fromBlock: 0n,
    })
    return logs[0]
  })
  expect(redeemed.args.paid).toBe(expected)
  const owed = await client().readContract({
    address: market,
    abi: marketAbi,
    functionName: 'owed',
    args: [me],
  })
  expect(owed).toBeGreaterThan(0n)
  await until('the withdraw button', () => q('resolve-withdraw'))
  click('resolve-withdraw')
  await until('nothing left to withdraw', () => !q('resolve-withdraw') && !q('resolve-redeem'))
  expect(
    await client().readContract({ address: market, abi: marketAbi, functionName: 'owed', args: [me] }),
  ).toBe(0n)
}, 90_000)

/** axe's serious and critical findings, and the page's width, as it stands (375 px wide throughout). */
async function accessible() {
  const { violations } = await axe.run(el)
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
  ).toEqual([])
  expect(q('markets-page')!.scrollWidth).toBeLessThanOrEqual(375)
}

it('has no serious axe violations and fits a 375 px phone, settled', accessible)
