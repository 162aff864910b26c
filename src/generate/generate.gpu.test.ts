// Generation on the GPU kernels gives the CPU references' tokens: a receipt made on one verifies on the
// other, token by token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { Gpu } from '../gpu/runtime.ts'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportDecoderOnnx } from '../train/onnxDecoder.ts'
import { parseModel } from '../infer/model.ts'
import { runModel } from '../infer/run.ts'
import { runModelGpu } from '../infer/gpu.ts'
import { expectBitsEqual } from '../kernels/testing.ts'
import { createGenerationReceipt, verifyGeneration } from '../receipts/generation.ts'
import { TEST_TARGET } from '../receipts/testing.ts'
import { decoderLayout, stepInputs } from './decoder.ts'
import { gpuRunner } from './gpu.ts'
import { generationParams } from './params.ts'
import { byteTokenizer } from './tokenizer.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const cfg: GptConfig = { vocab: 256, seqLen: 16, dModel: 16, nLayer: 1, nHead: 2 }
const bytes = exportDecoderOnnx(cfg, initParams(cfg, 3))
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')

describe('generation on the GPU kernels', () => {
  it('prefill and a cached step give the CPU references’ logits and cache, bit for bit', async () => {
    const model = parseModel(bytes)
    const layout = decoderLayout(model)
    const prefill = stepInputs(layout, [65, 110, 100], 0, null)
    const cpu = runModel(model, prefill)
    const { outputs, placement } = await runModelGpu(model, prefill, gpu)
    for (const name of ['logits', 'present.0.key', 'present.0.value'])
      expectBitsEqual(outputs.get(name)!.data as Float32Array, cpu.get(name)!.data as Float32Array)
    expect(placement.gpu.MatMul).toBeGreaterThan(0)
    const step = stepInputs(layout, [32], 3, cpu)
    const gpuStep = await runModelGpu(model, step, gpu)
    expectBitsEqual(
      gpuStep.outputs.get('logits')!.data as Float32Array,
      runModel(model, step).get('logits')!.data as Float32Array,
    )
  }, 300_000)

  it('a receipt sampled on the CPU re-generates on the GPU, every token matching', async () => {
    const params = generationParams({ max_tokens: 4, temperature: 0.9, top_k: 20, seed: 5 })
    const r = await createGenerationReceipt(bytes, byteTokenizer, 'And', params, {
      uri: 'https://example.invalid/d.onnx',
      account,
      target: TEST_TARGET,
    })
    const matched: boolean[] = []
    const checks = await verifyGeneration(r, {
      model: bytes,
      runner: gpuRunner(gpu),
      onToken: (t) => matched.push(t.match),
    })
    expect(checks).toEqual([expect.objectContaining({ ok: true })])
    expect(matched).toEqual([true, true, true, true])
  }, 300_000)
})
