import { afterAll, describe, expect, inject, it } from 'vitest'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage } from './browser.ts'
import { seriousViolations } from './axe.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { defaultTrainConfig } from '../src/train/trainer.ts'
import { checkEvidence } from '../src/disputes/dispute.ts'
import { stepTraceFile } from '../src/disputes/stepTrace.ts'
import { testKeys, testProducer } from '../src/disputes/demo.ts'
import { MICRO } from '../src/receipts/testing.ts'
import { kjvBytes } from '../src/train/testing.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

const corpus = kjvBytes
const config = defaultTrainConfig(MICRO, { steps: 5, batch: 2 })

const settled = async (page: Page) => {
  await expect
    .poll(() => page.getByTestId('settle-panel').getAttribute('data-status'), { timeout: 120_000 })
    .toMatch(/done|failed/)
  const status = await page.getByTestId('settle-panel').getAttribute('data-status')
  // The error in words, so a failure says why.
  const error = page.getByTestId('settle-error')
  return (await error.count()) ? `${status}: ${await error.textContent()}` : status
}

describe('settling a dispute in a browser without WebGPU', () => {
  it('finds the divergent step and the one operator, names the cheater, and hands over evidence', async () => {
    // Made in Node: an honest producer and one that corrupts operator 40 of step 3, with its trace.
    const honest = await testProducer(config, corpus, testKeys[0])
    const cheater = await testProducer(config, corpus, testKeys[1], [3, 40])
    const trace = stepTraceFile(cheater.receipt.receiptHash, 3, await cheater.traceStep(3))
    mkdirSync('artifacts', { recursive: true })
    writeFileSync('artifacts/cheater-step3-trace.json', JSON.stringify(trace))
    const cheaterName = `B (${cheater.receipt.body.producer})`

    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/settle')
    await page.getByTestId('settle-a').fill(JSON.stringify(honest.receipt))
    await page.getByTestId('settle-b').fill(JSON.stringify(cheater.receipt))

    // Without the cheater's trace: the step and the wrong commitment, and what is missing to go further.
    await page.getByTestId('settle-run').click()
    expect(await settled(page)).toBe('done')
    expect(await page.getByTestId('settle-step').getAttribute('data-step')).toBe('3')
    const claims = page.locator('[data-testid=settle-claims] li')
    expect(await claims.evaluateAll((li) => li.map((l) => l.getAttribute('data-ok')))).toEqual([
      'true',
      'false',
    ])
    expect(await page.getByTestId('settle-note').textContent()).toContain(
      `trace of step 3 from ${cheaterName}`,
    )

    // With it: operator 40, the cheater named, and evidence anyone can re-check.
    await page.getByTestId('settle-traces').setInputFiles('artifacts/cheater-step3-trace.json')
    await page.getByTestId('settle-run').click()
    expect(await settled(page)).toBe('done')
    expect(await page.getByTestId('settle-op').getAttribute('data-op')).toBe('40')
    expect(await page.getByTestId('settle-wrong').getAttribute('data-wrong')).toBe(cheaterName)
    const download = page.waitForEvent('download')
    await page.getByTestId('settle-evidence').click()
    expect((await download).suggestedFilename()).toBe('lockstep-dispute-step3-op40.json')
    await (await download).saveAs('artifacts/dispute-evidence.json')
    const evidence = JSON.parse(readFileSync('artifacts/dispute-evidence.json', 'utf8'))
    expect(await checkEvidence(evidence, cpuBackend)).toEqual([cheaterName])
    await page.getByTestId('settle-panel').screenshot({ path: 'artifacts/screenshots/settle.png' })

    // One receipt against this browser's own re-execution; and a clear error for a damaged receipt.
    await page.getByTestId('settle-a').fill(JSON.stringify(cheater.receipt))
    await page.getByTestId('settle-b').fill('')
    await page.getByTestId('settle-run').click()
    expect(await settled(page)).toBe('done')
    expect(await page.getByTestId('settle-op').getAttribute('data-op')).toBe('40')
    expect(await page.getByTestId('settle-wrong').getAttribute('data-wrong')).toBe(
      `A (${cheater.receipt.body.producer})`,
    )
    const damaged = structuredClone(cheater.receipt)
    damaged.body.stepHashes[0] = damaged.body.stepHashes[1]
    await page.getByTestId('settle-b').fill(JSON.stringify(damaged))
    await page.getByTestId('settle-run').click()
    expect(await settled(page)).toMatch(/^failed: Receipt B does not validate: steps root/)
    expect(errors).toEqual([])
  }, 240_000)

  it('makes a demo dispute in the page and finds the lie where it was planted', async () => {
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/settle')
    await page.getByTestId('settle-demo').click()
    const planted = page.getByTestId('settle-planted')
    await planted.waitFor({ timeout: 60_000 })
    const [step, op] = [await planted.getAttribute('data-step'), await planted.getAttribute('data-op')]
    await page.getByTestId('settle-run').click()
    expect(await settled(page)).toBe('done')
    expect(await page.getByTestId('settle-step').getAttribute('data-step')).toBe(step)
    expect(await page.getByTestId('settle-op').getAttribute('data-op')).toBe(op)
    expect(await page.getByTestId('settle-wrong').getAttribute('data-wrong')).toMatch(/^B \(0x/)
    // The verdict is readable in both themes (axe: no serious or critical violations).
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme })
      expect(await seriousViolations(page), colorScheme).toEqual([])
    }

    // Cancel stops at once (pressed in the same task as Settle, so surely while it runs).
    await page.evaluate(async () => {
      const click = (id: string) =>
        (document.querySelector(`[data-testid=${id}]`) as HTMLButtonElement).click()
      click('settle-run')
      await new Promise(requestAnimationFrame)
      click('settle-cancel')
    })
    expect(await page.getByTestId('settle-panel').getAttribute('data-status')).toBe('idle')
    await page.waitForTimeout(3000) // longer than the settlement takes when it is not cancelled (~1 s)
    expect(await page.getByTestId('settle-panel').getAttribute('data-status')).toBe('idle')
    expect(await page.getByTestId('settle-op').count()).toBe(0)
    expect(errors).toEqual([])
  }, 120_000)
})
