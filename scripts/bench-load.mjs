#!/usr/bin/env node
// First load as a visitor meets it: builds the app, serves the production build on loopback, opens it
// in headless Chromium with an empty cache and reports the JavaScript it downloaded before the Join
// button was interactive, all the JavaScript it downloaded in the first seconds, and the time from
// navigation to that button. A benchmark, not a test: figures go to docs/benchmarks.md.
//
//   node scripts/bench-load.mjs [--runs 5] [--path /]
import { chromium } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, preview } from 'vite'
import { chromiumArgs, ensureChromium } from './chromium.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const runs = Number(arg('runs', '5'))
const path = arg('path', '/')

const outDir = mkdtempSync(join(tmpdir(), 'lockstep-load-'))
await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } })
const server = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } })
const base = server.resolvedUrls.local[0].replace(/\/$/, '')
const browser = await chromium.launch({
  executablePath: ensureChromium(),
  headless: true,
  args: chromiumArgs,
})

const results = []
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  // The moment the Join button exists and is enabled, seen from inside the page (navigation start = 0):
  // the landing's (before pages existed: the Join panel's).
  await page.addInitScript(() => {
    const selector = '[data-testid=landing-join], [data-testid=swarm-join]'
    const seen = () => {
      const button = document.querySelector(selector)
      if (!button || button.hasAttribute('disabled') || window.__joinReady) return
      window.__joinReady = performance.now()
    }
    new MutationObserver(seen).observe(document, { subtree: true, childList: true, attributes: true })
  })
  await page.goto(base + path)
  await page.waitForFunction(() => window.__joinReady !== undefined, null, { timeout: 60_000 })
  await page.waitForTimeout(3_000)
  const r = await page.evaluate(() => {
    const scripts = performance
      .getEntriesByType('resource')
      .filter((e) => /\.m?js(\?|$)/.test(e.name))
      .map((e) => ({ end: e.responseEnd, bytes: e.decodedBodySize }))
    const ready = window.__joinReady
    const sum = (xs) => xs.reduce((a, e) => a + e.bytes, 0)
    // The entry module is a navigation-time script too: count the document's own scripts.
    return {
      interactive: ready,
      atInteractive: sum(scripts.filter((e) => e.end <= ready)),
      all: sum(scripts),
      files: scripts.length,
    }
  })
  results.push(r)
  await context.close()
}
await browser.close()
await server.close()
rmSync(outDir, { recursive: true, force: true })

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const kb = (b) => `${(b / 1024).toFixed(0)} KiB`
console.log(`first load of ${path}, ${runs} runs, empty cache, headless Chromium (SwiftShader WebGPU):`)
console.log(
  `  time to an interactive Join button: median ${median(results.map((r) => r.interactive)).toFixed(0)} ms`,
)
console.log(`  JavaScript loaded by then: ${kb(median(results.map((r) => r.atInteractive)))}`)
console.log(
  `  JavaScript loaded within 3 s after (lazy parts, workers): ${kb(median(results.map((r) => r.all)))} in ${median(results.map((r) => r.files))} files`,
)
