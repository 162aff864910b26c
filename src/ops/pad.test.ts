// Pad against onnxruntime-node, bit for bit: every mode, negative pads, the axes input, a constant,
// float and int8 data.
import ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { parseModel } from '../infer/model.ts'
import { runModel, toTensors } from '../infer/run.ts'
import { rand, typedModel } from '../infer/testing.ts'

type Case = { mode: string; pads: number[]; axes?: number[]; value?: number; opset?: number }

async function both(c: Case, type: 'float' | 'int8') {
  const inits: NonNullable<Parameters<typeof typedModel>[0]['inits']> = {
    pads: { type: 'int64', dims: [c.pads.length], data: c.pads },
  }
  if (c.axes) inits.axes = { type: 'int64', dims: [c.axes.length], data: c.axes }
  if (c.value !== undefined) inits.v = { type, dims: [], data: [c.value] }
  const bytes = typedModel({
    opset: c.opset ?? 19,
    inputs: { x: { type, dims: [2, 3, 4] } },
    inits,
    nodes: [
      [
        'Pad',
        ['x', 'pads', c.value === undefined ? '' : 'v', ...(c.axes ? ['axes'] : [])],
        ['y'],
        { mode: c.mode },
      ],
    ],
    outputs: ['y'],
  })
  const x = type === 'float' ? rand(24, 1) : Array.from({ length: 24 }, (_, i) => i * 11 - 128)
  const model = parseModel(bytes)
  const ours = runModel(model, toTensors(model, { x: { dims: [2, 3, 4], data: x } })).get('y')!
  const data = type === 'float' ? Float32Array.from(x) : Int8Array.from(x)
  const session = await ort.InferenceSession.create(bytes)
  const feeds = { x: new ort.Tensor(type === 'float' ? 'float32' : 'int8', data, [2, 3, 4]) }
  const theirs = (await session.run(feeds)).y
  await session.release()
  expect(ours.dims, JSON.stringify(c)).toEqual(theirs.dims.map(Number))
  const bits = (d: ArrayLike<number>) =>
    Array.from(type === 'float' ? new Uint32Array(Float32Array.from(d).buffer) : d)
  expect(bits(ours.data as ArrayLike<number>), JSON.stringify(c)).toEqual(
    bits(theirs.data as ArrayLike<number>),
  )
}

describe('Pad against onnxruntime-node', () => {
  const cases: Case[] = [
    { mode: 'constant', pads: [0, 1, 2, 1, 0, 3] },
    { mode: 'constant', pads: [0, 1, 2, 1, 0, 3], value: 5 },
    { mode: 'constant', pads: [0, -1, 1, 0, 2, -2] },
    { mode: 'edge', pads: [1, 2, 0, 0, 1, 3] },
    { mode: 'reflect', pads: [1, 2, 3, 1, 1, 2] },
    { mode: 'wrap', pads: [0, 3, 4, 1, 0, 2] },
    { mode: 'constant', pads: [1, 2, 3, 4], axes: [-1, 1], value: -7, opset: 18 },
  ]
  it('float and int8, every mode, bit for bit', async () => {
    for (const c of cases) for (const type of ['float', 'int8'] as const) await both(c, type)
  })

  it('refuses what onnxruntime refuses, and modes it does not know', () => {
    const refused = (c: Case) => () => both(c, 'float')
    return Promise.all([
      expect(refused({ mode: 'reflect', pads: [0, 0, 4, 0, 0, 0] })()).rejects.toThrow(
        /Pad n0: reflect pads of axis 2/,
      ),
      expect(refused({ mode: 'constant', pads: [0, 0, -5, 0, 0, 0] })()).rejects.toThrow(/Pad n0: pads crop/),
      expect(refused({ mode: 'mirror', pads: [0, 0, 0, 0, 0, 0] })()).rejects.toThrow(
        /Pad n0: mode "mirror"/,
      ),
      expect(refused({ mode: 'wrap', pads: [0, 0, 1, 0, 0, 0], opset: 18 })()).rejects.toThrow(
        /needs opset 19/,
      ),
    ])
  })
})
