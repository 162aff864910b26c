// Conv, the pools and BatchNormalization against onnxruntime-node: the small CNN end to end, and each
// operator over the attributes it takes (pads, strides, dilations, groups, auto_pad, ceil_mode,
// count_include_pad). Conv's products are bq15 here and f32 there, so those agree within a tolerance;
// MaxPool is exact, AveragePool within 1e-6 (f32 sums in another order).
import ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { InferenceBudgetError } from '../errors/infer.ts'
import { parseModel } from '../infer/model.ts'
import { runModel, toTensors } from '../infer/run.ts'
import { cnnModel, dynamicCnnModel, rand, typedModel } from '../infer/testing.ts'

async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes)
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

/** max |a − b| / (1 + |b|): relative for large values, absolute near zero. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])))
  return w
}

async function compare(bytes: Uint8Array, dims: number[], seed: number, names: string[]) {
  const x = rand(
    dims.reduce((a, b) => a * b, 1),
    seed,
  )
  const model = parseModel(bytes)
  const ours = runModel(model, toTensors(model, { x: { dims, data: x } }))
  const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), dims) })
  return names.map((name) => {
    expect(ours.get(name)!.dims, name).toEqual(theirs[name].dims.map(Number))
    return worst(ours.get(name)!.data as Float32Array, theirs[name].data as Float32Array)
  })
}

/** One node on x [1, 3, 7, 9] (a 3×3 or 2×2 kernel), its output y. */
const single = (op: string, attrs: Record<string, number | number[] | string>, weights = true) => {
  const spec: Parameters<typeof typedModel>[0] = {
    inputs: { x: { type: 'float', dims: [1, 4, 7, 9] } },
    inits: weights
      ? {
          w: { type: 'float', dims: [6, Math.ceil(4 / ((attrs.group as number) ?? 1)), 3, 2], data: [] },
          b: { type: 'float', dims: [6], data: rand(6, 4) },
        }
      : {},
    nodes: [[op, weights ? ['x', 'w', 'b'] : ['x'], ['y'], attrs]],
    outputs: ['y'],
  }
  const w = spec.inits?.w
  if (w)
    w.data = rand(
      w.dims.reduce((a, b) => a * b, 1),
      3,
    )
  return typedModel(spec)
}

describe('convolution and pooling against onnxruntime-node', () => {
  // The bq15 product keeps 15 bits of each operand per block of 32 (as MatMul does: the exported GPT's
  // logits agree within 2e-3); measured 2.6e-4 over 29 inputs (2026-12-05), so 1e-3.
  it('the small CNN at opsets 13, 18 and 21: logits and intermediates within 1e-3', async () => {
    for (const [seed, opset] of [
      [1, 13],
      [2, 18],
      [3, 21],
    ]) {
      const bytes = cnnModel(2, opset)
      const [y, c1, p1, bn] = await compare(bytes, [2, 3, 8, 8], seed, ['y', 'c1', 'p1', 'bn'])
      expect(Math.max(y, c1, p1, bn)).toBeLessThan(1e-3)
    }
  })

  it('the dynamic-quantisation CNN (ConvInteger): every output bit for bit', async () => {
    const bytes = dynamicCnnModel()
    for (const seed of [1, 2, 3]) {
      const x = rand(216, seed)
      const model = parseModel(bytes)
      const ours = runModel(model, toTensors(model, { x: { dims: [2, 3, 6, 6], data: x } }))
      const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), [2, 3, 6, 6]) })
      for (const name of ['y', 'acc1', 'hq', 'acc2']) {
        const a = ours.get(name)!
        expect(a.dims, name).toEqual(theirs[name].dims.map(Number))
        const bits = (d: ArrayLike<number>) =>
          Array.from(a.type === 'float' ? new Uint32Array(Float32Array.from(d).buffer) : d)
        expect(bits(a.data as ArrayLike<number>), name).toEqual(bits(theirs[name].data as ArrayLike<number>))
      }
    }
  })

  it('Conv: pads, strides, dilations, groups, auto_pad', async () => {
    const cases: Record<string, number | number[] | string>[] = [
      { pads: [0, 1, 2, 0] },
      { strides: [2, 3], dilations: [2, 1] },
      { group: 2, pads: [1, 1, 1, 1] },
      { group: 2, auto_pad: 'SAME_UPPER', strides: [2, 2] },
      { auto_pad: 'SAME_LOWER', strides: [2, 1] },
      { auto_pad: 'VALID', strides: [1, 2] },
    ]
    for (const attrs of cases) {
      const [y] = await compare(single('Conv', attrs), [1, 4, 7, 9], 7, ['y'])
      expect(y, JSON.stringify(attrs)).toBeLessThan(1e-3)
    }
  })

  it('MaxPool (exact) and AveragePool: pads, strides, dilations, ceil_mode, count_include_pad', async () => {
    const cases: [string, Record<string, number | number[] | string>, number][] = [
      ['MaxPool', { kernel_shape: [3, 2], pads: [1, 0, 1, 1], strides: [2, 2] }, 0],
      ['MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 0],
      ['MaxPool', { kernel_shape: [2, 3], dilations: [2, 2], pads: [1, 2, 0, 1] }, 0],
      ['MaxPool', { kernel_shape: [2, 3], strides: [2, 1], auto_pad: 'SAME_LOWER' }, 0],
      ['AveragePool', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }, 1e-6],
      ['AveragePool', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 1e-6],
      ['AveragePool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 1e-6],
      ['AveragePool', { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], ceil_mode: 1 }, 1e-6],
      [
        'AveragePool',
        { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 },
        1e-6,
      ],
      ['AveragePool', { kernel_shape: [2, 3], strides: [2, 3], ceil_mode: 1, count_include_pad: 1 }, 1e-6],
      ['GlobalAveragePool', {}, 1e-6],
    ]
    for (const [op, attrs, tolerance] of cases) {
      const [y] = await compare(single(op, attrs, false), [1, 4, 7, 9], 8, ['y'])
      expect(y, `${op} ${JSON.stringify(attrs)}`).toBeLessThanOrEqual(tolerance)
    }
  })
})

describe('convolution refusals name the operator, node and reason', () => {
  const run = (bytes: Uint8Array) => {
    const model = parseModel(bytes)
    return () => runModel(model, toTensors(model, { x: { dims: [1, 4, 7, 9], data: rand(252, 1) } }))
  }
  it('refuses what it does not run', () => {
    expect(run(single('Conv', { group: 3 }))).toThrow(/Conv n0: group 3 must divide/)
    expect(run(single('Conv', { auto_pad: 'SAME' }))).toThrow(/Conv n0: auto_pad "SAME" is not supported/)
    expect(run(single('Conv', { dilations: [0, 1] }))).toThrow(/Conv n0: dilations/)
    expect(run(single('Conv', { dilations: [2, 1], auto_pad: 'SAME_UPPER' }))).toThrow(
      /Conv n0: auto_pad SAME_UPPER with dilations \[2,1\] is not supported/,
    )
    expect(run(single('Conv', { kernel_shape: [3, 3] }))).toThrow(/Conv n0: kernel_shape/)
    expect(run(single('MaxPool', { kernel_shape: [2, 2], pads: [2, 0, 0, 0] }, false))).toThrow(
      /MaxPool n0: pads .* smaller than the kernel/,
    )
    expect(run(single('AveragePool', { kernel_shape: [20, 2] }, false))).toThrow(/AveragePool n0: the window/)
    expect(run(single('AveragePool', { kernel_shape: [2, 2], dilations: [2, 2] }, false))).toThrow(
      /AveragePool n0: dilations need opset 19/,
    )
    const indices = typedModel({
      inputs: { x: { type: 'float', dims: [1, 4, 7, 9] } },
      nodes: [['MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2] }]],
      outputs: ['y', 'i'],
    })
    expect(run(indices)).toThrow(/MaxPool n0: the Indices output is not supported/)
    const conv3d = typedModel({
      inputs: { x: { type: 'float', dims: [1, 4, 7, 9] } },
      inits: { w: { type: 'float', dims: [2, 4, 3], data: rand(24, 1) } },
      nodes: [['Conv', ['x', 'w'], ['y']]],
      outputs: ['y'],
    })
    expect(run(conv3d)).toThrow(/Conv n0: W \[2,4,3\] must have rank 4/)
    const training = typedModel({
      inputs: { x: { type: 'float', dims: [1, 4, 7, 9] } },
      inits: Object.fromEntries(
        ['s', 'b', 'm', 'v'].map((k) => [k, { type: 'float' as const, dims: [4], data: [1, 1, 1, 1] }]),
      ),
      nodes: [['BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], { training_mode: 1 }]],
      outputs: ['y'],
    })
    expect(run(training)).toThrow(/BatchNormalization n0: training mode/)
  })

  it('charges a Conv that pads a small input to 2^42 outputs before making anything', () => {
    const t0 = performance.now()
    const p = 2 ** 20
    expect(run(single('Conv', { pads: [p, p, p, p] }))).toThrow(InferenceBudgetError)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
