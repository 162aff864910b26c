import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage } from './browser.ts'
import { seriousViolations } from './axe.ts'
import { PAGES, hrefOf } from '../src/state/route.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

/** What shows that a page has rendered (the GPU check has an answer on Train). */
const ready: Record<(typeof PAGES)[number], string> = {
  home: 'landing',
  join: 'swarm-panel',
  train: 'gpu-panel',
  generate: 'generate-panel',
  verify: 'verify-panel',
  settle: 'settle-panel',
  markets: 'market-panel',
}

async function untilGpuChecked(page: Page) {
  await page.waitForFunction(
    () => document.querySelector('[data-testid=gpu-panel]')?.getAttribute('data-status') === 'done',
    null,
    { timeout: 60_000 },
  )
}

describe('accessibility (axe-core)', () => {
  it('every page has no serious or critical violations at 1280 and 375 px, in light and dark', async () => {
    const browser = await launch()
    browsers.push(browser)
    const { page } = await openPage(browser, baseUrl)
    const found: string[] = []
    for (const width of [1280, 375])
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width, height: 900 })
        await page.emulateMedia({ colorScheme })
        for (const p of PAGES) {
          // Page changes are hash changes: the tab stays, as it does for a visitor.
          await page.goto(baseUrl + hrefOf(p))
          await page.getByTestId(ready[p]).waitFor({ state: 'visible', timeout: 30_000 })
          if (p === 'train') await untilGpuChecked(page)
          for (const v of await seriousViolations(page))
            found.push(`${p} at ${width} px, ${colorScheme}: ${v}`)
        }
      }
    expect(found).toEqual([])
  }, 240_000)

  it.each([
    ['without WebGPU', false, '#/train'],
    // Charts, stats and the teach-mode explanations filled in by a short run.
    ['after a run in teach mode', false, '?preset=tiny&steps=2&autostart=1&teach=1'],
  ])(
    'the Train page has no serious or critical violations %s, in light and dark',
    async (_name, webgpu, query) => {
      const browser = await launch({ webgpu })
      browsers.push(browser)
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page } = await openPage(browser, baseUrl + query)
        await page.emulateMedia({ colorScheme })
        await untilGpuChecked(page)
        if (query.includes('autostart'))
          await expect.poll(() => page.getByTestId('train-step').textContent(), { timeout: 60_000 }).toBe('2')
        expect(await seriousViolations(page), colorScheme).toEqual([])
        await page.close()
      }
    },
    120_000,
  )
})
