import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import onnxProto from 'onnx-proto'

// onnx-proto is CommonJS: its default export holds the namespace in Node's ESM and in Vite alike.
const pb = onnxProto.onnx
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { kjvBytes } from '../train/testing.ts'
import { gptLogits, paramSpecs, type GptConfig } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { Tape } from '../train/autograd.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { BaseError } from '../errors/base.ts'
import { ShapeError } from '../errors/gpu.ts'
import { parseModel } from './model.ts'
import { runModel, toTensors } from './run.ts'
import { rand, zooModel } from './testing.ts'
import { mulberry32 } from '../util/random.ts'

ort.env.wasm.numThreads = 1
const F = pb.TensorProto.DataType.FLOAT

async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] })
  return session.run(feeds)
}

describe('the deterministic ONNX runtime', () => {
  it('runs the exported GPT with the engine logits, bit for bit, and near onnxruntime-web', async () => {
    const cfg: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 2, nHead: 2 }
    const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
    const trainer = Trainer.create(cpuBackend, defaultTrainConfig(cfg, { steps: 5, batch: 2 }))
    for (let i = 0; i < 3; i++) await trainer.trainStep(train)
    const weights = await trainer.weights()
    const bytes = exportOnnx(cfg, weights)
    const ids = Array.from({ length: 16 }, (_, i) => train[500 + i])
    const model = parseModel(bytes)
    const ours = runModel(model, toTensors(model, { input_ids: { dims: [2, 8], data: ids } })).get('logits')!
    expect(ours.dims).toEqual([2, 8, 256])

    const tape = new Tape(cpuBackend)
    const params = new Map(
      paramSpecs(cfg).map((s) => [s.name, cpuBackend.upload(weights.get(s.name)!, s.shape)]),
    )
    const engine = (await gptLogits(tape, params, cfg, Int32Array.from(ids))).data
    expect(new Uint32Array((ours.data as Float32Array).buffer)).toEqual(new Uint32Array(engine.buffer))

    const theirs = (
      await ortRun(bytes, { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [2, 8]) })
    ).logits.data as Float32Array
    const scale = Math.max(...engine.map(Math.abs))
    expect(Math.max(...engine.map((v, i) => Math.abs(v - theirs[i]))) / scale).toBeLessThan(2e-3)
  })

  it('agrees with onnxruntime-web on Gemm, activations, Pow, Div, LayerNorm, Softmax, reductions and shape ops', async () => {
    const bytes = zooModel()
    const x = rand(24, 9)
    const model = parseModel(bytes)
    const ours = runModel(model, toTensors(model, { x: { dims: [4, 6], data: x } }))
    const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), [4, 6]) })
    for (const name of ['flat', 's2']) {
      const a = ours.get(name)!
      const b = theirs[name]
      expect(a.dims, name).toEqual(b.dims)
      const bd = b.data as Float32Array
      // f32 arithmetic in ORT vs correctly rounded softfloat and bq15 Gemm (~2^-14 relative).
      ;(a.data as Float32Array).forEach((v, i) =>
        expect(Math.abs(v - bd[i]), `${name}[${i}]`).toBeLessThan(1e-3 * (1 + Math.abs(bd[i]))),
      )
    }
  })

  it('refuses what it cannot run, naming the operator, opset or input', () => {
    const model = (opType: string, version = 18) =>
      pb.ModelProto.encode({
        irVersion: 9,
        opsetImport: [{ domain: '', version }],
        graph: {
          name: 'g',
          node: [{ opType, input: ['x'], output: ['y'] }],
          input: [{ name: 'x', type: { tensorType: { elemType: F, shape: { dim: [{ dimValue: 2 }] } } } }],
          output: [{ name: 'y' }],
        },
      }).finish()
    expect(() => parseModel(model('LSTM'))).toThrow(/Operator LSTM \(node .*\) is not supported/)
    expect(() => parseModel(model('Relu', 9))).toThrow(/opset 9 is not supported/)
    expect(() => parseModel(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not an ONNX model/)
    const m = parseModel(model('Relu'))
    expect(() => toTensors(m, {})).toThrow(/Input "x" is missing/)
    expect(() => toTensors(m, { x: { dims: [3], data: [1, 2, 3] } })).toThrow(/do not fit the model's \[2\]/)
  })

  it('survives 10,000 malformed ONNX files: every one runs or fails with a clear error', () => {
    const base = zooModel()
    const next = mulberry32(77)
    let clear = 0
    for (let i = 0; i < 10_000; i++) {
      // A copy: zooModel's bytes are a Node Buffer, whose slice is a view (mutations would pile up).
      const bytes = Uint8Array.prototype.slice.call(base, 0, i % 7 === 0 ? next() % base.length : base.length)
      for (let k = 0; k < 1 + (next() % 4); k++) bytes[next() % bytes.length] = next() & 255
      try {
        const model = parseModel(bytes)
        runModel(model, toTensors(model, { x: { dims: [4, 6], data: rand(24, i) } }))
      } catch (e) {
        if (!(e instanceof BaseError || e instanceof ShapeError))
          throw new Error(
            `mutation ${i}: unclear error ${e instanceof Error ? `${e.name}: ${e.message}` : e}`,
            { cause: e },
          )
        clear++
      }
    }
    expect(clear).toBeGreaterThan(1000)
  }, 120_000)
})
