// The ONNX runtime on the GPU kernels gives the CPU runtime's outputs bit for bit, with the heavy nodes
// (MatMul, Softmax, LayerNormalization, elementwise) placed on the GPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { cpuBackend } from '../train/cpu.ts'
import { presets } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { expectBitsEqual } from '../kernels/testing.ts'
import { runModelGpu } from './gpu.ts'
import { parseModel, type Tensor } from './model.ts'
import { runModel, toTensors } from './run.ts'
import { rand, zooModel } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const floats = (t: Tensor) => t.data as Float32Array

describe('the ONNX runtime on the GPU kernels', () => {
  it('runs the exported GPT with the CPU runtime’s logits, bit for bit', async () => {
    const cfg = { ...presets.tiny, seqLen: 16 }
    const trainer = Trainer.create(cpuBackend, defaultTrainConfig(cfg, { steps: 1, batch: 1 }))
    const model = parseModel(exportOnnx(cfg, await trainer.weights()))
    const ids = Array.from({ length: 16 }, (_, i) => 65 + ((i * 5) % 26))
    const inputs = toTensors(model, { input_ids: { dims: [1, 16], data: ids } })
    const { outputs, placement } = await runModelGpu(model, inputs, gpu)
    expectBitsEqual(floats(outputs.get('logits')!), floats(runModel(model, inputs).get('logits')!))
    expect(placement.gpu.MatMul).toBeGreaterThan(0)
    expect(placement.gpu.Softmax).toBeGreaterThan(0)
    expect(placement.gpu.LayerNormalization).toBeGreaterThan(0)
    trainer.dispose()
  }, 300_000)

  it('runs the operator zoo with the CPU runtime’s outputs, bit for bit', async () => {
    const model = parseModel(zooModel())
    const inputs = toTensors(model, { x: { dims: [4, 6], data: rand(24, 9) } })
    const { outputs, placement } = await runModelGpu(model, inputs, gpu)
    const cpu = runModel(model, inputs)
    for (const name of ['flat', 's2']) expectBitsEqual(floats(outputs.get(name)!), floats(cpu.get(name)!))
    expect(Object.keys(placement.gpu).sort()).toEqual(
      expect.arrayContaining(['LayerNormalization', 'Relu', 'Sigmoid', 'Sqrt', 'Sub', 'Tanh']),
    )
  }, 120_000)
})
