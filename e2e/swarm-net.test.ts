// The swarm network in real Chromium: a relay and four tabs in separate browser contexts on loopback
// find each other, connect directly over WebRTC with host candidates only, gossip, fetch a blob, and
// reconnect to the relay after it restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { startRelay } from '../scripts/relay.mjs'
import { launch } from './browser.ts'
import { openTab, serveSwarmFixture, untilMeshed, type Tab } from './swarmFixture.ts'

const topic = 'lockstep/e2e/1'
let browser: Browser
let fixture: Awaited<ReturnType<typeof serveSwarmFixture>>
let relay: Awaited<ReturnType<typeof startRelay>>
const tabs: Tab[] = []

beforeAll(async () => {
  ;[fixture, relay, browser] = await Promise.all([
    serveSwarmFixture(),
    startRelay({ port: 0 }),
    launch({ webgpu: false }),
  ])
})
afterAll(async () => {
  await browser?.close()
  await Promise.all([fixture?.close(), relay?.stop()])
})

/** Every tab publishes once; resolves when each has heard every other tab (and only them). */
async function gossipRound(label: string) {
  for (const [i, tab] of tabs.entries())
    await tab.page.evaluate(([t, m]) => window.swarmTest.publish(t, m), [topic, `${label} ${i}`])
  for (const tab of tabs) {
    const expected = tabs
      .filter((t) => t !== tab)
      .map((t) => t.id)
      .sort()
    await expect
      .poll(
        async () => {
          const got = await tab.page.evaluate(() => window.swarmTest.received())
          return got
            .filter((m) => m.text.startsWith(`${label} `))
            .map((m) => m.from)
            .sort()
        },
        { timeout: 30_000, interval: 250 },
      )
      .toEqual(expected)
  }
}

describe('swarm network', () => {
  it('four tabs mesh over direct WebRTC (host candidates, no STUN), gossip and fetch a blob', async () => {
    for (let i = 0; i < 4; i++) tabs.push(await openTab(browser, fixture.url, relay.multiaddrs[0]))
    for (const tab of tabs) await tab.page.evaluate((t) => window.swarmTest.subscribe(t), topic)
    await untilMeshed(tabs)

    for (const tab of tabs) {
      const { peers, relay: toRelay, listening } = await tab.page.evaluate(() => window.swarmTest.status())
      expect(toRelay).toBe('connected')
      expect(listening.some((a) => a.includes('/p2p-circuit/webrtc'))).toBe(true)
      // Every other tab is reached on a /webrtc connection, not only through the relay's circuit.
      for (const other of tabs.filter((t) => t !== tab))
        expect(peers.filter((p) => p.id === other.id).map((p) => p.addr)).toContainEqual(
          expect.stringContaining('/webrtc'),
        )
      const ice = await tab.page.evaluate(() => window.swarmTest.ice())
      expect(ice.iceServers.length).toBeGreaterThan(0)
      expect(ice.iceServers.every((n) => n === 0)).toBe(true)
      expect(ice.pairs.length).toBeGreaterThan(0)
      // Host candidates (or peer-reflexive ones, learned from a host's connectivity checks); never
      // server-reflexive or relay candidates, which would need a STUN or TURN server.
      for (const pair of ice.pairs) expect(pair).toMatch(/^(host|prflx)\/(host|prflx)$/)
    }

    await expect
      .poll(() => tabs[0].page.evaluate((t) => window.swarmTest.peers(t).length, topic), { timeout: 30_000 })
      .toBe(3)
    await gossipRound('hello')

    // 1 MiB over the blob protocol: far beyond what a relayed connection may carry, so it went direct.
    const hash = await tabs[0].page.evaluate(() => window.swarmTest.provide(1 << 20))
    for (const tab of tabs.slice(1)) {
      const got = await tab.page.evaluate(
        ([p, h]) => window.swarmTest.fetch(p, h as `0x${string}`, 1 << 20),
        [tabs[0].id, hash],
      )
      expect(got).toEqual({ ok: true, bytes: 1 << 20 })
    }
    const tooBig = await tabs[1].page.evaluate(
      ([p, h]) => window.swarmTest.fetch(p, h as `0x${string}`, 1000),
      [tabs[0].id, hash],
    )
    expect(tooBig).toEqual({ ok: false, error: expect.stringMatching(/larger than the 1000 bytes/) })
    const missing = await tabs[1].page.evaluate(
      (p) => window.swarmTest.fetch(p, `0x${'ab'.repeat(32)}`, 1000),
      tabs[0].id,
    )
    expect(missing).toEqual({ ok: false, error: expect.stringMatching(/does not have/) })
    for (const tab of tabs) expect(tab.errors).toEqual([])
  }, 180_000)

  it('tabs reconnect to a restarted relay, and a newcomer joins through it', async () => {
    expect(tabs).toHaveLength(4)
    const { port, privateKey } = relay
    await relay.stop()
    for (const tab of tabs)
      await expect
        .poll(() => tab.page.evaluate(() => window.swarmTest.status().relay), { timeout: 30_000 })
        .not.toBe('connected')
    // Direct links outlive the relay.
    await gossipRound('relay down')

    relay = await startRelay({ port, privateKey })
    for (const tab of tabs)
      await expect
        .poll(
          async () => {
            const s = await tab.page.evaluate(() => window.swarmTest.status())
            return s.relay === 'connected' && s.listening.some((a) => a.includes('/p2p-circuit/webrtc'))
          },
          { timeout: 60_000, interval: 250 },
        )
        .toBe(true)

    const newcomer = await openTab(browser, fixture.url, relay.multiaddrs[0])
    await newcomer.page.evaluate((t) => window.swarmTest.subscribe(t), topic)
    tabs.push(newcomer)
    await untilMeshed(tabs)
    await gossipRound('after restart')
    // Chromium logs each refused redial while the relay was down; nothing else may appear.
    const refused = /WebSocket connection to .* failed: .*ERR_CONNECTION_REFUSED/
    for (const tab of tabs) expect(tab.errors.filter((e) => !refused.test(e))).toEqual([])
  }, 180_000)
})
