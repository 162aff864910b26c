// Finding 9 of issue 15: nodes whose shapes do not fit ran anyway (MatMul [1,4]·[3,2] read past its
// operand as zeros). Each graph here is refused by onnxruntime-web, and must be refused by this runtime
// with OnnxShapeError before any kernel runs; the valid ones give onnxruntime's output dims.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { parseModel } from './model.ts'
import { runModel, toTensors } from './run.ts'
import { graphModel } from './testing.ts'

ort.env.wasm.numThreads = 1
type Spec = Parameters<typeof graphModel>[0]
const fill = (dims: number[]) => Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i / 8)

async function both(spec: Spec) {
  const bytes = graphModel(spec)
  let ours: { dims: number[] } | Error
  try {
    const model = parseModel(bytes)
    const feeds = Object.fromEntries(
      Object.entries(spec.inputs).map(([k, d]) => [k, { dims: d, data: fill(d) }]),
    )
    ours = runModel(model, toTensors(model, feeds)).get(spec.outputs[0])!
  } catch (e) {
    ours = e as Error
  }
  let theirs: { dims: readonly number[] } | Error
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] })
    const feeds = Object.fromEntries(
      Object.entries(spec.inputs).map(([k, d]) => [
        k,
        new ort.Tensor('float32', Float32Array.from(fill(d)), d),
      ]),
    )
    theirs = (await session.run(feeds))[spec.outputs[0]]
  } catch (e) {
    theirs = e as Error
  }
  return { ours, theirs }
}

const one = (
  op: string,
  inputs: Record<string, number[]>,
  attrs?: Record<string, number | number[]>,
  extra: Partial<Spec> = {},
): Spec => ({
  nodes: [
    [
      op,
      [...Object.keys(inputs), ...Object.keys(extra.ints ?? {}), ...Object.keys(extra.floats ?? {})],
      ['y'],
      attrs,
    ],
  ],
  inputs,
  outputs: ['y'],
  ...extra,
})

const refused: [string, Spec][] = [
  ['MatMul [1,4]·[3,2]', one('MatMul', { a: [1, 4], b: [3, 2] })],
  ['MatMul [2,3,4]·[2,5,2]', one('MatMul', { a: [2, 3, 4], b: [2, 5, 2] })],
  ['Gemm [2,3]·[4,5]', one('Gemm', { a: [2, 3], b: [4, 5] })],
  ['Gemm C [3,5] for [2,5]', one('Gemm', { a: [2, 3], b: [3, 5], c: [3, 5] })],
  ['Add [2,3] + [4,3]', one('Add', { a: [2, 3], b: [4, 3] })],
  ['Concat axis 1 of rank 1', one('Concat', { a: [2], b: [2] }, { axis: 1 })],
  ['Concat [2,3] and [2,4] on axis 0', one('Concat', { a: [2, 3], b: [2, 4] }, { axis: 0 })],
  ['Concat rank 2 and rank 1', one('Concat', { a: [2, 3], b: [3] }, { axis: 0 })],
  ['Squeeze axis 5 of rank 2', one('Squeeze', { a: [1, 3] }, undefined, { ints: { axes: [5] } })],
  ['Squeeze an axis of size 3', one('Squeeze', { a: [1, 3] }, undefined, { ints: { axes: [1] } })],
  ['Unsqueeze axis 3 into rank 2', one('Unsqueeze', { a: [3] }, undefined, { ints: { axes: [3] } })],
  ['Unsqueeze one axis twice', one('Unsqueeze', { a: [3] }, undefined, { ints: { axes: [0, 0] } })],
  ['Transpose perm [0,0]', one('Transpose', { a: [2, 3] }, { perm: [0, 0] })],
  ['Flatten axis 3 of rank 2', one('Flatten', { a: [2, 3] }, { axis: 3 })],
  ['Reshape [1] to [-1,-1]', one('Reshape', { a: [1] }, undefined, { ints: { shape: [-1, -1] } })],
  ['Softmax axis 2 of rank 2', one('Softmax', { a: [2, 3] }, { axis: 2 })],
  ['ReduceSum axis 2 of rank 2', one('ReduceSum', { a: [2, 3] }, undefined, { ints: { axes: [2] } })],
  [
    'Split [4] into 1 + 2',
    { nodes: [['Split', ['a', 's'], ['y', 'z']]], inputs: { a: [4] }, outputs: ['y'], ints: { s: [1, 2] } },
  ],
  ['Gather index 5 of 3', one('Gather', { a: [3, 2] }, undefined, { ints: { i: [5] } })],
  ['LayerNormalization scale 3 for 4', one('LayerNormalization', { a: [2, 4], g: [3] })],
]

describe('shape validation, as onnxruntime does it', () => {
  it.each(refused)('refuses %s by name, as onnxruntime does', async (_, spec) => {
    const { ours, theirs } = await both(spec)
    expect(theirs, 'onnxruntime-web refuses it').toBeInstanceOf(Error)
    expect(ours).toBeInstanceOf(Error)
    expect((ours as Error).name).toBe('OnnxShapeError')
  })

  it.each([
    [
      'Pow [3] ^ [1,1] is [1,3]',
      one('Pow', { a: [3] }, undefined, { floats: { e: { dims: [1, 1], data: [2] } } }),
    ],
    ['MatMul [4]·[4,2] is [2]', one('MatMul', { a: [4], b: [4, 2] })],
    ['Unsqueeze [3] at -1 is [3,1]', one('Unsqueeze', { a: [3] }, undefined, { ints: { axes: [-1] } })],
    ['Squeeze [1,3,1] at -1 is [1,3]', one('Squeeze', { a: [1, 3, 1] }, undefined, { ints: { axes: [-1] } })],
    ['Gemm with C [5] is [2,5]', one('Gemm', { a: [2, 3], b: [3, 5], c: [5] })],
  ] as [string, Spec][])('runs %s, with onnxruntime-web’s dims', async (_, spec) => {
    const { ours, theirs } = await both(spec)
    expect(theirs).not.toBeInstanceOf(Error)
    expect(ours).not.toBeInstanceOf(Error)
    expect((ours as { dims: number[] }).dims).toEqual([...(theirs as { dims: number[] }).dims])
  })
})
