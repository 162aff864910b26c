// Spot checks in the page: a producer in Node (`lockstep train --checkpoints`) publishes a receipt and
// checkpoints; a browser with no WebGPU re-runs three drawn steps from them, and refuses a checkpoint
// that does not hash to the committed state.
import { afterAll, describe, expect, inject, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { launch, openPage } from './browser.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(() => Promise.all(browsers.map((b) => b.close())))

describe('spot checks from published checkpoints', () => {
  it('re-runs drawn steps from the checkpoints, and fails on a checkpoint that does not match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-spot-'))
    const receipt = join(dir, 'receipt.json')
    const ckpts = join(dir, 'ck')
    const made = spawnSync(
      process.execPath,
      [
        'bin/lockstep.mjs',
        'train',
        '--out',
        receipt,
        '--steps',
        '8',
        '--batch',
        '2',
        '--checkpoints',
        ckpts,
        '--every',
        '2',
      ],
      { encoding: 'utf8', env: { ...process.env, LOCKSTEP_KEY: `0x${'11'.repeat(32)}` } },
    )
    expect(made.status, made.stderr).toBe(0)
    const files = readdirSync(ckpts).map((f) => join(ckpts, f))
    expect(files).toHaveLength(5)

    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/verify')
    await page.getByTestId('verify-input').fill(readFileSync(receipt, 'utf8'))
    await page.getByTestId('verify-checkpoints').setInputFiles(files)
    await page.getByTestId('verify-run').click()
    const verdict = page.getByTestId('verify-verdict')
    await verdict.waitFor({ timeout: 120_000 })
    expect(await verdict.getAttribute('data-ok')).toBe('true')
    expect(await page.getByTestId('check-re-execution').textContent()).toMatch(
      /spot check of steps \d+, \d+, \d+ \(seed 0x[0-9a-f]{64}\): 3 sampled steps equal, bit for bit/,
    )

    // Only the start checkpoint, one bit flipped: every draw starts from it, and it is refused.
    const bad = join(dir, 'step-0.lscp')
    const bytes = readFileSync(join(ckpts, 'step-0.lscp'))
    bytes[bytes.length - 1] ^= 1
    writeFileSync(bad, bytes)
    await page.getByTestId('verify-checkpoints').setInputFiles([bad])
    await page.getByTestId('verify-run').click()
    await expect.poll(() => verdict.getAttribute('data-ok'), { timeout: 120_000 }).toBe('false')
    expect(await page.getByTestId('check-re-execution').textContent()).toMatch(
      /the checkpoint after step 0 hashes to 0x[0-9a-f]+, not the committed/,
    )
    expect(errors).toEqual([])
  }, 300_000)
})
