// A swarm made the way an operator makes one, with the CLI only: `lockstep relay` on a port of its own,
// `lockstep deploy` to a fresh anvil (another chain id, another deployer: nothing the app defaults to),
// `lockstep build-app` with both baked in, served from a subpath by a plain static server. Two tabs
// open the bare URL (no ?relay=, no chain parameters), join and agree on rounds; the relay's /metrics
// counts them; the relay stops cleanly on SIGTERM.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { freePort, startAnvil } from '../scripts/chain.mjs'
import { APP_HEADERS } from '../src/cli/buildApp.ts'
import { launch, openPage } from './browser.ts'
import { serveStatic } from './staticServer.ts'

/** anvil's second dev account: a public test key, not the one the dev chain's defaults come from. */
const DEPLOY_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const CHAIN_ID = 31338
const dir = mkdtempSync(join(tmpdir(), 'lockstep-operator-'))
let relay: ChildProcess
let relayOut = ''
let chain: Awaited<ReturnType<typeof startAnvil>>
let site: Awaited<ReturnType<typeof serveStatic>>
let browser: Browser
let relayAddr: string
let metricsUrl: string
let deployed: { contracts: Record<string, string> }

const lockstep = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, ['bin/lockstep.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })
  if (r.status !== 0) throw new Error(`lockstep ${args[0]} exited ${r.status}: ${r.stderr}${r.stdout}`)
  return r.stdout
}

beforeAll(async () => {
  const [port, metricsPort] = [await freePort(), await freePort()]
  relay = spawn(process.execPath, [
    'bin/lockstep.mjs',
    'relay',
    ...['--port', String(port), '--metrics-port', String(metricsPort)],
    ...['--identity', join(dir, 'relay-identity')],
  ])
  relay.stdout!.on('data', (d) => (relayOut += d))
  relay.stderr!.on('data', (d) => (relayOut += d))
  chain = await startAnvil({ chainId: CHAIN_ID })
  const out = join(dir, 'deployments.json')
  lockstep(['deploy', '--rpc', chain.rpcUrl, '--out', out], { LOCKSTEP_DEPLOY_KEY: DEPLOY_KEY })
  deployed = JSON.parse(readFileSync(out, 'utf8'))
  await vi.waitFor(() => expect(relayOut).toMatch(/metrics: \S+/), { timeout: 30_000, interval: 100 })
  relayAddr = /relay address: (\S+)/.exec(relayOut)![1]
  metricsUrl = /metrics: (\S+)/.exec(relayOut)![1]
  expect(relayAddr).toContain(`/tcp/${port}/ws/p2p/`)
  const app = join(dir, 'site')
  lockstep(['build-app', '--relay', relayAddr, '--rpc', chain.rpcUrl, '--contracts', out, '--out', app])
  site = await serveStatic(app, '/swarm/', APP_HEADERS)
  browser = await launch({ webgpu: false })
}, 120_000)
afterAll(async () => {
  await browser?.close()
  if (relay?.exitCode === null) relay.kill('SIGKILL')
  await Promise.all([site?.close(), chain?.stop()])
  rmSync(dir, { recursive: true, force: true })
})

const rounds = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="swarm-history-row"]'), (r) => ({
      round: Number(r.getAttribute('data-round')),
      model: r.getAttribute('data-model'),
    })),
  )

async function metrics(): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text()
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]),
  )
}

describe('a swarm set up with lockstep relay, deploy and build-app', () => {
  it('two tabs on the built app join through the baked-in relay and agree on rounds; /metrics shows them', async () => {
    // The folder without its slash is redirected, as a static host does.
    expect((await fetch(site.url.replace(/\/$/, ''), { redirect: 'manual' })).status).toBe(301)
    const tabs = await Promise.all([0, 1].map(() => openPage(browser, `${site.url}?swarm=1&swarmMin=2`)))
    const pages = tabs.map((t) => t.page)
    // The chain the app was built for, not the dev chain's defaults.
    for (const page of pages) {
      await expect.poll(() => page.getByTestId('chain-rpc').textContent()).toBe(chain.rpcUrl)
      const wallet = await page.getByTestId('wallet-panel').innerText()
      expect(wallet).toContain(`chain ${CHAIN_ID}`)
      expect(wallet).toContain(deployed.contracts.receiptRegistry)
    }
    const common = async () => {
      const [a, b] = await Promise.all(pages.map(rounds))
      return a.filter((x) => b.some((y) => y.round === x.round && y.model === x.model)).length
    }
    await expect.poll(common, { timeout: 240_000, interval: 500 }).toBeGreaterThanOrEqual(2)
    // Every round both kept, they kept on the same model.
    const [a, b] = await Promise.all(pages.map(rounds))
    for (const x of a) {
      const y = b.find((r) => r.round === x.round)
      if (y) expect(y.model, `round ${x.round}`).toBe(x.model)
    }

    const m = await metrics()
    expect(m.lockstep_relay_peers).toBeGreaterThanOrEqual(2)
    expect(m.lockstep_relay_reservations).toBeGreaterThanOrEqual(2)
    expect(m.lockstep_relay_gossip_messages_total).toBeGreaterThan(0)
    // Direct WebRTC links are signalled over relayed connections.
    expect(m.lockstep_relay_circuits_total).toBeGreaterThan(0)
    expect(m.lockstep_relay_relayed_bytes_total).toBeGreaterThan(0)
    for (const t of tabs) expect(t.errors).toEqual([])
  }, 300_000)

  it('the relay closes its connections and exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((done) => relay.on('exit', (code) => done(code)))
    relay.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(relayOut).toContain('relay stopped')
  }, 30_000)
})
