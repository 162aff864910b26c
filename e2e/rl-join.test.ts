// The Join panel's swarm kind, through the automation contract only: the URL picks it, the panel and its
// share link follow it, and the panel stays accessible with either kind picked. The RL swarm's rounds
// themselves (tabs, a Node peer, forged rollouts dropped) are e2e/rl-swarm's, once its peer is in.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { seriousViolations } from './axe.ts'
import { launch, openPage } from './browser.ts'

const baseUrl = inject('baseUrl')
let browser: Browser
beforeAll(async () => void (browser = await launch({ webgpu: false })))
afterAll(async () => browser?.close())

describe('the swarm kind in the Join panel', () => {
  it('?swarmKind=rl preselects the RL swarm without joining; the link joins that kind; switching back works', async () => {
    const { page } = await openPage(browser, `${baseUrl}?swarmKind=rl&swarmName=class-7b`)
    const panel = page.getByTestId('swarm-panel')
    await expect.poll(() => panel.getAttribute('data-kind')).toBe('rl')
    expect(await page.getByTestId('swarm-kind').inputValue()).toBe('rl')
    expect(await panel.getAttribute('data-status')).toBe('idle')
    const link = new URL((await page.getByTestId('swarm-link').getAttribute('href'))!)
    expect([link.searchParams.get('swarm'), link.searchParams.get('swarmName')]).toEqual(['rl', 'class-7b'])
    expect(link.searchParams.has('swarmKind')).toBe(false)

    await page.getByTestId('swarm-kind').selectOption('averaging')
    await expect.poll(() => panel.getAttribute('data-kind')).toBe('averaging')
    expect(
      new URL((await page.getByTestId('swarm-link').getAttribute('href'))!).searchParams.get('swarm'),
    ).toBe('1')
    await page.close()
  })

  it('has no serious or critical axe violations with the RL kind picked, at 1280 and 375 px, light and dark', async () => {
    const { page } = await openPage(browser, `${baseUrl}?swarmKind=rl`)
    await page.getByTestId('swarm-panel').waitFor({ state: 'visible' })
    const found: string[] = []
    for (const width of [1280, 375])
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width, height: 900 })
        await page.emulateMedia({ colorScheme })
        for (const v of await seriousViolations(page)) found.push(`${width} px, ${colorScheme}: ${v}`)
      }
    expect(found).toEqual([])
    await page.close()
  })
})
