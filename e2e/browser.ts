// Launches the system Chromium for e2e tests and records what a visitor would not want to see.
import { chromium, type Browser, type Page } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { chromiumArgs, chromiumArgsNoWebGPU, ensureChromium } from '../scripts/chromium.mjs'

export async function launch(options: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: options.webgpu === false ? chromiumArgsNoWebGPU : chromiumArgs,
  })
}

/** How many of a page's latest console warnings are kept (for a failure to explain itself). */
const WARNINGS_KEPT = 20

/**
 * A page that collects uncaught errors and console errors, so tests can assert there were none, and its
 * latest console warnings (retried dials, resyncs), which a failing test can print.
 */
export async function openPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; errors: string[]; warnings: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
  const page = await context.newPage()
  const errors: string[] = []
  const warnings: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
    if (m.type() !== 'warning') return
    warnings.push(`${new Date().toISOString().slice(11, 19)} ${m.text()}`)
    if (warnings.length > WARNINGS_KEPT) warnings.shift()
  })
  await page.goto(url)
  return { page, errors, warnings }
}

/** Saves the whole page, or only the element with data-testid `of`, as artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string, of?: string): Promise<string> {
  mkdirSync('artifacts/screenshots', { recursive: true })
  const path = `artifacts/screenshots/${name}.png`
  if (of) await page.getByTestId(of).screenshot({ path })
  else await page.screenshot({ path, fullPage: true })
  return path
}
