// The Settle journey: a market settled in the page on the deterministic runtime (the same outcome and
// scores as Node computes with the same module), signed and anchored with the dev wallet on the local
// chain, the onnxruntime-web preview beside it; then the settlement link re-checked in a fresh context,
// and a tampered link failing on the check it broke.
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage, screenshot } from './browser.ts'
import { seriousViolations } from './axe.ts'
import { readFileSync } from 'node:fs'
import { TASK_RULE } from '../src/markets/model.ts'
import { parseSettlementHash, settle, type SettlementReceipt } from '../src/markets/settlement.ts'
import { trainedModel, TRAINED_URI } from '../src/markets/trained.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(() => Promise.all(browsers.map((b) => b.close())))

// A question the trained default model answers from its input (it learned to sort short words).
const market = {
  question: 'Which is the word “bea” with its letters in alphabetical order?',
  input: 'sort:bea',
  outcomes: ['bea', 'abe', 'eab'],
}

async function verdict(page: Page) {
  const v = page.getByTestId('market-verdict')
  await v.waitFor({ timeout: 170_000 })
  return v.getAttribute('data-ok')
}

describe('settling an information market', () => {
  it('settles, anchors, previews, and re-checks from the link; a tampered link fails', async () => {
    const model = trainedModel(new Uint8Array(readFileSync('public/rl/warmstart.lscp')))
    const expected = settle(model, market, TRAINED_URI, undefined, TASK_RULE)
    expect(market.outcomes[expected.outcome]).toBe('abe')
    const browser = await launch()
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/markets')
    await page.getByTestId('wallet-dev').click()
    await page.getByTestId('wallet-connected').waitFor({ timeout: 60_000 })

    await page.getByTestId('market-question').fill(market.question)
    await page.getByTestId('market-input').fill(market.input)
    await page.getByTestId('market-outcomes').fill(market.outcomes.join('\n'))
    await page.getByTestId('market-settle').click()
    const result = page.getByTestId('market-result')
    await result.waitFor({ timeout: 170_000 })
    expect(await result.getAttribute('data-outcome')).toBe(String(expected.outcome))
    expect(await page.getByTestId('market-outcome').textContent()).toBe(market.outcomes[expected.outcome])
    expect(await page.getByTestId('market-scores').textContent()).toBe(
      expected.scores.map((s) => s.toFixed(3)).join(', '),
    )
    const receiptHash = await page.getByTestId('market-receipt-hash').textContent()
    await page
      .locator(`[data-testid="anchor-job"][data-receipt="${receiptHash}"][data-status="anchored"]`)
      .waitFor({ timeout: 120_000 })

    const preview = page.getByTestId('market-preview')
    await page
      .locator('[data-testid="market-preview"]:not([data-status="running"])')
      .waitFor({ timeout: 120_000 })
    expect(await preview.getAttribute('data-status'), (await preview.textContent()) ?? '').toBe('done')
    expect(await preview.textContent()).toContain('not reproducible')
    await screenshot(page, 'market')
    await page.getByTestId('market-panel').screenshot({ path: 'artifacts/screenshots/market-panel.png' })
    expect(await seriousViolations(page)).toEqual([])

    const link = (await page.getByTestId('market-link').getAttribute('href'))!
    const receipt = JSON.parse(parseSettlementHash(new URL(link).hash)!) as SettlementReceipt
    expect(receipt.body.outcome).toBe(expected.outcome)
    expect(receipt.body.inference).toEqual(expected.inference)

    const fresh = await openPage(browser, link)
    expect(await verdict(fresh.page)).toBe('true')
    for (const name of [
      'structure',
      'model',
      'input-hash',
      'output-hash',
      'outcome',
      'receipt-hash',
      'signature',
    ])
      expect(await fresh.page.getByTestId(`market-check-${name}`).getAttribute('data-ok'), name).toBe('true')

    await fresh.page.locator('[data-testid="market-anchor"][data-ok="true"]').waitFor({ timeout: 60_000 })

    expect(await seriousViolations(fresh.page)).toEqual([])

    const tampered = structuredClone(receipt)
    tampered.body.outcome = (receipt.body.outcome + 1) % market.outcomes.length
    const bin = String.fromCharCode(...new TextEncoder().encode(JSON.stringify(tampered)))
    const bad = await openPage(
      browser,
      `${baseUrl}#settlement=${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`,
    )
    expect(await verdict(bad.page)).toBe('false')
    expect(await bad.page.getByTestId('market-check-outcome').getAttribute('data-ok')).toBe('false')
    expect(await bad.page.getByTestId('market-verdict').textContent()).toContain('outcome')
    expect([...errors, ...fresh.errors, ...bad.errors]).toEqual([])
  }, 600_000)
})
