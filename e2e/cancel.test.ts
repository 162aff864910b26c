import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage, screenshot } from './browser.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../src/train/corpus.ts'
import { kjvBytes } from '../src/train/testing.ts'
import { presets } from '../src/train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

const steps = 40
async function referenceHashes(n: number): Promise<string[]> {
  const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
  const trainer = Trainer.create(cpuBackend, defaultTrainConfig(presets.tiny, { steps }))
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push((await trainer.trainStep(train)).stateHash)
  return out
}

const status = (page: Page) => page.getByTestId('train-panel').getAttribute('data-status')
const stepOf = async (page: Page) => Number(await page.getByTestId('train-step').textContent())

describe('cancelling training', () => {
  it('stops at a step boundary with the checkpoint kept, charts every step, and resumes from it', async () => {
    const expected = await referenceHashes(16)
    // The CPU reference path: a step there never yields to the event loop, the hard case for cancel.
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, `${baseUrl}?preset=tiny&steps=${steps}&autostart=1`)
    await expect.poll(() => stepOf(page), { timeout: 120_000, interval: 100 }).toBeGreaterThanOrEqual(3)
    expect(await page.getByTestId('train-note').textContent()).toMatch(/Step \d+ of 40 · about .+ left/)
    await page.getByTestId('train-cancel').click()
    await expect.poll(() => status(page), { timeout: 60_000 }).toBe('cancelled')
    const at = await stepOf(page)
    expect(at).toBeLessThan(12)
    expect(await page.getByTestId('state-hash').textContent()).toBe(expected[at - 1])
    expect(await page.getByTestId('train-note').textContent()).toContain(`Cancelled at step ${at}.`)
    // The charts hold every step so far, and say so in words for screen readers.
    expect(await page.getByTestId('train-charts').getAttribute('data-points')).toBe(String(at))
    expect(await page.getByTestId('chart-loss-summary').textContent()).toContain(`at step ${at}.`)
    expect(await page.locator('[data-testid=train-charts] canvas').count()).toBeGreaterThanOrEqual(2)
    // The worker is gone: nothing moves any more.
    await page.waitForTimeout(1500)
    expect(await stepOf(page)).toBe(at)
    await screenshot(page, 'train-cancelled')

    // Resume loads the kept checkpoint (not one from an earlier save) and continues on the reference.
    await page.getByTestId('train-start').click()
    await expect.poll(() => stepOf(page), { timeout: 60_000, interval: 100 }).toBeGreaterThan(at)
    expect(await page.getByTestId('train-panel').textContent()).toContain(
      `resumed from this browser at step ${at}`,
    )
    await page.getByTestId('train-cancel').click()
    await expect.poll(() => status(page), { timeout: 60_000 }).toBe('cancelled')
    const again = await stepOf(page)
    expect(await page.getByTestId('state-hash').textContent()).toBe(expected[again - 1])
    expect(await page.getByTestId('train-charts').getAttribute('data-points')).toBe(String(again))

    // A read-only task (validation loss) can be cancelled too, and the next one still works. Clicked
    // in one go in the page, so the task is surely still running when Cancel is pressed.
    await page.evaluate(async () => {
      const click = (id: string) =>
        (document.querySelector(`[data-testid=${id}]`) as HTMLButtonElement).click()
      click('train-evaluate')
      await new Promise(requestAnimationFrame)
      click('train-cancel')
    })
    await expect.poll(() => page.getByTestId('train-cancel').count()).toBe(0)
    expect(await page.getByTestId('train-note').textContent()).not.toMatch(/Loading|Measuring/)
    const valBefore = await page.getByTestId('val-loss').textContent()
    await page.waitForTimeout(1000)
    expect(await page.getByTestId('val-loss').textContent()).toBe(valBefore)
    await page.getByTestId('train-evaluate').click()
    await expect
      .poll(async () => Number(await page.getByTestId('val-loss').textContent()), { timeout: 60_000 })
      .toBeGreaterThan(0)
    expect(await stepOf(page)).toBe(again)
    expect(errors).toEqual([])
  }, 200_000)
})
