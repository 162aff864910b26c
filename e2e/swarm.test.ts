// The swarm end to end in the real app: the e2e relay (baked into the build) and four tabs in separate
// browser contexts join by URL (?swarm=1&swarmMin=4: start round 0 together), connect directly over WebRTC, run rounds in lockstep with
// the same model hash after each, and the loss goes down. Then one tab closes mid-round and another
// reloads: the rest finish without the first, the second resyncs and agrees again.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage, screenshot } from './browser.ts'

const baseUrl = inject('baseUrl')
let browser: Browser
const tabs: { page: Page; errors: string[] }[] = []

beforeAll(async () => {
  browser = await launch({ webgpu: false })
})
afterAll(async () => browser?.close())

interface Row {
  round: number
  model: string
  loss: number
  included: string[]
  leader: string
}
const history = (page: Page): Promise<Row[]> =>
  page.$$eval('[data-testid="swarm-history-row"]', (rows) =>
    rows.map((r) => ({
      round: Number(r.getAttribute('data-round')),
      model: r.getAttribute('data-model') ?? '',
      loss: Number(r.getAttribute('data-loss')),
      included: (r.getAttribute('data-included') ?? '').split(' ').map((id) => id.slice(-6)),
      leader: (r.getAttribute('data-leader') ?? '').slice(-6),
    })),
  )
/** What each tab's panel says, attached to a failure so a stuck swarm explains itself. */
async function explain<T>(pages: Page[], run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    const panels = await Promise.all(pages.map((p) => p.getByTestId('swarm-panel').innerText().catch(String)))
    throw new Error(
      `${e instanceof Error ? e.message : e}\n${panels.map((t, i) => `tab ${i}: ${t}`).join('\n')}`,
      { cause: e },
    )
  }
}
const lastRound = async (page: Page) => (await history(page)).at(-1)?.round ?? -1

/** Asserts that every tab that finished `round` reports the same model hash for it. */
async function agreeOn(pages: Page[], round: number): Promise<string> {
  const models = await Promise.all(
    pages.map(async (p) => (await history(p)).find((r) => r.round === round)?.model),
  )
  const report = JSON.stringify(await Promise.all(pages.map(history)), null, 1)
  expect(
    models.every((m) => m !== undefined),
    report,
  ).toBe(true)
  expect(new Set(models).size, report).toBe(1)
  return models[0]!
}

// Quarantined with issue 6 open: in 2 of the last 4 full CI-like runs (2 cores) the four tabs forked.
// Tabs that start together can each run round 0 in a smaller group and never merge; `swarmMin` narrows
// this but does not close it. The network-level e2e (e2e/swarm-net.test.ts) and the protocol's unit
// tests stay on. Re-enable when forks merge (docs/swarm.md, Limits).
describe.skip('the swarm in the app', () => {
  it('four tabs run three rounds over direct WebRTC, agree on the model hash each round, loss goes down', async () => {
    tabs.push(
      ...(await Promise.all([0, 1, 2, 3].map(() => openPage(browser, `${baseUrl}?swarm=1&swarmMin=4`)))),
    )
    const pages = tabs.map((t) => t.page)
    // A tab that loads slowly may adopt the swarm's model after round 0 (that is the join protocol at
    // work), so the claim is about rounds every tab finished: at least three, each with one hash.
    const common = async () => {
      const rounds = await Promise.all(pages.map(async (p) => (await history(p)).map((r) => r.round)))
      return rounds[0].filter((r) => rounds.every((rs) => rs.includes(r)))
    }
    await explain(pages, () =>
      expect
        .poll(async () => (await common()).length, { timeout: 240_000, interval: 500 })
        .toBeGreaterThanOrEqual(3),
    )
    const shared = (await common()).slice(0, 3)
    for (const round of shared) await agreeOn(pages, round)
    const rows = await history(pages[0])
    const lossAt = (r: number) => rows.find((x) => x.round === r)!.loss
    expect(lossAt(shared[2])).toBeLessThan(lossAt(shared[0]))
    // The last shared round averaged all four tabs' updates.
    const last = pages[0].locator(`[data-testid="swarm-history-row"][data-round="${shared[2]}"] td`).nth(3)
    expect(await last.textContent()).toBe('4')
    for (const page of pages) {
      const peers = page.getByTestId('swarm-peers')
      await expect.poll(() => peers.getAttribute('data-direct'), { timeout: 30_000 }).toBe('3')
      const transports = await page.$$eval('[data-testid="swarm-peer"]', (ps) =>
        ps.map((p) => p.getAttribute('data-transport')),
      )
      expect(transports).toEqual(['webrtc', 'webrtc', 'webrtc'])
    }
    await screenshot(pages[0], 'swarm')
    for (const t of tabs) expect(t.errors).toEqual([])
  }, 300_000)

  // Quarantined (issue 6 stays open): on an idle machine this tiny swarm runs a round every 0.1–0.4 s,
  // and in 2 of the last 3 full runs the tabs' reported histories disagreed here while the first test
  // passed. Whether the protocol or this test's polling is at fault is not yet known. Find that out before
  // re-enabling it; the unit tests in src/swarm/protocol cover a peer leaving and a late joiner.
  it.skip('a tab closed mid-round is left out; a reloaded tab resyncs and agrees again', async () => {
    expect(tabs).toHaveLength(4)
    const [a, b, c, d] = tabs.map((t) => t.page)
    // Close d while a round is under way (training has started, nobody has finished it yet).
    const inFlight = (await lastRound(a)) + 1
    await expect
      .poll(() => a.getByTestId('swarm-round').textContent(), { timeout: 60_000 })
      .toBe(String(inFlight))
    await d.context().close()
    for (const page of [a, b, c])
      await expect
        .poll(() => lastRound(page), { timeout: 120_000, interval: 500 })
        .toBeGreaterThanOrEqual(inFlight + 1)
    for (const round of [inFlight, inFlight + 1]) await agreeOn([a, b, c], round)
    const after = (await history(a)).find((r) => r.round === inFlight + 1)!
    expect(after).toBeDefined()

    // c reloads (without the quorum of four, which one tab fewer could never meet): it adopts the
    // swarm's current model from its peers and agrees on the next round.
    await c.goto(`${baseUrl}?swarm=1`)
    await explain([a, b, c], () =>
      expect
        .poll(() => c.getByTestId('swarm-synced').textContent(), { timeout: 60_000 })
        .toMatch(/adopted round \d+/),
    )
    const resumed = Number(await c.getByTestId('swarm-round').textContent())
    expect(resumed).toBeGreaterThan(inFlight)
    // Every tab, not only c, must have finished that round before hashes are compared: c (following)
    // can show it a moment before the others' panels do.
    for (const page of [a, b, c])
      await expect
        .poll(() => lastRound(page), { timeout: 120_000, interval: 500 })
        .toBeGreaterThanOrEqual(resumed)
    await agreeOn([a, b, c], resumed)
    for (const t of tabs.slice(0, 3)) expect(t.errors).toEqual([])
  }, 300_000)
})
