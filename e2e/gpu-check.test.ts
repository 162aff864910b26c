import { afterAll, describe, expect, inject, it } from 'vitest'
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { launch, openPage, screenshot } from './browser.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

describe('GPU check page', () => {
  it('shows the adapter report and a bit-exact self-test on a WebGPU browser', async () => {
    const browser = await launch()
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/train')

    const status = page.getByTestId('gpu-status')
    await expect.poll(() => status.getAttribute('data-ok'), { timeout: 60_000 }).toBe('true')
    expect(await page.getByTestId('adapter-name').textContent()).toMatch(/\S/)
    expect(await page.getByTestId('selftest-verdict').getAttribute('data-match')).toBe('true')
    expect(await page.getByTestId('selftest-hash').textContent()).toMatch(/^[0-9a-f]{64}$/)
    for (const f of ['shader-f16', 'subgroups', 'timestamp-query']) {
      expect(['true', 'false']).toContain(await page.getByTestId(`feature-${f}`).getAttribute('data-present'))
    }
    // SwiftShader in Chromium offers the packed dot product; the page must report it.
    expect(await page.getByTestId('wgsl-packed_4x8_integer_dot_product').getAttribute('data-present')).toBe(
      'true',
    )
    expect(await page.getByTestId('gpu-limits').textContent()).toContain('maxStorageBufferBindingSize')

    expect(existsSync(await screenshot(page, 'gpu-check'))).toBe(true)
    expect(errors).toEqual([])
  })

  it('explains plainly what still works when the browser has no WebGPU', async () => {
    const browser = await launch({ webgpu: false })
    browsers.push(browser)
    const { page, errors } = await openPage(browser, baseUrl + '#/train')

    const status = page.getByTestId('gpu-status')
    await expect.poll(() => status.getAttribute('data-ok'), { timeout: 60_000 }).toBe('false')
    const text = await status.textContent()
    expect(text).toContain('No GPU training in this browser')
    expect(text).toMatch(/verifying receipts/)
    expect(text).toMatch(/CPU reference/)
    await screenshot(page, 'gpu-check-no-webgpu')
    expect(errors).toEqual([])
  })
})
