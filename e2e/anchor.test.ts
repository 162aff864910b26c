// Anchoring from the page with an injected EIP-6963 wallet against the real local chain (anvil, started
// by e2e/serve.ts): connect, sign with EIP-712, anchor, verify on-chain from a browser with no wallet;
// then the faults: rejections, the wrong chain, an RPC outage across a reload. Exactly once each time,
// counted in the registry's events.
import { afterAll, describe, expect, inject, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, http, type Address, type Hex } from 'viem'
import type { Browser, Page } from 'playwright-core'
import { launch } from './browser.ts'
import { anvilAccounts, injectTestWallet, steerWallet, walletState } from './testWallet.ts'
import { receiptRegistryAbi } from '../src/chain/contracts/ReceiptRegistry.ts'
import { swarmRegistryAbi } from '../src/chain/contracts/SwarmRegistry.ts'
import { devChain } from '../src/chain/config.ts'
import { startRpcProxy } from '../scripts/rpc-proxy.mjs'

const baseUrl = inject('baseUrl')
const chainRpc = inject('chainRpc')
const browsers: Browser[] = []
afterAll(() => Promise.all(browsers.map((b) => b.close())))

const chain = createPublicClient({ transport: http(chainRpc) })
async function anchorEvents(receiptHash: Hex) {
  const logs = await chain.getContractEvents({
    address: devChain.receiptRegistry,
    abi: receiptRegistryAbi,
    eventName: 'Anchored',
    args: { receiptHash },
    fromBlock: 0n,
  })
  return logs.map((l) => l.args.sender as Address)
}

// No WebGPU: training runs on the CPU reference, the quickest way to a real receipt here.
async function trainedPage(opts: { account: string; chainId?: number; rpc?: string; query?: string }) {
  const browser = await launch({ webgpu: false })
  browsers.push(browser)
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await injectTestWallet(page, {
    rpc: opts.rpc ?? chainRpc,
    signer: chainRpc,
    account: opts.account,
    chainId: opts.chainId ?? 31337,
  })
  await page.goto(`${baseUrl}?preset=tiny&steps=2&autostart=1${opts.query ?? ''}`)
  await expect.poll(() => page.getByTestId('train-step').textContent(), { timeout: 120_000 }).toBe('2')
  return { browser, page, errors }
}

const job = (page: Page) => page.getByTestId('anchor-job')
async function connect(page: Page) {
  await page.locator('[data-testid="wallet-option"][data-name="Test Wallet"]').click()
  await page.getByTestId('wallet-connected').waitFor()
}

describe('anchoring through an injected wallet', () => {
  it('connects over EIP-6963, signs EIP-712, anchors a real receipt, and a wallet-less verifier finds it', async () => {
    const account = anvilAccounts[0]
    const { browser, page, errors } = await trainedPage({ account })
    await connect(page)
    expect(await page.getByTestId('wallet-connected').getAttribute('data-address')).toBe(account)
    await page.getByTestId('train-anchor').click()
    await expect.poll(() => job(page).getAttribute('data-status'), { timeout: 60_000 }).toBe('anchored')
    const calls = (await walletState(page)).calls
    expect(calls).toContain('eth_signTypedData_v4')
    expect(calls.filter((c) => c === 'eth_sendTransaction')).toHaveLength(1)
    const receiptHash = (await job(page).getAttribute('data-receipt')) as Hex
    expect(await anchorEvents(receiptHash)).toEqual([account])
    const tx = await page.getByTestId('anchor-tx').textContent()

    const download = page.waitForEvent('download')
    await page.getByTestId('anchor-save').click()
    const text = readFileSync((await (await download).path())!, 'utf8')
    expect(JSON.parse(text).body.producer).toBe(account)

    // The CLI reads the same anchor; against the chain a receipt was not signed for, it refuses.
    const file = join(mkdtempSync(join(tmpdir(), 'lockstep-anchor-')), 'receipt.json')
    writeFileSync(file, text)
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/lockstep.mjs', 'verify', file, '--no-replay', ...args], {
        encoding: 'utf8',
      })
    const ok = cli('--rpc', chainRpc)
    expect(ok.stdout).toContain(`✓ anchor: anchored by ${account}`)
    expect(ok.status).toBe(0)
    const wrong = cli('--rpc', chainRpc, '--chain-id', '1')
    expect(wrong.stdout).toContain('✗ chain')
    expect(wrong.status).toBe(1)

    // A verifier: another browser context, no wallet at all.
    const verifier = await (await browser.newContext()).newPage()
    await verifier.goto(baseUrl + '#/verify')
    await verifier.getByTestId('wallet-none').waitFor()
    await verifier.getByTestId('verify-input').fill(text)
    await verifier.getByTestId('verify-run').click()
    const anchor = verifier.getByTestId('verify-anchor')
    await anchor.waitFor({ timeout: 120_000 })
    expect(await verifier.getByTestId('verify-verdict').getAttribute('data-ok')).toBe('true')
    expect(await anchor.getAttribute('data-ok')).toBe('true')
    expect(await anchor.textContent()).toContain(tx)
    expect(errors).toEqual([])
  }, 300_000)

  it('sends nothing while the visitor says no or the wallet is on the wrong chain, then anchors exactly once', async () => {
    const account = anvilAccounts[1]
    const { page, errors } = await trainedPage({ account, chainId: 1 })
    await steerWallet(page, { refuseSwitch: true })
    await connect(page)
    await page.getByTestId('wallet-switch').waitFor()
    expect(await page.getByTestId('wallet-error').textContent()).toMatch(/declined/)
    await steerWallet(page, { refuseSwitch: false })
    await page.getByTestId('wallet-switch').click()
    await page.getByTestId('wallet-switch').waitFor({ state: 'detached' })
    expect(await page.getByTestId('wallet-connected').getAttribute('data-chain')).toBe('31337')

    await steerWallet(page, { rejectSign: true })
    await page.getByTestId('train-anchor').click()
    await expect.poll(() => page.getByTestId('wallet-error').textContent()).toMatch(/declined signing/)
    expect(await job(page).count()).toBe(0)

    await steerWallet(page, { rejectSign: false, rejectTx: true })
    await page.getByTestId('train-anchor').click()
    await expect.poll(() => job(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('needs-you')
    expect(await page.getByTestId('anchor-error').textContent()).toMatch(/declined sending/)
    const receiptHash = (await job(page).getAttribute('data-receipt')) as Hex

    // The wallet wanders to another chain and will not come back: still nothing is sent.
    await steerWallet(page, { rejectTx: false, chainId: 5, refuseSwitch: true })
    await page.getByTestId('anchor-retry').click()
    await expect
      .poll(() => page.getByTestId('anchor-error').textContent(), { timeout: 30_000 })
      .toMatch(/switching to chain/)
    expect(await job(page).getAttribute('data-status')).toBe('needs-you')
    expect(await anchorEvents(receiptHash)).toEqual([])

    await steerWallet(page, { refuseSwitch: false })
    await page.getByTestId('anchor-retry').click()
    await expect.poll(() => job(page).getAttribute('data-status'), { timeout: 60_000 }).toBe('anchored')
    expect(await anchorEvents(receiptHash)).toEqual([account])
    // Asked twice: declined once, sent once. Nothing asked while the wallet was on the wrong chain.
    expect((await walletState(page)).calls.filter((c) => c === 'eth_sendTransaction')).toHaveLength(2)
    expect(errors).toEqual([])
  }, 300_000)

  it('keeps the receipt through an RPC outage and a reload, and delivers it once the chain is back', async () => {
    const proxy = await startRpcProxy(chainRpc)
    try {
      const account = anvilAccounts[2]
      const rpc = proxy.url
      const { page } = await trainedPage({ account, rpc, query: `&rpc=${encodeURIComponent(rpc)}` })
      expect(await page.getByTestId('chain-rpc').textContent()).toBe(rpc)
      await connect(page)
      await proxy.down()
      await page.getByTestId('train-anchor').click()
      await expect
        .poll(() => page.getByTestId('anchor-error').textContent(), { timeout: 30_000 })
        .toMatch(/did not answer/)
      expect(await job(page).getAttribute('data-status')).toBe('queued')
      const receiptHash = (await job(page).getAttribute('data-receipt')) as Hex

      await page.reload()
      await job(page).waitFor()
      expect(await job(page).getAttribute('data-receipt')).toBe(receiptHash)
      await page.getByTestId('wallet-connected').waitFor() // reconnected silently
      expect(await anchorEvents(receiptHash)).toEqual([])

      await proxy.up()
      await expect.poll(() => job(page).getAttribute('data-status'), { timeout: 120_000 }).toBe('anchored')
      expect(await anchorEvents(receiptHash)).toEqual([account])
    } finally {
      await proxy.stop()
    }
  }, 300_000)

  it('registers the tab’s libp2p peer id to the wallet in the swarm registry, as SwarmCoordinator does, and anchors a round result', async () => {
    const account = anvilAccounts[3]
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const page = await (await browser.newContext()).newPage()
    await injectTestWallet(page, { rpc: chainRpc, signer: chainRpc, account, chainId: 31337 })
    await page.goto(`${baseUrl}?swarm=1`)
    await connect(page)
    const self = page.getByTestId('swarm-self')
    await self.waitFor({ timeout: 60_000 })
    const peerId = (await self.getAttribute('title'))!
    await page.getByTestId('swarm-register-button').click()
    const status = page.getByTestId('swarm-register')
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 60_000 }).toBe('registered')
    const owners = await chain.readContract({
      address: devChain.swarmRegistry,
      abi: swarmRegistryAbi,
      functionName: 'getEoa',
      args: [[peerId]],
    })
    expect(owners).toEqual([account])

    // Alone, the tab runs rounds by itself; it posts the result of the newest one it finished.
    await page.getByTestId('swarm-history-row').first().waitFor({ timeout: 120_000 })
    await page.getByTestId('swarm-anchor-button').click()
    const anchored = page.getByTestId('swarm-anchor')
    await expect.poll(() => anchored.getAttribute('data-status'), { timeout: 60_000 }).toBe('anchored')
    const round = Number(await anchored.getAttribute('data-round'))
    const row = page.locator(`[data-testid="swarm-history-row"][data-round="${round}"]`)
    const result = await chain.readContract({
      address: devChain.swarmRegistry,
      abi: swarmRegistryAbi,
      functionName: 'roundResult',
      args: [BigInt(round), account],
    })
    expect(result.modelHash).toBe(await row.getAttribute('data-model'))
    expect(result.updatesRoot).toBe(await row.getAttribute('data-updates'))
    expect(result.timestamp).toBeGreaterThan(0n)
  }, 240_000)
})
