#!/usr/bin/env node
// Runs bench/ in headless Chromium (the page's WebGPU adapter: SwiftShader on a machine without
// a GPU) and prints one JSON record per line. Options go to the page's query string:
//   npm run bench -- --sizes 128,256,512 --reference 256 --minMs 500
import { createServer } from 'vite'
import { chromium } from 'playwright-core'
import { chromiumArgs, ensureChromium } from './chromium.mjs'

const query = new URLSearchParams()
for (let i = 2; i < process.argv.length; i += 2)
  query.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1])

const server = await createServer({ logLevel: 'warn', server: { port: 0, host: '127.0.0.1' } })
await server.listen()
const url = `${server.resolvedUrls.local[0]}bench/index.html?${query}`
const browser = await chromium.launch({
  executablePath: ensureChromium(),
  headless: true,
  args: chromiumArgs,
})
try {
  const page = await browser.newPage()
  page.on('console', (m) => m.type() === 'error' && console.error(m.text()))
  await page.goto(url)
  await page.waitForFunction(() => window.benchResult, null, { timeout: 0, polling: 1000 })
  const result = await page.evaluate(() => window.benchResult)
  if (!result.ok) throw new Error(result.error)
  console.log(JSON.stringify({ adapter: result.adapter }))
  for (const r of result.records) console.log(JSON.stringify(r))
} finally {
  await browser.close()
  await server.close()
}
