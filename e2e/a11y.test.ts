import { afterAll, describe, expect, inject, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Browser } from 'playwright-core'
import { launch, openPage } from './browser.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[] }[]
}

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
        await page.addScriptTag({ content: axeSource })
        const violations = (await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } }).axe
          return (await axe.run()).violations
        })) as AxeViolation[]
        const serious = violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
        expect(
          serious.map(
            (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          ),
          colorScheme,
        ).toEqual([])
        await page.close()
      }
    },
    120_000,
  )
})
