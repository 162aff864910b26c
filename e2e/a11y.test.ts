import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { launch, openPage } from './browser.ts'
import { seriousViolations } from './axe.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

describe('accessibility (axe-core)', () => {
  it.each([
    ['with WebGPU', true, ''],
    ['without WebGPU', false, ''],
    // Charts, stats and the teach-mode explanations filled in by a short run.
    ['after a run in teach mode', false, '?preset=tiny&steps=2&autostart=1&teach=1'],
  ])(
    'the page has no serious or critical violations %s, in light and dark',
    async (_name, webgpu, query) => {
      const browser = await launch({ webgpu })
      browsers.push(browser)
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page } = await openPage(browser, baseUrl + query)
        await page.emulateMedia({ colorScheme })
        await page.getByTestId('gpu-status').waitFor()
        await page.waitForFunction(
          () => document.querySelector('[data-testid=gpu-panel]')?.getAttribute('data-status') === 'done',
          null,
          {
            timeout: 60_000,
          },
        )
        if (query.includes('autostart'))
          await expect.poll(() => page.getByTestId('train-step').textContent(), { timeout: 60_000 }).toBe('2')
        expect(await seriousViolations(page), colorScheme).toEqual([])
        await page.close()
      }
    },
    120_000,
  )
})
