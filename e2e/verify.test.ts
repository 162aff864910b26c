import { afterAll, describe, expect, inject, it } from 'vitest'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { createHash } from 'node:crypto'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Browser, Page } from 'playwright-core'
import { launch, openPage, screenshot } from './browser.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { splitCorpus } from '../src/train/data.ts'
import { Trainer, defaultTrainConfig } from '../src/train/trainer.ts'
import { kernelsHash } from '../src/receipts/kernels.ts'
import { signTrainingReceipt, trainingReceiptBody, type TrainingReceipt } from '../src/receipts/training.ts'
import { createInferenceReceipt } from '../src/receipts/inference.ts'
import { exportOnnx } from '../src/train/onnx.ts'
import { initParams } from '../src/train/gpt.ts'
import { shareHash } from '../src/state/verify.svelte.ts'

const baseUrl = inject('baseUrl')
const browsers: Browser[] = []
afterAll(async () => Promise.all(browsers.map((b) => b.close())))

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }
const model = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }

/** A training receipt made in Node on the CPU reference. */
async function nodeReceipt(): Promise<TrainingReceipt> {
  const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
  const config = defaultTrainConfig(model, { steps: 3, batch: 2 })
  const trainer = Trainer.create(cpuBackend, config)
  const start = await trainer.stateHash()
  const hashes: Hex[] = []
  for (let i = 0; i < 3; i++) hashes.push((await trainer.trainStep(splitCorpus(corpus).train)).stateHash)
  const body = trainingReceiptBody({
    runId: 'made-in-node',
    config,
    data: {
      name: 'kjv-pentateuch',
      sha256: createHash('sha256').update(corpus).digest('hex'),
      split: 'train',
      valFraction: 0.1,
    },
    startStep: 0,
    endStep: 3,
    startStateHash: start,
    stepHashes: hashes,
    kernelsHash: kernelsHash(),
    producer: account.address,
  })
  return signTrainingReceipt(body, account, target)
}

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
