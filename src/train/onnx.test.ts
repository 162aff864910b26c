import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import onnxProto from 'onnx-proto'

// onnx-proto is CommonJS: its default export holds the namespace in Node's ESM and in Vite alike.
const pb = onnxProto.onnx
import { cpuBackend } from './cpu.ts'
import { KJV_PENTATEUCH, splitBy } from './corpus.ts'
import { kjvBytes } from './testing.ts'
import { gptLogits, paramSpecs, type GptConfig } from './gpt.ts'
import { exportOnnx } from './onnx.ts'
import { Tape } from './autograd.ts'
import { Trainer, defaultTrainConfig } from './trainer.ts'

const cfg: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 2, nHead: 2 }

describe('ONNX export', () => {
  it('runs in onnxruntime-web and gives the engine logits to f32 accuracy', async () => {
    const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
    const trainer = Trainer.create(cpuBackend, defaultTrainConfig(cfg, { steps: 10, batch: 2 }))
    for (let i = 0; i < 5; i++) await trainer.trainStep(train) // trained weights, not the init
    const weights = new Map(
      (await trainer.tensors()).filter((t) => !/^[mv]\./.test(t.name)).map((t) => [t.name, t.data]),
    )
    const bytes = exportOnnx(cfg, weights, { metadata: { 'lockstep.stateHash': await trainer.stateHash() } })

    const decoded = pb.ModelProto.decode(bytes)
    expect(decoded.metadataProps.find((p) => p.key === 'lockstep.stateHash')?.value).toMatch(
      /^0x[0-9a-f]{64}$/,
    )

    ort.env.wasm.numThreads = 1
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] })
    const ids = Int32Array.from({ length: 2 * cfg.seqLen }, (_, i) => train[1000 + i])
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [2, cfg.seqLen]),
    })
    const theirs = out.logits.data as Float32Array
    expect(out.logits.dims).toEqual([2, cfg.seqLen, cfg.vocab])

    const tape = new Tape(cpuBackend)
    const params = new Map(
      paramSpecs(cfg).map((s) => [s.name, cpuBackend.upload(weights.get(s.name)!, s.shape)]),
    )
    const ours = (await gptLogits(tape, params, cfg, ids)).data
    let worst = 0
    let scale = 0
    ours.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - theirs[i]))
      scale = Math.max(scale, Math.abs(v))
    })
    // ORT computes in plain f32 (fused, reordered); ours carries bq15 matmul rounding (~2^-14 relative).
    console.log(`ONNX export: worst |Δlogit| / max |logit| = ${(worst / scale).toExponential(2)}`)
    expect(worst / scale).toBeLessThan(2e-3)
    expect(worst).toBeGreaterThan(0) // different arithmetic: equal bits would mean the test compares nothing
  })
})
