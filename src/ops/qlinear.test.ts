// The int8 operators against onnxruntime-node: integer outputs (quantised values, zero points, int32
// accumulators) bit for bit, and float outputs bit for bit where every step is one f32 operation.
import ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { InferenceBudgetError, OnnxError } from '../errors/infer.ts'
import { DEFAULT_LIMITS } from '../infer/plan.ts'
import { parseModel, type Tensor } from '../infer/model.ts'
import { runModel, toTensors } from '../infer/run.ts'
import { dynamicMlpModel, qdqMlpModel, rand, randInts, typedModel } from '../infer/testing.ts'
import { tensorJson, encodeOutputs } from '../receipts/tensors.ts'
import { dynamicParams, quantize } from './qlinear.ts'

type Level = 'disabled' | 'all'

async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, level: Level = 'disabled') {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level })
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

const list = (t: { data: unknown }) => Array.from(t.data as ArrayLike<number>)
const bitsOf = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer))

/** x with values at quantisation ties, zeros, extremes and random values. */
function xWithTies(n: number, scale: number, seed: number): number[] {
  const r = rand(n, seed)
  return r.map((v, i) =>
    i % 4 === 0 ? Math.fround((Math.round(v * 40) + 0.5) * scale) : i % 7 === 0 ? 0 : v * (1 + (i % 3)),
  )
}

function runOurs(bytes: Uint8Array, x: number[], dims: number[]) {
  const model = parseModel(bytes)
  return runModel(model, toTensors(model, { x: { dims, data: x } }))
}

describe('int8 operators against onnxruntime-node', () => {
  it('dynamic quantisation MLP at opsets 13, 18 and 21: every integer and float output bit for bit', async () => {
    for (const [seed, opset] of [
      [1, 13],
      [2, 18],
      [3, 21],
    ]) {
      const bytes = dynamicMlpModel(opset)
      const x = xWithTies(32, 0.0078, seed)
      const ours = runOurs(bytes, x, [4, 8])
      const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), [4, 8]) })
      for (const name of ['xq', 'xz', 'acc1', 'hq', 'hz', 'acc2']) {
        expect(ours.get(name)!.type, name).toBe(name.startsWith('acc') ? 'int32' : 'uint8')
        expect(list(ours.get(name)!), name).toEqual(list(theirs[name]))
      }
      for (const name of ['xs', 'y'])
        expect(bitsOf(list(ours.get(name)!)), name).toEqual(bitsOf(list(theirs[name])))
    }
  })

  it('dynamic quantisation MLP under onnxruntime’s graph optimisations (fused kernels): y bit for bit', async () => {
    const bytes = dynamicMlpModel()
    const x = xWithTies(32, 0.0078, 4)
    const ours = runOurs(bytes, x, [4, 8]).get('y')!
    const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), [4, 8]) }, 'all')
    expect(bitsOf(list(ours))).toEqual(bitsOf(list(theirs.y)))
  })

  it('QDQ MLP: quantised input exact, hidden codes within 1, y within two hidden codes’ worth', async () => {
    let moved = 0
    for (const [seed, opset] of [
      [5, 13],
      [6, 19],
      [7, 21],
    ]) {
      const bytes = qdqMlpModel(opset)
      const x = xWithTies(32, 0.0079, seed)
      const ours = runOurs(bytes, x, [4, 8])
      for (const level of ['disabled', 'all'] as Level[]) {
        const theirs = await ortRun(
          bytes,
          { x: new ort.Tensor('float32', Float32Array.from(x), [4, 8]) },
          level,
        )
        expect(list(ours.get('xq')!), level).toEqual(list(theirs.xq))
        // The float MatMul is bq15 here and f32 (or QLinearMatMul) there: a hidden value on a rounding
        // boundary may land one code over, which moves y by at most w2's scale times a column's weight.
        const hq = list(theirs.hq)
        list(ours.get('hq')!).forEach((v, i) => {
          expect(Math.abs(v - hq[i]), level).toBeLessThanOrEqual(1)
          if (v !== hq[i]) moved++
        })
        // Two hidden codes' worth of y (hs · w2s · 127 each, 0.0072); measured 0.0071 over 39 inputs.
        const y = list(theirs.y)
        list(ours.get('y')!).forEach((v, i) =>
          expect(Math.abs(v - y[i]), level).toBeLessThanOrEqual(2 * 0.0061 * 0.0093 * 127),
        )
      }
    }
    expect(moved).toBeLessThan(8)
  })

  it('QuantizeLinear and DequantizeLinear, per tensor and per axis, int8 and uint8, opsets 13 and 21', async () => {
    for (const opset of [13, 19, 21])
      for (const zt of ['int8', 'uint8'] as const) {
        const zp = zt === 'int8' ? [-3, 0, 5] : [128, 0, 255]
        const bytes = typedModel({
          opset,
          inputs: { x: { type: 'float', dims: [2, 3, 4] } },
          inits: {
            s: { type: 'float', dims: [3], data: [0.02, 0.5, 0.003] },
            z: { type: zt, dims: [3], data: zp },
            s1: { type: 'float', dims: [], data: [0.05] },
            z1: { type: zt, dims: [], data: [zp[0]] },
          },
          nodes: [
            ['QuantizeLinear', ['x', 's', 'z'], ['q'], { axis: 1 }],
            ['DequantizeLinear', ['q', 's', 'z'], ['d'], { axis: -2 }],
            ['QuantizeLinear', ['x', 's1', 'z1'], ['q1']],
            ['DequantizeLinear', ['q1', 's1', 'z1'], ['d1']],
          ],
          outputs: ['q', 'd', 'q1', 'd1'],
        })
        // Ties of every scale, values beyond the range (saturation), zeros.
        const x = [...xWithTies(12, 0.05, opset), ...rand(12, opset + 1).map((v) => v * 300)]
        const ours = runOurs(bytes, x, [2, 3, 4])
        const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), [2, 3, 4]) })
        for (const name of ['q', 'q1']) {
          expect(ours.get(name)!.type).toBe(zt)
          expect(list(ours.get(name)!), `${opset} ${zt} ${name}`).toEqual(list(theirs[name]))
        }
        for (const name of ['d', 'd1'])
          expect(bitsOf(list(ours.get(name)!)), `${opset} ${zt} ${name}`).toEqual(bitsOf(list(theirs[name])))
      }
  })

  it('DynamicQuantizeLinear on edge ranges, and QuantizeLinear by output_dtype (opset 21), bit for bit', async () => {
    const dql = typedModel({
      inputs: { x: { type: 'float', dims: [8] } },
      nodes: [['DynamicQuantizeLinear', ['x'], ['y', 's', 'z']]],
      outputs: ['y', 's', 'z'],
    })
    const ranges = [
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0.5, 1, 2, 3, 4, 5, 6, 7],
      [-0.5, -1, -2, -3, -4, -5, -6, -7],
      [1e-30, -1e-30, 0, 0, 0, 0, 0, 3e-38],
      [3e38, -3e38, 1, 2, 3, -4, 0, 1e20],
      [0.1, 0.2, 0.3, -0.01, 100, 0.7, -0.0, 2.5],
    ]
    for (const x of ranges) {
      const ours = runOurs(dql, x, [8])
      const theirs = await ortRun(dql, { x: new ort.Tensor('float32', Float32Array.from(x), [8]) })
      for (const name of ['y', 'z']) expect(list(ours.get(name)!), `${x} ${name}`).toEqual(list(theirs[name]))
      expect(bitsOf(list(ours.get('s')!)), `${x} s`).toEqual(bitsOf(list(theirs.s)))
    }
    const q21 = typedModel({
      opset: 21,
      inputs: { x: { type: 'float', dims: [8] } },
      inits: { s: { type: 'float', dims: [], data: [0.03] } },
      nodes: [['QuantizeLinear', ['x', 's'], ['q'], { output_dtype: 3 }]],
      outputs: ['q'],
    })
    const x = xWithTies(8, 0.03, 9).map((v) => v * 3)
    const ours = runOurs(q21, x, [8]).get('q')!
    expect(ours.type).toBe('int8')
    const theirs = await ortRun(q21, { x: new ort.Tensor('float32', Float32Array.from(x), [8]) })
    expect(list(ours)).toEqual(list(theirs.q))
  })

  it('DequantizeLinear of int32 (a bias) and Cast among the integer types, as onnxruntime', async () => {
    const big = [2 ** 31 - 1, -(2 ** 31), 16777217, -16777219, 300, -129, 255, 128, 0, 7]
    const bytes = typedModel({
      inputs: { a: { type: 'int32', dims: [10] } },
      inits: { s: { type: 'float', dims: [], data: [0.37] } },
      nodes: [
        ['DequantizeLinear', ['a', 's'], ['d']],
        ['Cast', ['a'], ['i8'], { to: 3 }],
        ['Cast', ['a'], ['u8'], { to: 2 }],
        ['Cast', ['a'], ['f'], { to: 1 }],
        ['Cast', ['i8'], ['back'], { to: 6 }],
      ],
      outputs: ['d', 'i8', 'u8', 'f', 'back'],
    })
    const model = parseModel(bytes)
    const ours = runModel(model, toTensors(model, { a: { dims: [10], data: big } }))
    const theirs = await ortRun(bytes, { a: new ort.Tensor('int32', Int32Array.from(big), [10]) })
    for (const name of ['i8', 'u8', 'back']) expect(list(ours.get(name)!), name).toEqual(list(theirs[name]))
    for (const name of ['d', 'f'])
      expect(bitsOf(list(ours.get(name)!)), name).toEqual(bitsOf(list(theirs[name])))
  })

  it('Cast from float truncates toward zero (as onnxruntime in range); int8 moves through Transpose and Reshape', async () => {
    const x = [0.5, -0.5, 1.99, -1.99, 126.7, -127.9, 254.9, 3e9, -3e9, NaN, 1e38, -0]
    const inRange: Record<string, number[]> = {
      i8: [0, 1, 2, 3, 4, 5],
      u8: [0, 1, 2, 4],
      i32: [0, 1, 2, 3, 4, 5, 6],
    }
    const bytes = typedModel({
      inputs: { x: { type: 'float', dims: [3, 4] } },
      inits: { shape: { type: 'int64', dims: [2], data: [2, 6] } },
      nodes: [
        ['Cast', ['x'], ['i8'], { to: 3 }],
        ['Cast', ['x'], ['u8'], { to: 2 }],
        ['Cast', ['x'], ['i32'], { to: 6 }],
        ['Transpose', ['i8'], ['t'], { perm: [1, 0] }],
        ['Reshape', ['t', 'shape'], ['r']],
      ],
      outputs: ['i8', 'u8', 'i32', 't', 'r'],
    })
    const model = parseModel(bytes)
    const ours = runModel(
      model,
      toTensors(model, { x: { dims: [3, 4], data: x.map((v) => (Number.isNaN(v) ? 'NaN' : v)) } }),
    )
    const theirs = await ortRun(bytes, { x: new ort.Tensor('float32', Float32Array.from(x), [3, 4]) })
    for (const name of ['i8', 'u8', 'i32']) {
      const t = list(theirs[name])
      const at = inRange[name]
      expect(
        at.map((i) => list(ours.get(name)!)[i]),
        name,
      ).toEqual(at.map((i) => t[i]))
    }
    // Outside the range onnxruntime's answer is the machine's; ours saturates, NaN is 0.
    expect(list(ours.get('i8')!)).toEqual([0, 0, 1, -1, 126, -127, 127, 127, -128, 0, 127, 0])
    expect(list(ours.get('u8')!).slice(6)).toEqual([254, 255, 0, 0, 255, 0])
    expect(list(ours.get('i32')!).slice(7, 9)).toEqual([2 ** 31 - 1, -(2 ** 31)])
    const i8 = list(ours.get('i8')!)
    const t = ours.get('t')!
    expect([t.type, t.dims, list(t)]).toEqual([
      'int8',
      [4, 3],
      i8.map((_, k) => i8[(k % 3) * 4 + Math.floor(k / 3)]),
    ])
    expect([ours.get('r')!.dims, list(ours.get('r')!)]).toEqual([[2, 6], list(t)])
  })

  it('MatMulInteger: batched, int8 × uint8, a vector operand, extreme values', async () => {
    const bytes = typedModel({
      inputs: { a: { type: 'int8', dims: [2, 3, 40] } },
      inits: {
        b: { type: 'uint8', dims: [40, 5], data: randInts(200, 0, 255, 31) },
        v: { type: 'uint8', dims: [40], data: randInts(40, 250, 255, 32) },
        az: { type: 'int8', dims: [], data: [-128] },
        bz: { type: 'uint8', dims: [5], data: [0, 255, 3, 128, 77] },
      },
      nodes: [
        ['MatMulInteger', ['a', 'b', 'az', 'bz'], ['y']],
        ['MatMulInteger', ['a', 'v'], ['yv']],
      ],
      outputs: ['y', 'yv'],
    })
    const a = [...randInts(200, -128, 127, 33), ...new Array(40).fill(127)]
    const model = parseModel(bytes)
    const ours = runModel(model, toTensors(model, { a: { dims: [2, 3, 40], data: a } }))
    const theirs = await ortRun(bytes, { a: new ort.Tensor('int8', Int8Array.from(a), [2, 3, 40]) })
    for (const name of ['y', 'yv']) {
      expect(ours.get(name)!.dims, name).toEqual(theirs[name].dims)
      expect(list(ours.get(name)!), name).toEqual(list(theirs[name]))
    }
  })
})

describe('int8 rules', () => {
  it('quantize rounds half to even after one f32 division, saturating; NaN is 0 plus the zero point', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5].map((v) => quantize(v, 1, 0, 'int8'))).toEqual([0, 2, 2, 0, -2])
    expect(quantize(1e9, 0.1, 3, 'int8')).toBe(127)
    expect(quantize(-1e9, 0.1, 3, 'uint8')).toBe(0)
    expect(quantize(NaN, 0.1, 3, 'uint8')).toBe(3)
    expect(quantize(1, 0, 0, 'uint8')).toBe(255)
  })

  it('dynamic parameters: an all-zero tensor has scale 1 and zero point 0', () => {
    expect(dynamicParams(new Float32Array(4))).toEqual({ scale: 1, zp: 0 })
    // 1 / f32(2/255) is 127.4999… in f32, not the 127.5 of real arithmetic: the zero point is 127.
    expect(dynamicParams(Float32Array.of(-1, 1))).toEqual({ scale: Math.fround(2 / 255), zp: 127 })
  })

  it('integer outputs hash with their own dtype tags, and the float and int64 encoding is unchanged', () => {
    const t = (type: Tensor['type'], data: number[]) =>
      tensorJson('o', {
        type,
        dims: [data.length],
        data:
          type === 'int8'
            ? Int8Array.from(data)
            : type === 'uint8'
              ? Uint8Array.from(data)
              : type === 'int32'
                ? Int32Array.from(data)
                : type === 'int64'
                  ? BigInt64Array.from(data, BigInt)
                  : Float32Array.from(data),
      } as Tensor)
    const enc = (type: Tensor['type'], data: number[]) => Array.from(encodeOutputs({ o: t(type, data) }))
    expect(enc('int8', [-1, 2])).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 111, 3, 1, 0, 0, 0, 2, 0, 0, 0, 255, 2])
    expect(enc('uint8', [255, 2]).slice(-11)).toEqual([2, 1, 0, 0, 0, 2, 0, 0, 0, 255, 2])
    expect(enc('int32', [-1]).slice(-4)).toEqual([255, 255, 255, 255])
    const all = (['int8', 'uint8', 'int32', 'int64', 'float'] as const).map((d) => enc(d, [1, 2]).join())
    expect(new Set(all).size).toBe(5)
    expect(() => encodeOutputs({ o: { dtype: 'uint8', dims: [1], data: [256] } })).toThrow(/uint8/)
  })

  it('refuses blocked quantisation, int16 zero points and per-row MatMulInteger zero points by name', () => {
    const q = (attrs: Record<string, number>, opset = 21) =>
      parseModel(
        typedModel({
          opset,
          inputs: { x: { type: 'float', dims: [2, 4] } },
          inits: { s: { type: 'float', dims: [2, 2], data: [1, 1, 1, 1] } },
          nodes: [['QuantizeLinear', ['x', 's'], ['q'], attrs]],
          outputs: ['q'],
        }),
      )
    const m = q({ block_size: 2, axis: 1 })
    expect(() => runModel(m, toTensors(m, { x: { dims: [2, 4], data: rand(8, 1) } }))).toThrow(
      /QuantizeLinear n0: blocked quantisation/,
    )
    const mi = parseModel(
      typedModel({
        inputs: { a: { type: 'uint8', dims: [2, 3] } },
        inits: {
          b: { type: 'uint8', dims: [3, 2], data: [1, 2, 3, 4, 5, 6] },
          az: { type: 'uint8', dims: [2], data: [1, 2] },
        },
        nodes: [['MatMulInteger', ['a', 'b', 'az'], ['y']]],
        outputs: ['y'],
      }),
    )
    expect(() => runModel(mi, toTensors(mi, { a: { dims: [2, 3], data: [1, 2, 3, 4, 5, 6] } }))).toThrow(
      OnnxError,
    )
    expect(() => toTensors(mi, { a: { dims: [2, 3], data: [1, 2, 3, 4, 5, 256] } })).toThrow(/uint8/)
    const cast = (to: number) =>
      parseModel(
        typedModel({
          inputs: { x: { type: 'int32', dims: [2] } },
          nodes: [['Cast', ['x'], ['y'], { to }]],
          outputs: ['y'],
        }),
      )
    const c7 = cast(7)
    // int32 to int64 is exact (the shape pass computes an int64 only when its inputs are known).
    expect(runModel(c7, toTensors(c7, { x: { dims: [2], data: [1, -2] } })).get('y')!.data).toEqual(
      BigInt64Array.of(1n, -2n),
    )
    const c10 = cast(10)
    expect(() => runModel(c10, toTensors(c10, { x: { dims: [2], data: [1, 2] } }))).toThrow(
      /Cast n0: casts to float \(1\), uint8 \(2\), int8 \(3\), int32 \(6\), int64 \(7\) and bool \(9\) are supported; got to=10/,
    )
    // The product is charged (one operation per multiply-add) before it runs.
    const product = parseModel(
      typedModel({
        inputs: { a: { type: 'uint8', dims: [4, 64] } },
        inits: { b: { type: 'uint8', dims: [64, 8], data: randInts(512, 0, 255, 1) } },
        nodes: [['MatMulInteger', ['a', 'b'], ['y']]],
        outputs: ['y'],
      }),
    )
    const a = toTensors(product, { a: { dims: [4, 64], data: randInts(256, 0, 255, 2) } })
    expect(() => runModel(product, a, { ...DEFAULT_LIMITS, nodeOperations: 2000 })).toThrow(
      InferenceBudgetError,
    )
    expect(runModel(product, a, { ...DEFAULT_LIMITS, nodeOperations: 2176 }).get('y')!.dims).toEqual([4, 8])
  })
})
