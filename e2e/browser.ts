// Launches the system Chromium for e2e tests and records what a visitor would not want to see.
import { chromium, type Browser, type Page } from 'playwright-core'
import { mkdirSync, writeFileSync } from 'node:fs'
import { chromiumArgs, chromiumArgsNoWebGPU, ensureChromium } from '../scripts/chromium.mjs'

/** Every browser this test file launched, so a failure can photograph whatever pages are open. */
const browsers = new Set<Browser>()
/** The latest console warnings of each page opened through openPage. */
const warningsOf = new WeakMap<Page, string[]>()

export async function launch(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: options.webgpu === false ? chromiumArgsNoWebGPU : chromiumArgs,
  })
  browsers.add(browser)
  browser.on('disconnected', () => browsers.delete(browser))
  return browser
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
  warningsOf.set(page, warnings)
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
  // An element screenshot waits for the element to hold still, which a live panel on a loaded machine
  // may not do for long: the picture is an artifact, so the whole page stands in rather than failing.
  if (of) {
    const still = await page
      .getByTestId(of)
      .screenshot({ path, animations: 'disabled', timeout: 20_000 })
      .then(() => true)
      .catch(() => false)
    if (still) return path
  }
  await page.screenshot({ path, fullPage: true, animations: 'disabled' })
  return path
}

/**
 * After a failed test: a screenshot of every open page and its latest warnings, under
 * artifacts/failures/<test>/tab-N.png and tab-N.txt. Best effort: a crashed page is noted, not thrown.
 */
export async function saveOpenPages(test: string): Promise<string> {
  const dir = `artifacts/failures/${test.replace(/[^\w.-]+/g, '_').slice(0, 100)}`
  mkdirSync(dir, { recursive: true })
  const pages = [...browsers].flatMap((b) => b.contexts().flatMap((c) => c.pages()))
  await Promise.all(
    pages.map(async (page, i) => {
      const shot = await page
        .screenshot({ path: `${dir}/tab-${i}.png`, fullPage: true, timeout: 10_000 })
        .then(() => 'saved')
        .catch((e: Error) => `failed: ${e.message.split('\n')[0]}`)
      const said = [
        `url: ${page.url()}`,
        `screenshot: ${shot}`,
        'latest warnings:',
        ...(warningsOf.get(page) ?? []),
      ]
      writeFileSync(`${dir}/tab-${i}.txt`, said.join('\n') + '\n')
    }),
  )
  return dir
}
