// Relays from the chain, in real Chromium: the swarm-network page built with no relay of its own and opened
// with no ?relay=, on a chain whose coordinator lists a closed loopback port first, then a string that is no
// multiaddr, then a live relay. The tab skips the first two with a note each and joins through the third;
// a swarm that lists only dead relays ends in RelayUnreachableError, in seconds, not a hang.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { startRelay } from '../scripts/relay.mjs'
import { freePort, listRelays, startChain } from '../scripts/chain.mjs'
import { launch, openPage } from './browser.ts'
import { serveSwarmFixture } from './swarmFixture.ts'

/** Some other relay's peer id, at a port nothing listens on. */
const DEAD_ID = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
let browser: Browser
let fixture: Awaited<ReturnType<typeof serveSwarmFixture>>
let relay: Awaited<ReturnType<typeof startRelay>>
let chain: Awaited<ReturnType<typeof startChain>>
let dead: string
let deadPort: number

beforeAll(async () => {
  // The global setup builds its relay in (VITE_RELAY_ADDR); this page must have none.
  delete process.env.VITE_RELAY_ADDR
  ;[fixture, relay, chain, browser] = await Promise.all([
    serveSwarmFixture(),
    startRelay({ port: 0 }),
    startChain(),
    launch({ webgpu: false }),
  ])
  deadPort = await freePort()
  dead = `/ip4/127.0.0.1/tcp/${deadPort}/ws/p2p/${DEAD_ID}`
  await listRelays(chain, [dead, 'not a multiaddr', relay.multiaddrs[0]])
  await listRelays(chain, [dead], { name: 'all-down' })
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await Promise.all([fixture?.close(), relay?.stop(), chain?.stop()])
})

describe('a tab with no relay parameter', () => {
  it('reads the relays from the chain, skips a dead one and a bad one with notes, joins through the live one', async () => {
    const started = Date.now()
    const { page, errors } = await openPage(browser, `${fixture.url}?rpc=${encodeURIComponent(chain.rpcUrl)}`)
    await page.waitForFunction(() => window.swarmTest !== undefined, null, { timeout: 30_000 })
    await expect
      .poll(() => page.evaluate(() => window.swarmTest.status().relay), { timeout: 15_000 })
      .toBe('connected')
    const s = await page.evaluate(() => window.swarmTest.status())
    expect(s.relayAddr).toContain(`/tcp/${relay.port}/ws`)
    expect(s.relaySource).toMatch(/^swarm "lockstep" on SwarmCoordinator 0x[0-9a-fA-F]{40} \(chain 31337\)$/)
    expect(s.relayNotes).toEqual([
      { addr: 'not a multiaddr', why: 'RelayAddrError: not a multiaddr' },
      { addr: dead, why: expect.stringMatching(/^SwarmNetError: did not answer \(/) },
    ])
    // The live relay sees the tab (it is connected, not merely listed).
    expect(relay.peers()).toContain(s.self)
    expect(Date.now() - started).toBeLessThan(30_000)
    // Chromium logs the refused WebSocket to the dead port; nothing else went wrong.
    expect(errors.filter((e) => !e.includes(`127.0.0.1:${deadPort}`))).toEqual([])
    await page.close()
  }, 60_000)

  it('names the failure when every listed relay is down', async () => {
    const started = Date.now()
    const url = `${fixture.url}?rpc=${encodeURIComponent(chain.rpcUrl)}&swarmName=all-down`
    const { page } = await openPage(browser, url)
    const err = await page.waitForFunction(
      () => (window as { swarmTestError?: unknown }).swarmTestError,
      null,
      {
        timeout: 20_000,
      },
    )
    expect(await err.jsonValue()).toMatchObject({
      name: 'RelayUnreachableError',
      message: expect.stringContaining('none of the 1 relays listed answered'),
    })
    expect(Date.now() - started).toBeLessThan(20_000)
    await page.close()
  }, 30_000)

  it('the Join panel says which relay it used and shows a note for each one skipped', async () => {
    // The shared e2e app has a relay built in; an empty ?relay= sets it aside, so the chain is read.
    const url = `${inject('baseUrl')}?swarm=1&relay=&rpc=${encodeURIComponent(chain.rpcUrl)}`
    const { page } = await openPage(browser, url)
    await expect
      .poll(() => page.getByTestId('relay-used').textContent(), { timeout: 30_000 })
      .toContain(`/tcp/${relay.port}/ws`)
    expect(await page.getByTestId('relay-source').textContent()).toContain(
      'swarm "lockstep" on SwarmCoordinator',
    )
    const skipped = await page.getByTestId('relay-skipped').allTextContents()
    expect(skipped.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      'skipped not a multiaddr: RelayAddrError: not a multiaddr',
      expect.stringMatching(new RegExp(`^skipped ${dead}: SwarmNetError: did not answer`)),
    ])
    await page.close()
  }, 60_000)
})
