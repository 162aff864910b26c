// The CNN and the int8 MLPs on the GPU runtime give the CPU reference's outputs bit for bit: Conv's
// product on the matmul kernel, GlobalAveragePool on the reduce kernel, MatMul of the QDQ graph on
// the matmul kernel; the integer operators run on the CPU references in both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { runModelGpu } from '../infer/gpu.ts'
import { parseModel, type Tensor } from '../infer/model.ts'
import { runModel, toTensors } from '../infer/run.ts'
import {
  cnnModel,
  dynamicCnnModel,
  dynamicMlpModel,
  qdqMlpModel,
  qoperatorModel,
  rand,
} from '../infer/testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

/** Each output's type, dims and bits (f32 as their bit patterns). */
const bits = (t: Tensor) => ({
  type: t.type,
  dims: t.dims,
  data: Array.from(t.type === 'float' ? new Uint32Array(t.data.buffer) : (t.data as ArrayLike<number>)),
})

async function both(bytes: Uint8Array, dims: number[], seed: number) {
  const model = parseModel(bytes)
  const x = rand(
    dims.reduce((a, b) => a * b, 1),
    seed,
  )
  const inputs = toTensors(model, { x: { dims, data: x } })
  const { outputs, placement } = await runModelGpu(model, inputs, gpu)
  const cpu = runModel(model, inputs)
  for (const name of model.outputs) expect(bits(outputs.get(name)!), name).toEqual(bits(cpu.get(name)!))
  return placement
}

describe('convolutional and int8 graphs on the GPU runtime', () => {
  it('the small CNN: every output bit for bit, Conv and GlobalAveragePool on the GPU', async () => {
    const placement = await both(cnnModel(), [2, 3, 8, 8], 3)
    expect(placement.gpu.Conv).toBe(2)
    expect(placement.gpu.GlobalAveragePool).toBe(1)
  }, 300_000)

  it('the dynamic-quantisation CNN and MLP, the QDQ MLP and the QOperator graph: every output bit for bit', async () => {
    expect((await both(dynamicCnnModel(), [2, 3, 6, 6], 4)).gpu.ConvInteger).toBe(2)
    await both(dynamicMlpModel(), [4, 8], 5)
    const placement = await both(qdqMlpModel(), [4, 8], 6)
    expect((await both(dynamicMlpModel(), [4, 8], 7)).gpu.MatMulInteger).toBe(2)
    const q = await both(qoperatorModel(), [2, 4, 7, 7], 8)
    expect([q.gpu.QLinearConv, q.gpu.QLinearMatMul]).toEqual([2, 1])
    expect(placement.gpu.MatMul).toBe(2)
  }, 300_000)
})
