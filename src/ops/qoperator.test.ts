// The QOperator format (QLinearMatMul, QLinearConv) against onnxruntime-node: the quantised outputs
// bit for bit, per-tensor and per-channel weight scales, an int32 bias, a grouped strided Conv.
import ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { parseModel } from '../infer/model.ts'
import { runModel, toTensors } from '../infer/run.ts'
import { qoperatorModel, rand, randInts, typedModel } from '../infer/testing.ts'

const list = (t: { data: unknown }) => Array.from(t.data as ArrayLike<number>)

describe('QOperator int8 operators against onnxruntime-node', () => {
  it('QLinearConv (grouped, per-channel, bias) and QLinearMatMul: every code bit for bit', async () => {
    const bytes = qoperatorModel()
    const model = parseModel(bytes)
    for (const seed of [1, 2, 3]) {
      const x = rand(392, seed)
      const ours = runModel(model, toTensors(model, { x: { dims: [2, 4, 7, 7], data: x } }))
      for (const level of ['disabled', 'all'] as const) {
        const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level })
        const theirs = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [2, 4, 7, 7]) })
        await session.release()
        for (const name of ['h1', 'h2', 'yq', 'y']) {
          expect(ours.get(name)!.dims, name).toEqual(theirs[name].dims.map(Number))
          expect(list(ours.get(name)!), `${level} ${name}`).toEqual(list(theirs[name]))
        }
      }
    }
  })

  it('MaxPool on int8 and uint8 codes (the QOperator format pools them directly), bit for bit', async () => {
    for (const type of ['int8', 'uint8'] as const) {
      const bytes = typedModel({
        inputs: { x: { type, dims: [1, 3, 6, 7] } },
        nodes: [['MaxPool', ['x'], ['y'], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] }]],
        outputs: ['y'],
      })
      const x = randInts(126, type === 'int8' ? -128 : 0, type === 'int8' ? 127 : 255, 5)
      const model = parseModel(bytes)
      const ours = runModel(model, toTensors(model, { x: { dims: [1, 3, 6, 7], data: x } })).get('y')!
      const data = type === 'int8' ? Int8Array.from(x) : Uint8Array.from(x)
      const session = await ort.InferenceSession.create(bytes)
      const theirs = (await session.run({ x: new ort.Tensor(type, data, [1, 3, 6, 7]) })).y
      await session.release()
      expect(ours.type).toBe(type)
      expect([ours.dims, list(ours)]).toEqual([theirs.dims.map(Number), list(theirs)])
    }
  })
})
