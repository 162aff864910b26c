// Generate in a tab on its GPU kernels, then re-generate the receipt in another browser without WebGPU
// (the CPU reference): the same tokens, bit for bit. A liar's receipt with one token changed, its hashes
// recomputed and re-signed, is refused at that token's position.
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { privateKeyToAccount } from 'viem/accounts'
import { launch, openPage, screenshot } from './browser.ts'
import { withTokenIds } from '../src/receipts/testing.ts'
import type { GenerationReceipt } from '../src/receipts/generation.ts'
import { receiptFromHash, shareHash } from '../src/state/verify.svelte.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))
const liar = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')

async function verdict(page: Page) {
  const v = page.getByTestId('verify-verdict')
  await v.waitFor({ timeout: 180_000 })
  return v.getAttribute('data-ok')
}

describe('generation receipts in the app', () => {
  it('generates on the GPU, re-generates without WebGPU, and refuses a one-token lie by position', async () => {
    const gpuBrowser = await launch()
    browsers.push(gpuBrowser)
    const { page, errors } = await openPage(gpuBrowser, baseUrl + '#/generate')
    await page.getByTestId('generate-panel').waitFor()
    await page.getByTestId('generate-builtin').selectOption('lockstep:gpt/tiny?seed=1')
    await page.getByTestId('generate-prompt').fill('In the')
    await page.getByTestId('generate-max-tokens').fill('5')
    await page.getByTestId('generate-temperature').fill('0.9')
    await page.getByTestId('generate-seed').fill('7')
    // The GPU kernels, once the page's check says they match the CPU reference.
    await expect
      .poll(() => page.locator('[data-testid=generate-runtime] option[value=gpu]').isDisabled(), {
        timeout: 120_000,
      })
      .toBe(false)
    await page.getByTestId('generate-runtime').selectOption('gpu')
    await page.getByTestId('generate-run').click()
    await page.getByTestId('generate-receipt').waitFor({ timeout: 240_000 })
    expect(await page.getByTestId('generate-progress').textContent()).toContain('GPU kernels')
    const link = (await page.getByTestId('generate-verify-link').getAttribute('href'))!
    const receipt = JSON.parse(receiptFromHash(link.slice(link.indexOf('#')))!) as GenerationReceipt
    expect(receipt.body.tokenCount).toBe(5)
    expect(receipt.body.model.uri).toBe('lockstep:gpt/tiny?seed=1')
    expect(await page.getByTestId('generate-output').textContent()).toContain(receipt.body.text)
    await screenshot(page, 'generate', 'generate-panel')

    // The same tab re-generates it on its own GPU kernels too (the link opens Verify and checks on the CPU
    // reference first; then once more on the GPU).
    await page.goto(baseUrl + shareHash(JSON.stringify(receipt)))
    expect(await verdict(page)).toBe('true')
    await page.getByTestId('verify-gpu').check()
    await page.getByTestId('verify-run').click()
    await expect
      .poll(() => page.getByTestId('verify-verdict').textContent(), { timeout: 240_000 })
      .toContain('GPU kernels path')
    expect(await page.getByTestId('verify-verdict').getAttribute('data-ok')).toBe('true')
    expect(await page.getByTestId('verify-regenerated').getAttribute('data-matched')).toBe('5')
    expect(errors).toEqual([])

    // Another browser, no WebGPU: the link re-generates on the CPU reference, token by token.
    const cpuBrowser = await launch({ webgpu: false })
    browsers.push(cpuBrowser)
    const verify = await openPage(cpuBrowser, baseUrl + shareHash(JSON.stringify(receipt)))
    expect(await verdict(verify.page)).toBe('true')
    const shown = verify.page.getByTestId('verify-regenerated')
    expect(await shown.getAttribute('data-matched')).toBe('5')
    expect(await verify.page.getByTestId('check-re-generation').last().getAttribute('data-ok')).toBe('true')

    // The liar changes token 2, recomputes every hash and the text, and signs: validation passes, the
    // re-generation names position 2.
    const ids = [...receipt.body.tokenIds]
    ids[2] = (ids[2] + 1) % 256
    const lie = await withTokenIds(receipt, ids, liar)
    await verify.page.getByTestId('verify-input').fill(JSON.stringify(lie))
    await verify.page.getByTestId('verify-run').click()
    expect(await verdict(verify.page)).toBe('false')
    expect(await verify.page.getByTestId('check-signature').last().getAttribute('data-ok')).toBe('true')
    const check = verify.page.getByTestId('check-re-generation').last()
    expect(await check.getAttribute('data-ok')).toBe('false')
    expect(await check.textContent()).toContain('position 2')
    expect(await shown.getAttribute('data-mismatch')).toBe('2')
    await verify.page.getByTestId('verify-divergence').waitFor()
    await screenshot(verify.page, 'verify-generation-lie', 'verify-panel')
    expect(verify.errors).toEqual([])
  }, 600_000)
})
