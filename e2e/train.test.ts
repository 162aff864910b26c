import { afterAll, describe, expect, inject, it } from 'vitest'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
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

/** The state hashes the CPU reference computes in Node for the run the page starts. */
async function referenceHashes(steps: number): Promise<string[]> {
  const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
  const trainer = Trainer.create(cpuBackend, defaultTrainConfig(presets.tiny, { steps }))
  const out: string[] = []
  for (let i = 0; i < steps; i++) out.push((await trainer.trainStep(train)).stateHash)
  return out
}

async function startRun(page: Page, steps: number) {
  await expect.poll(() => page.getByTestId('train-start').isEnabled(), { timeout: 60_000 }).toBe(true)
  await page.getByTestId('train-preset').selectOption('tiny')
  await page.getByTestId('train-steps').fill(String(steps))
  await page.getByTestId('train-start').click()
}

describe('training in the page', () => {
  it('trains on the GPU in a worker, with the CPU reference state hashes; pauses, resumes after a reload', async () => {
    const steps = 6
    const expected = await referenceHashes(steps)
    const browser = await launch()
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/train')

    await startRun(page, steps)
    const stepOf = async () => Number(await page.getByTestId('train-step').textContent())
    await expect.poll(stepOf, { timeout: 180_000, interval: 200 }).toBeGreaterThanOrEqual(2)
    await page.getByTestId('train-pause').click()
    await expect
      .poll(() => page.getByTestId('train-panel').getAttribute('data-status'), { timeout: 60_000 })
      .toBe('paused')
    const pausedAt = await stepOf()
    expect(await page.getByTestId('state-hash').textContent()).toBe(expected[pausedAt - 1])

    // A reload loses nothing: the run resumes from IndexedDB and ends on the reference hash.
    await page.reload()
    await startRun(page, steps)
    await expect.poll(stepOf, { timeout: 180_000, interval: 200 }).toBe(steps)
    await expect
      .poll(() => page.getByTestId('train-panel').getAttribute('data-status'), { timeout: 60_000 })
      .toBe('idle')
    expect(await page.getByTestId('state-hash').textContent()).toBe(expected[steps - 1])
    expect(await page.getByTestId('train-panel').textContent()).toContain('resumed from this browser')

    await page.getByTestId('train-sample').click()
    await expect
      .poll(() => page.getByTestId('sample-text').textContent(), { timeout: 60_000 })
      .toMatch(/^And God said.+/s)
    await page.getByTestId('train-evaluate').click()
    await expect
      .poll(async () => Number(await page.getByTestId('val-loss').textContent()), { timeout: 60_000 })
      .toBeGreaterThan(0)
    const download = page.waitForEvent('download')
    await page.getByTestId('train-onnx').click()
    expect((await download).suggestedFilename()).toMatch(/^lockstep-tiny-.*-step6\.onnx$/)
    // The page's receipt verifies in Node with the CLI on the CPU reference; a tampered copy fails.
    const receiptDownload = page.waitForEvent('download')
    await page.getByTestId('train-receipt').click()
    mkdirSync('artifacts', { recursive: true })
    await (await receiptDownload).saveAs('artifacts/receipt.json')
    const cli = (file: string) =>
      spawnSync(process.execPath, ['bin/lockstep.mjs', 'verify', file], { encoding: 'utf8' })
    const ok = cli('artifacts/receipt.json')
    expect(ok.stdout).toMatch(/OK: signed by 0x[0-9a-fA-F]{40}; every step re-executed and equal/)
    expect(ok.status).toBe(0)
    const receipt = JSON.parse(readFileSync('artifacts/receipt.json', 'utf8'))
    expect(receipt.body.endStateHash).toBe(expected[steps - 1])
    receipt.body.stepHashes[1] = receipt.body.stepHashes[2]
    writeFileSync('artifacts/receipt-tampered.json', JSON.stringify(receipt))
    const bad = cli('artifacts/receipt-tampered.json')
    expect(bad.status).toBe(1)
    expect(bad.stdout).toContain('FAILED: steps root, receipt hash')
    // An inference receipt made in the page (deterministic ONNX runtime) verifies in Node with its model.
    const [modelDl, inferDl] = await Promise.all([
      page.waitForEvent('download', (d) => d.suggestedFilename().endsWith('.onnx')),
      page.waitForEvent('download', (d) => d.suggestedFilename().endsWith('inference-receipt.json')),
      page.getByTestId('train-inference').click(),
    ])
    await modelDl.saveAs('artifacts/page-model.onnx')
    await inferDl.saveAs('artifacts/page-inference-receipt.json')
    const inferred = spawnSync(
      process.execPath,
      [
        'bin/lockstep.mjs',
        'verify',
        'artifacts/page-inference-receipt.json',
        '--model',
        'artifacts/page-model.onnx',
      ],
      { encoding: 'utf8' },
    )
    expect(inferred.stdout).toContain('outputs re-executed and equal')
    expect(inferred.status).toBe(0)
    await screenshot(page, 'train')
    expect(errors).toEqual([])
  }, 400_000)

  it('trains on the CPU reference when the browser has no WebGPU', async () => {
    const expected = await referenceHashes(2)
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    // Driven by URL parameters alone (docs/automation.md): no clicks.
    const { page, errors } = await openPage(browser, `${baseUrl}?preset=tiny&steps=2&autostart=1`)
    await expect.poll(() => page.getByTestId('train-step').textContent(), { timeout: 120_000 }).toBe('2')
    expect(await page.getByTestId('state-hash').textContent()).toBe(expected[1])
    expect(await page.getByTestId('train-panel').textContent()).toContain('runs on the CPU reference')

    // The trained weights go to the Generate page as a KV-cache decoder; its receipt names that file.
    await page.getByTestId('train-generate').click()
    await page.getByTestId('generate-source-trained').waitFor()
    expect(await page.getByTestId('generate-source-trained').isChecked()).toBe(true)
    await page.getByTestId('generate-max-tokens').fill('3')
    await page.getByTestId('generate-run').click()
    const receipt = page.getByTestId('generate-receipt')
    await receipt.waitFor({ timeout: 120_000 })
    expect(await receipt.textContent()).toContain('3 tokens')
    expect(await page.getByTestId('generate-progress').textContent()).toContain('CPU reference')
    expect(errors).toEqual([])
  }, 300_000)
})
