// The test graphs on the GPU runtime give the CPU reference's outputs bit for bit, over a prefill and a
// decode step on the KV cache, with the heavy nodes (MatMul by weights, Softmax, elementwise, Erf, the
// broadcast mask arithmetic and Where) on the GPU and the shape, index and mask-building nodes on the CPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../../gpu/runtime.ts'
import { expectBitsEqual } from '../../kernels/testing.ts'
import { setGpuMinElements } from '../../ops/onnx.ts'
import { runModelGpu } from '../gpu.ts'
import { parseModel, type Tensor } from '../model.ts'
import { runModel } from '../run.ts'
import { bertEncoder } from './bert.ts'
import { GPT2_TINY, gpt2Decoder } from './gpt2.ts'
import { LLAMA_TINY, llamaDecoder } from './llama.ts'
import { decoderFeeds, gpt2Layout, int64, llamaLayout, nextCache } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
  // The graphs are tiny: place every broadcast on the GPU so the strided kernel runs in them too.
  setGpuMinElements(0)
})
afterAll(() => {
  setGpuMinElements(1024)
  gpu?.destroy()
})

function expectSame(gpuOut: Map<string, Tensor>, cpuOut: Map<string, Tensor>) {
  expect([...gpuOut.keys()].sort()).toEqual([...cpuOut.keys()].sort())
  for (const [name, t] of cpuOut) {
    expect(gpuOut.get(name)!.dims, name).toEqual(t.dims)
    expectBitsEqual(gpuOut.get(name)!.data as Float32Array, t.data as Float32Array, name)
  }
}

async function decodeBoth(bytes: Uint8Array, layout: Parameters<typeof decoderFeeds>[2]) {
  const model = parseModel(bytes)
  let cache = new Map<string, Tensor>()
  const placed: Record<string, number> = {}
  for (const ids of [[3, 7, 11, 2], [9]]) {
    const feeds = decoderFeeds(ids, cache, layout)
    const cpu = runModel(model, feeds)
    const { outputs, placement } = await runModelGpu(model, feeds, gpu)
    expectSame(outputs, cpu)
    Object.assign(placed, placement.gpu)
    cache = nextCache(cpu)
  }
  return placed
}

describe('test graphs on the GPU runtime', () => {
  it('GPT-2 decoder, prefill and a decode step', async () => {
    const placed = await decodeBoth(gpt2Decoder(), gpt2Layout(GPT2_TINY))
    expect(placed.Tanh).toBeGreaterThan(0)
    // the causal Where over the scores and the padding mask's Add, broadcast
    expect(placed.Where).toBe(GPT2_TINY.nLayer)
    // the dense layers' bias Adds ([1, s, n] + [n]) run on the GPU's bias form
    expect(placed.Add).toBeGreaterThanOrEqual(4 * GPT2_TINY.nLayer)
  }, 300_000)

  it('LLaMA decoder (Sin, Cos on the GPU), prefill and a decode step', async () => {
    const placed = await decodeBoth(llamaDecoder(), llamaLayout(LLAMA_TINY))
    expect(placed.Sin).toBe(1)
    expect(placed.Where).toBe(1)
    expect(placed.Cos).toBe(1)
  }, 300_000)

  it('BERT encoder (Erf on the GPU)', async () => {
    const model = parseModel(bertEncoder())
    const feeds = new Map([
      ['input_ids', int64([1, 6], [1, 5, 9, 33, 2, 0])],
      ['attention_mask', int64([1, 6], [1, 1, 1, 1, 1, 0])],
      ['token_type_ids', int64([1, 6], [0, 0, 0, 1, 1, 1])],
    ])
    const { outputs, placement } = await runModelGpu(model, feeds, gpu)
    expectSame(outputs, runModel(model, feeds))
    expect(placement.gpu.Erf).toBe(2)
    expect(placement.gpu.MatMul).toBeGreaterThan(0)
  }, 300_000)
})
