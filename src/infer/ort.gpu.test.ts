// The deterministic ONNX runtime against onnxruntime-web in the browser, on both of its execution
// providers: wasm (CPU) and WebGPU. ORT computes in plain f32 (and on the GPU with whatever fusing the
// driver does), so agreement is within a stated tolerance; our own output is exact and the same on every
// machine (run.test.ts checks it bit for bit against the training engine).
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { cpuBackend } from '../train/cpu.ts'
import { presets } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { parseModel } from './model.ts'
import { runModel, toTensors } from './run.ts'
import { rand, zooModel } from './testing.ts'

ort.env.wasm.numThreads = 1

const providers = ['wasm', 'webgpu'] as const

async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, ep: (typeof providers)[number]) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep] })
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

/** max |a − b| / (1 + |b|): relative for large values, absolute near zero. */
function worst(a: Float32Array, b: Float32Array): number {
  let w = 0
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])))
  return w
}

describe('onnxruntime-web cross-check (wasm and WebGPU execution providers)', () => {
  it('the exported GPT: logits within 2e-3 of ours on both providers', async () => {
    const cfg = { ...presets.tiny, seqLen: 16 }
    const trainer = Trainer.create(cpuBackend, defaultTrainConfig(cfg, { steps: 1, batch: 1 }))
    const bytes = exportOnnx(cfg, await trainer.weights())
    const ids = Array.from({ length: 16 }, (_, i) => 65 + ((i * 7) % 26))
    const model = parseModel(bytes)
    const ours = runModel(model, toTensors(model, { input_ids: { dims: [1, 16], data: ids } })).get('logits')!
    for (const ep of providers) {
      const theirs = await ortRun(
        bytes,
        { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 16]) },
        ep,
      )
      expect(theirs.logits.dims, ep).toEqual(ours.dims)
      // Softfloat transcendentals and bq15 matmuls vs ORT's f32: measured 1.3e-4 on both providers
      // (SwiftShader, 2026-11-30); 2e-3 leaves headroom for other adapters' fusing.
      expect(worst(ours.data as Float32Array, theirs.logits.data as Float32Array), ep).toBeLessThan(2e-3)
    }
    trainer.dispose()
  }, 120_000)

  it('the operator zoo (Gemm, activations, Pow, Div, LayerNorm, Softmax, reductions, shape ops) on both', async () => {
    const bytes = zooModel()
    const x = rand(24, 9)
    const model = parseModel(bytes)
    const ours = runModel(model, toTensors(model, { x: { dims: [4, 6], data: x } }))
    for (const ep of providers) {
      const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), [4, 6]) }, ep)
      for (const name of ['flat', 's2']) {
        expect(theirs[name].dims, `${ep} ${name}`).toEqual(ours.get(name)!.dims)
        expect(
          worst(ours.get(name)!.data as Float32Array, theirs[name].data as Float32Array),
          `${ep} ${name}`,
        ).toBeLessThan(1e-3)
      }
    }
  }, 120_000)
})
