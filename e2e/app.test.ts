// The app as a visitor meets it: a landing that leads with joining, one page per journey reachable from
// the navigation and by direct link, and a page change that keeps a running swarm. A relay of this
// file's own (?relay=) keeps its swarm apart from other files' tabs.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startRelay } from '../scripts/relay.mjs'
import { launch, openPage, screenshot } from './browser.ts'
import { PAGES, PAGE_TITLES, hrefOf } from '../src/state/route.ts'

const baseUrl = inject('baseUrl')
let browser: Browser
let relay: Awaited<ReturnType<typeof startRelay>>
const withRelay = (hash = '') => `${baseUrl}?relay=${encodeURIComponent(relay.multiaddrs[0])}${hash}`

beforeAll(async () => {
  ;[browser, relay] = await Promise.all([launch({ webgpu: false }), startRelay({ port: 0 })])
})
afterAll(async () => {
  await browser?.close()
  await relay?.stop()
})

const panelOf: Record<(typeof PAGES)[number], string> = {
  home: 'landing',
  join: 'swarm-panel',
  train: 'train-panel',
  generate: 'generate-panel',
  verify: 'verify-panel',
  settle: 'settle-panel',
  markets: 'market-panel',
}
const roundOf = async (page: Page) => Number((await page.getByTestId('swarm-round').textContent()) ?? -1)

describe('the app', () => {
  let first: Page

  it('a visitor lands, joins the swarm in one click and sees rounds', async () => {
    const { page, errors } = await openPage(browser, withRelay())
    first = page
    await expect.poll(() => page.getByTestId('page').getAttribute('data-page')).toBe('home')
    await page.getByTestId('landing-join').click()
    await expect.poll(() => new URL(page.url()).hash).toBe('#/join')
    await expect
      .poll(() => page.getByTestId('swarm-panel').getAttribute('data-status'), { timeout: 60_000 })
      .toBe('running')
    // Alone, the tab runs rounds of its own swarm; the landing's Join needed no second click.
    await expect.poll(() => roundOf(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(2)
    expect(errors).toEqual([])
  }, 120_000)

  it("a second visitor's landing shows the running swarm live", async () => {
    const { page, errors } = await openPage(browser, withRelay())
    await expect
      .poll(() => page.getByTestId('landing-swarm').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('live')
    const round = Number(await page.getByTestId('landing-round').textContent())
    expect(round).toBeGreaterThanOrEqual(1)
    expect(await page.getByTestId('landing-model').getAttribute('title')).toMatch(/^0x[0-9a-f]{64}$/)
    // The first decision it hears may close a round whose commit came before it listened.
    await expect.poll(() => page.getByTestId('landing-peers').textContent(), { timeout: 30_000 }).toBe('1')
    // The landing only listens, through the relay: the swarm's member never sees it as a peer (it would
    // wait for its commits, and count it towards a quorum).
    await first.waitForTimeout(2_000)
    expect(await first.getByTestId('swarm-peers').getAttribute('data-count')).toBe('0')
    await screenshot(page, 'landing')
    await page.context().close()
    expect(errors).toEqual([])
  }, 90_000)

  it('every journey is reachable from the navigation, and the swarm keeps running meanwhile', async () => {
    const before = await roundOf(first)
    for (const p of PAGES) {
      const link = p === 'home' ? first.getByTestId('nav-home') : first.getByTestId(`nav-${p}`)
      await link.click()
      await first.getByTestId(panelOf[p]).waitFor({ state: 'visible', timeout: 30_000 })
      if (p !== 'home') expect(await link.getAttribute('aria-current')).toBe('page')
      expect(await first.title()).toContain(p === 'home' ? 'Lockstep' : PAGE_TITLES[p])
    }
    // The Join page stayed mounted while hidden: the tab is still in the swarm, rounds went on.
    await first.getByTestId('nav-join').click()
    expect(await first.getByTestId('swarm-panel').getAttribute('data-status')).toBe('running')
    await expect.poll(() => roundOf(first), { timeout: 60_000 }).toBeGreaterThan(before)
  }, 120_000)

  it('every journey opens by direct link, and links made before pages existed still work', async () => {
    const { page, errors } = await openPage(browser, baseUrl)
    for (const p of PAGES) {
      await page.goto(`${baseUrl}${hrefOf(p)}`)
      await page.reload()
      await page.getByTestId(panelOf[p]).waitFor({ state: 'visible', timeout: 30_000 })
    }
    for (const [link, panel] of [
      ['?preset=tiny&steps=1', 'train-panel'],
      ['#receipt=', 'verify-panel'],
      ['#settlement=', 'market-panel'],
    ]) {
      await page.goto(baseUrl + link)
      await page.reload()
      await page.getByTestId(panel).waitFor({ state: 'visible', timeout: 30_000 })
    }
    await page.context().close()
    // An empty shared receipt or settlement is refused in words, not thrown.
    expect(errors.filter((e) => !/receipt|settlement/i.test(e))).toEqual([])
  }, 120_000)
})
