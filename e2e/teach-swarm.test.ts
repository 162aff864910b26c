import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage } from './browser.ts'
import { seriousViolations } from './axe.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

/** The rounds shown so far in which every one of `n` peers reported the same model hash. */
async function agreed(page: Page, n: number): Promise<number> {
  const model = page.getByTestId('teach-swarm-model')
  return (await model.getAttribute('data-agree')) === String(n)
    ? Number(await model.getAttribute('data-round'))
    : -1
}

describe('teach mode: a swarm in one tab', () => {
  it('four simulated peers agree each round; a peer switched to cheat is caught and left out', async () => {
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, `${baseUrl}?teach=1`)
    await page.getByTestId('teach-swarm-start').click()
    await expect.poll(() => page.getByTestId('teach-swarm').getAttribute('data-status')).toBe('running')
    // Two rounds in which all four peers end on the same model hash.
    const seen = new Set<number>()
    await expect
      .poll(
        async () => {
          const r = await agreed(page, 4)
          if (r >= 0) seen.add(r)
          return seen.size
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(2)
    await expect.poll(() => page.getByTestId('teach-swarm-peer').count()).toBe(4)
    const peer4 = page.locator('[data-testid=teach-swarm-peer][data-peer=p4]')
    expect(await peer4.getAttribute('data-status')).toBe('included')

    await page.locator('[data-testid=teach-swarm-cheat][data-peer=p4]').check()
    const caught = page.getByTestId('teach-swarm-caught')
    await expect.poll(() => caught.getAttribute('data-caught'), { timeout: 60_000 }).toBe('true')
    expect(await caught.getAttribute('data-peer')).toBe('p4')
    const at = Number(await caught.getAttribute('data-round'))
    expect(await page.getByTestId('teach-swarm-explain').textContent()).toContain(
      `In round ${at} the others re-ran peer 4's training step`,
    )
    // While it cheats it is left out for a fault, and the three honest peers keep ending on one hash.
    await expect
      .poll(async () => [await peer4.getAttribute('data-status'), await peer4.getAttribute('data-reason')], {
        timeout: 60_000,
      })
      .toEqual(['excluded', 'fault'])
    await expect
      .poll(
        async () => {
          const model = page.getByTestId('teach-swarm-model')
          return (
            Number(await model.getAttribute('data-round')) > at &&
            Number(await model.getAttribute('data-agree')) >= 3
          )
        },
        { timeout: 60_000 },
      )
      .toBe(true)
    for (const id of ['p1', 'p2', 'p3'])
      expect(
        await page.locator(`[data-testid=teach-swarm-peer][data-peer=${id}]`).getAttribute('data-status'),
      ).toBe('included')
    await page.getByTestId('teach-swarm').screenshot({ path: 'artifacts/screenshots/teach-swarm.png' })
    expect(await seriousViolations(page)).toEqual([])

    await page.getByTestId('teach-swarm-stop').click()
    await expect.poll(() => page.getByTestId('teach-swarm').getAttribute('data-status')).toBe('idle')
    expect(errors).toEqual([])
  }, 150_000)
})
