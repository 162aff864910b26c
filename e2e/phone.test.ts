import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launch } from './browser.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

const width = 375
/** The pages besides Train (where the run is), and what shows each has rendered. */
const pagePanels = {
  '#/': 'landing',
  '#/join': 'swarm-panel',
  '#/verify': 'verify-panel',
  '#/settle': 'settle-panel',
  '#/markets': 'market-panel',
}

/** Every visible control narrower or shorter than 44 CSS px, or reaching past the screen's edge. */
async function layoutProblems(
  page: Page,
): Promise<{ overflow: string[]; small: string[]; scrollWidth: number }> {
  return page.evaluate((width) => {
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''}` +
      ` "${(el.textContent || (el as HTMLInputElement).type || '').trim().slice(0, 30)}"`
    const visible = (r: DOMRect) => r.width > 0 && r.height > 0
    const overflow = [...document.querySelectorAll('body *')]
      .filter((el) => {
        const r = el.getBoundingClientRect()
        // Inside a scrolling box (e.g. a wide table) is fine: the page itself does not scroll sideways.
        return visible(r) && r.right > width + 0.5 && !el.closest('.scroll-x')
      })
      .map((el) => `${name(el)} right edge ${Math.round(el.getBoundingClientRect().right)}`)
    // A checkbox is tapped through its label, so the label is the target that counts.
    const targets = [...document.querySelectorAll('button, select, input, textarea, summary')].map((el) =>
      el instanceof HTMLInputElement && el.type === 'checkbox' ? (el.closest('label') ?? el) : el,
    )
    const small = targets
      .filter((el) => {
        const r = el.getBoundingClientRect()
        return visible(r) && (r.height < 44 || r.width < 44)
      })
      .map(
        (el) =>
          `${name(el)} ${Math.round(el.getBoundingClientRect().width)}×${Math.round(el.getBoundingClientRect().height)}`,
      )
    return { overflow, small, scrollWidth: document.documentElement.scrollWidth }
  }, width)
}

describe('the page on a phone (375×812)', () => {
  it.each([
    ['with WebGPU', true],
    ['without WebGPU', false],
  ])(
    'has no sideways scrolling and tap targets of at least 44 px, %s',
    async (_name, webgpu) => {
      const browser = await launch({ webgpu })
      browsers.push(browser)
      const context = await browser.newContext({
        viewport: { width, height: 812 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      // With WebGPU: the adapter report's tables. Without: a short run in teach mode on the CPU reference, so
      // the charts, the stats and the explanations are on the page (a GPU run would only be slower here).
      await page.goto(`${baseUrl}?teach=1${webgpu ? '' : '&preset=tiny&steps=2&autostart=1'}`)
      await expect
        .poll(() => page.getByTestId('gpu-panel').getAttribute('data-status'), { timeout: 60_000 })
        .toBe('done')
      if (!webgpu)
        await expect.poll(() => page.getByTestId('train-step').textContent(), { timeout: 60_000 }).toBe('2')
      // Open every disclosure, so what it hides is checked too.
      await page
        .locator('details')
        .evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)))
      const problems = await layoutProblems(page)
      expect(problems.overflow, 'elements past the right edge').toEqual([])
      expect(problems.scrollWidth).toBeLessThanOrEqual(width)
      expect(problems.small, 'tap targets under 44 px').toEqual([])
      // Every other page keeps the phone layout too (the tab stays: pages are hash changes).
      for (const [hash, panel] of Object.entries(pagePanels)) {
        await page.goto(baseUrl + hash)
        await page.getByTestId(panel).waitFor({ state: 'visible', timeout: 30_000 })
        const problems = await layoutProblems(page)
        expect(problems.overflow, `${hash}: elements past the right edge`).toEqual([])
        expect(problems.scrollWidth, hash).toBeLessThanOrEqual(width)
        expect(problems.small, `${hash}: tap targets under 44 px`).toEqual([])
      }
      // Controls are reachable: the Settle button can be scrolled to and tapped.
      await page.goto(baseUrl + '#/settle')
      await page.getByTestId('settle-a').fill('{}')
      await page.getByTestId('settle-run').tap()
      await expect.poll(() => page.getByTestId('settle-panel').getAttribute('data-status')).toBe('failed')
      // What a phone shows of the Train panel (the screen, not the whole page).
      await page.goto(baseUrl + '#/train')
      await page.getByTestId('train-note').evaluate((el) => el.scrollIntoView())
      await page.screenshot({ path: `artifacts/screenshots/phone${webgpu ? '-webgpu' : ''}.png` })
      expect(errors).toEqual([])
    },
    200_000,
  )
})
