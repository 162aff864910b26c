import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { launch, openPage } from './browser.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { decode, sampleBatch } from '../src/train/data.ts'
import { KJV_PENTATEUCH, splitBy } from '../src/train/corpus.ts'
import { kjvBytes } from '../src/train/testing.ts'
import { presets } from '../src/train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

describe('teach mode', () => {
  it('steps once at a time, explaining each step with the numbers of the live run', async () => {
    const config = defaultTrainConfig(presets.tiny, { steps: 5 })
    const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
    const trainer = Trainer.create(cpuBackend, config)
    const hashes = [(await trainer.trainStep(train)).stateHash, (await trainer.trainStep(train)).stateHash]
    const batch = (step: number) =>
      decode(
        sampleBatch(train, {
          seed: config.seed,
          step,
          batch: config.batch,
          seqLen: config.model.seqLen,
        }).inputs.subarray(0, config.model.seqLen),
      )

    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, `${baseUrl}?teach=1&preset=tiny&steps=5`)
    expect(await page.getByTestId('teach-toggle').isChecked()).toBe(true)
    await expect.poll(() => page.getByTestId('train-step-once').isEnabled(), { timeout: 60_000 }).toBe(true)
    for (const step of [1, 2]) {
      await page.getByTestId('train-step-once').click()
      await expect
        .poll(() => page.getByTestId('train-step').textContent(), { timeout: 60_000 })
        .toBe(String(step))
      await expect.poll(() => page.getByTestId('train-panel').getAttribute('data-status')).toBe('paused')
      expect(await page.getByTestId('state-hash').textContent()).toBe(hashes[step - 1])
      // The explanations quote this step's own batch and hash, not canned text.
      await expect.poll(() => page.getByTestId('teach-batch').textContent()).toBe(batch(step - 1))
      expect(await page.getByTestId('teach-hash').textContent()).toContain(hashes[step - 1])
      expect(await page.getByTestId('teach-step').textContent()).toContain(`Step ${step} read`)
    }
    expect(await page.getByTestId('teach-integers').textContent()).toContain('CPU reference')
    expect(await page.getByTestId('teach-receipt').textContent()).toContain('these 2 state hashes')
    // The claim is checked live: the two steps re-executed on the CPU reference, hash by hash.
    await page.getByTestId('teach-recheck').click()
    const recheck = page.getByTestId('teach-recheck-result')
    await expect.poll(() => recheck.getAttribute('data-ok'), { timeout: 60_000 }).toBe('true')
    expect(await recheck.textContent()).toContain(
      'Every state hash is equal, bit for bit, on the CPU reference.',
    )
    // Make a peer cheat: the lie is found where it was planted, and the liar named.
    await page.getByTestId('teach-cheat-run').click()
    const cheat = page.getByTestId('teach-cheat-result')
    await expect.poll(() => cheat.getAttribute('data-caught'), { timeout: 60_000 }).toBe('true')
    expect(await cheat.textContent()).toMatch(
      /Peer B changed one number in operation \d+ of step \d+\..*caught\./s,
    )
    await page.getByTestId('train-panel').screenshot({ path: 'artifacts/screenshots/teach.png' })
    expect(errors).toEqual([])
  }, 120_000)
})
