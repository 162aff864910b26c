import { afterAll, describe, expect, inject, it } from 'vitest'
import { writeFileSync, mkdirSync } from 'node:fs'
import { privateKeyToAccount } from 'viem/accounts'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage, screenshot } from './browser.ts'
import { kjvBytes } from '../src/train/testing.ts'
import { MICRO, TEST_TARGET as target, trainedReceipt } from '../src/receipts/testing.ts'
import { createInferenceReceipt } from '../src/receipts/inference.ts'
import { exportOnnx } from '../src/train/onnx.ts'
import { initParams } from '../src/train/gpt.ts'
import { shareHash } from '../src/state/verify.svelte.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const model = MICRO

/** A training receipt made in Node on the CPU reference (3 steps of the micro GPT). */
const nodeReceipt = () => trainedReceipt({ signer: account, bytes: kjvBytes, runId: 'made-in-node' })

async function verdict(page: Page) {
  const v = page.getByTestId('verify-verdict')
  await v.waitFor({ timeout: 120_000 })
  return v.getAttribute('data-ok')
}

describe('verifying receipts in a browser without WebGPU', () => {
  it('re-executes a receipt made in Node and passes it; fails a tampered one, naming the check', async () => {
    const receipt = await nodeReceipt()
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/verify')
    await page.getByTestId('verify-input').fill(JSON.stringify(receipt))
    await page.getByTestId('verify-run').click()
    expect(await verdict(page)).toBe('true')
    for (const name of ['structure', 'receipt-hash', 'signature', 'steps-root', 'end-state', 're-execution'])
      expect(await page.getByTestId(`check-${name}`).first().getAttribute('data-ok'), name).toBe('true')
    expect(await page.getByTestId('verify-verdict').textContent()).toContain('CPU reference')
    await screenshot(page, 'verify')

    const tampered = structuredClone(receipt)
    tampered.body.stepHashes[0] = tampered.body.stepHashes[1]
    await page.getByTestId('verify-input').fill(JSON.stringify(tampered))
    await page.getByTestId('verify-run').click()
    expect(await verdict(page)).toBe('false')
    expect(await page.getByTestId('check-steps-root').getAttribute('data-ok')).toBe('false')
    expect(errors).toEqual([])
  }, 200_000)

  it('opens a share link and verifies on arrival; verifies an inference receipt with its model file', async () => {
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const receipt = await nodeReceipt()
    const { page, errors } = await openPage(browser, baseUrl + shareHash(JSON.stringify(receipt)))
    expect(await verdict(page)).toBe('true')

    const onnx = exportOnnx(model, initParams(model, 2))
    mkdirSync('artifacts', { recursive: true })
    writeFileSync('artifacts/model.onnx', onnx)
    const inference = await createInferenceReceipt(
      onnx,
      { input_ids: { dims: [1, 8], data: [65, 110, 100, 32, 71, 111, 100, 32] } },
      {
        uri: 'https://example.invalid/not-reachable.onnx',
        account,
        target,
      },
    )
    await page.getByTestId('verify-input').fill(JSON.stringify(inference))
    await page.getByTestId('verify-model').setInputFiles('artifacts/model.onnx')
    await page.getByTestId('verify-run').click()
    expect(await verdict(page)).toBe('true')
    expect(await page.getByTestId('check-output-hash').last().getAttribute('data-ok')).toBe('true')
    expect(errors).toEqual([])
  }, 200_000)
})
