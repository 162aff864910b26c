#!/usr/bin/env node
// Swarm network timings in headless Chromium on loopback, one JSON record per line:
//   node scripts/bench-swarm.mjs [--pages 2,4,8] [--runs 3]
// For N tabs (separate browser contexts) opened at once against a fresh relay: milliseconds from each
// tab's navigation start to its relay connection, its first direct WebRTC link and the first gossip
// message it receives from another tab (every tab publishes every 250 ms).
// Then, with --rounds R, the app itself: N tabs join by ?swarm=1 and report round time and bytes.
import { build, preview } from 'vite'
import { chromium } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startRelay } from './relay.mjs'
import { chromiumArgsNoWebGPU, ensureChromium } from './chromium.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const sizes = arg('pages', '2,4,8').split(',').map(Number)
const runs = Number(arg('runs', '3'))
const rounds = Number(arg('rounds', '0'))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const topic = 'lockstep/bench/1'

async function serve(root, config) {
  const outDir = mkdtempSync(join(tmpdir(), 'lockstep-bench-swarm-'))
  const base = { root, logLevel: 'warn', ...config }
  await build({ ...base, build: { outDir, emptyOutDir: true, target: 'esnext' } })
  const server = await preview({ ...base, build: { outDir }, preview: { port: 0, host: '127.0.0.1' } })
  return {
    url: server.resolvedUrls.local[0],
    close: () => server.close().then(() => rmSync(outDir, { recursive: true })),
  }
}

async function netRun(browser, url, relay, n) {
  const pages = await Promise.all(
    Array.from({ length: n }, async () => {
      const page = await (await browser.newContext()).newPage()
      await page.goto(`${url}?relay=${encodeURIComponent(relay)}`)
      await page.waitForFunction(() => window.swarmTest !== undefined, null, { timeout: 30_000 })
      await page.evaluate((t) => {
        window.swarmTest.subscribe(t)
        // Keep publishing until the tab closes: a tab that stopped once it had heard someone could
        // leave a slower tab with nothing to hear.
        setInterval(() => void window.swarmTest.publish(t, 'hello').catch(() => {}), 250)
      }, topic)
      return page
    }),
  )
  // A tab that hears nothing (or never gets a direct link) within a minute is reported, not fatal.
  const results = await Promise.all(
    pages.map(async (page) => {
      const done = () =>
        window.swarmTest.received().length > 0 && window.swarmTest.marks().direct !== undefined
      const ok = await page.waitForFunction(done, null, { timeout: 60_000, polling: 50 }).then(
        () => true,
        () => false,
      )
      const marks = await page.evaluate(() => ({
        ...window.swarmTest.marks(),
        gossip: window.swarmTest.received()[0]?.at,
      }))
      return { ok, ...marks }
    }),
  )
  await Promise.all(pages.map((p) => p.context().close()))
  return results
}

async function roundsRun(browser, url, n) {
  const pages = await Promise.all(
    Array.from({ length: n }, async () => {
      const page = await (await browser.newContext()).newPage()
      await page.goto(`${url}?swarm=1&swarmMin=${n}`)
      return page
    }),
  )
  for (const page of pages)
    await page.waitForFunction(
      (r) => document.querySelectorAll('[data-testid="swarm-history-row"]').length >= r,
      rounds,
      { timeout: 600_000, polling: 500 },
    )
  // Round 0 includes joining (sync timeout, first connections); later rounds are the steady state.
  const rows = await Promise.all(
    pages.map((page) =>
      page.$$eval('[data-testid="swarm-history-row"]', (rs) =>
        rs.slice(1).map((r) => ({
          ms: Number(r.getAttribute('data-ms')),
          bytes: Number(r.getAttribute('data-sent')) + Number(r.getAttribute('data-received')),
          included: (r.getAttribute('data-included') ?? '').split(' ').length,
        })),
      ),
    ),
  )
  await Promise.all(pages.map((p) => p.context().close()))
  const flat = rows.flat()
  return {
    rounds: flat.length / n,
    medianRoundMs: Math.round(median(flat.map((r) => r.ms))),
    medianBytesPerPeerPerRound: Math.round(median(flat.map((r) => r.bytes))),
    medianIncluded: median(flat.map((r) => r.included)),
  }
}

const fixture = await serve(resolve('scripts/../e2e/fixtures/swarm-net'), { configFile: false })
const browser = await chromium.launch({
  executablePath: ensureChromium(),
  headless: true,
  args: chromiumArgsNoWebGPU,
})
try {
  for (const n of sizes) {
    const all = []
    for (let r = 0; r < runs; r++) {
      const relay = await startRelay({ port: 0 })
      all.push(...(await netRun(browser, fixture.url, relay.multiaddrs[0], n)))
      await relay.stop()
    }
    const good = all.filter((x) => x.ok)
    const pick = (k) => Math.round(median(good.map((x) => x[k])))
    const max = Math.round(Math.max(...good.map((x) => x.gossip)))
    console.log(
      JSON.stringify({
        bench: 'swarm-net',
        pages: n,
        runs,
        tabs: all.length,
        failed: all.length - good.length,
        median: { relay: pick('relay'), direct: pick('direct'), firstGossip: pick('gossip') },
        maxFirstGossip: max,
      }),
    )
  }
  if (rounds > 0) {
    const relay = await startRelay({ port: 0 })
    process.env.VITE_RELAY_ADDR = relay.multiaddrs[0]
    const app = await serve(resolve('.'), {})
    for (const n of sizes)
      console.log(
        JSON.stringify({ bench: 'swarm-rounds', pages: n, ...(await roundsRun(browser, app.url, n)) }),
      )
    await app.close()
    await relay.stop()
  }
} finally {
  await browser.close()
  await fixture.close()
}
