// The convolutional and int8 graphs as hostile files: 3,000 damaged copies of each run or fail with a
// named error (never a TypeError or a RangeError from deep in a kernel); and an inference receipt of an
// int8 model carries its integer outputs through the hash and verifies.
import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { BaseError } from '../errors/base.ts'
import { ShapeError } from '../errors/gpu.ts'
import { parseModel } from '../infer/model.ts'
import { runModel, toTensors } from '../infer/run.ts'
import {
  cnnModel,
  dynamicCnnModel,
  dynamicMlpModel,
  qdqMlpModel,
  qoperatorModel,
  rand,
} from '../infer/testing.ts'
import { createInferenceReceipt, validateInferenceReceipt, verifyInference } from '../receipts/inference.ts'
import { mulberry32 } from '../util/random.ts'

const graphs = [
  ['cnn', cnnModel(1), [1, 3, 8, 8]],
  ['dynamic MLP', dynamicMlpModel(), [4, 8]],
  ['QDQ MLP', qdqMlpModel(), [4, 8]],
  ['dynamic CNN', dynamicCnnModel(), [2, 3, 6, 6]],
  ['QOperator', qoperatorModel(), [2, 4, 7, 7]],
] as const

describe('convolutional and int8 graphs, damaged', () => {
  for (const [name, base, dims] of graphs)
    it(`${name}: 3,000 malformed files each run or fail with a clear error`, () => {
      const next = mulberry32(91)
      const n = (dims as readonly number[]).reduce((a, b) => a * b, 1)
      let clear = 0
      for (let i = 0; i < 3_000; i++) {
        // A copy: protobufjs hands Node a Buffer, whose slice() is a view of the original.
        const bytes = new Uint8Array(base.subarray(0, i % 7 === 0 ? next() % base.length : base.length))
        for (let k = 0; k < 1 + (next() % 4); k++) bytes[next() % bytes.length] = next() & 255
        try {
          const model = parseModel(bytes)
          runModel(model, toTensors(model, { x: { dims: [...dims], data: rand(n, i) } }))
        } catch (e) {
          if (!(e instanceof BaseError || e instanceof ShapeError))
            throw new Error(
              `mutation ${i}: unclear error ${e instanceof Error ? `${e.name}: ${e.message}` : e}`,
              {
                cause: e,
              },
            )
          clear++
        }
      }
      // Most damage is refused by name; the rest still runs (a changed weight, a renamed output).
      expect(clear).toBeGreaterThan(300)
      expect(clear).toBeLessThan(2_900)
    }, 120_000)
})

describe('an inference receipt of an int8 model', () => {
  it('hashes its uint8 and int32 outputs, verifies, and names a changed code', async () => {
    const model = dynamicMlpModel()
    const inputs = { x: { dims: [4, 8], data: rand(32, 3) } }
    const r = await createInferenceReceipt(model, inputs, {
      uri: 'https://example.invalid/mlp.onnx',
      account: privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
      target: { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
    })
    expect(r.body.outputs.xq.dtype).toBe('uint8')
    expect(r.body.outputs.acc1.dtype).toBe('int32')
    expect((await validateInferenceReceipt(r)).filter((c) => !c.ok)).toEqual([])
    expect(verifyInference(r, model)).toEqual([expect.objectContaining({ ok: true })])
    const lied = structuredClone(r)
    const codes = lied.body.outputs.xq.data as number[]
    codes[0] = (codes[0] + 1) % 256
    expect((await validateInferenceReceipt(lied)).filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'output hash',
      'receipt hash',
    ])
  })
})
