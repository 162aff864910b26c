// Test models for the ONNX runtime, shared by the Node tests (against onnxruntime-web's wasm EP) and
// the browser tests (its wasm and WebGPU EPs).
import onnxProto, { type onnx } from 'onnx-proto'
import { mulberry32 } from '../util/random.ts'

// onnx-proto is CommonJS: its default export holds the namespace in Node's ESM and in Vite alike.
const pb = onnxProto.onnx
const F = pb.TensorProto.DataType.FLOAT

export function rand(n: number, seed: number): number[] {
  const next = mulberry32(seed)
  return Array.from({ length: n }, () => Math.fround((next() / 2 ** 32) * 2 - 1))
}

/** A graph touching the operators the GPT export does not: checked against onnxruntime-web. */
export function zooModel(): Uint8Array {
  const init = (name: string, dims: number[], data: number[]) => ({
    name,
    dims,
    dataType: F,
    floatData: data,
  })
  const ints = (name: string, data: number[]) => ({
    name,
    dims: [data.length],
    dataType: pb.TensorProto.DataType.INT64,
    int64Data: data,
  })
  const n = (opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []) => ({
    opType,
    input,
    output,
    attribute,
  })
  const I = pb.AttributeProto.AttributeType
  const graph: onnx.IGraphProto = {
    name: 'zoo',
    initializer: [
      init('W', [6, 5], rand(30, 1)),
      init('C', [5], rand(5, 2)),
      init('g', [5], rand(5, 3)),
      init('b', [5], rand(5, 4)),
      init('two', [], [2]),
      ints('ax1', [1]),
      ints('ax0', [0]),
    ],
    node: [
      n(
        'Gemm',
        ['x', 'W', 'C'],
        ['y0'],
        [
          { name: 'alpha', type: I.FLOAT, f: 0.5 },
          { name: 'beta', type: I.FLOAT, f: 2 },
        ],
      ),
      n('Relu', ['y0'], ['y1']),
      n('Sigmoid', ['y0'], ['y2']),
      n('Sub', ['y1', 'y2'], ['y3']),
      n('Tanh', ['y3'], ['y4']),
      n('Pow', ['y4', 'two'], ['y5']),
      n('Add', ['y5', 'C'], ['y6']),
      n('Sqrt', ['y5'], ['y7']),
      n('Div', ['y6', 'g'], ['y8']),
      n('LayerNormalization', ['y8', 'g', 'b'], ['y9'], [{ name: 'epsilon', type: I.FLOAT, f: 1e-5 }]),
      n('Softmax', ['y9'], ['y10'], [{ name: 'axis', type: I.INT, i: 0 }]),
      n('ReduceSum', ['y10', 'ax1'], ['s1'], [{ name: 'keepdims', type: I.INT, i: 1 }]),
      n('ReduceMean', ['y7', 'ax0'], ['m0'], [{ name: 'keepdims', type: I.INT, i: 0 }]),
      n('Unsqueeze', ['m0', 'ax0'], ['m1']),
      n('Concat', ['y10', 'y7', 'm1'], ['cat'], [{ name: 'axis', type: I.INT, i: 0 }]),
      n('Identity', ['cat'], ['cat2']),
      n('Flatten', ['cat2'], ['flat'], [{ name: 'axis', type: I.INT, i: 0 }]),
      n('Mul', ['s1', 's1'], ['s2']),
    ],
    input: [
      {
        name: 'x',
        type: { tensorType: { elemType: F, shape: { dim: [{ dimValue: 4 }, { dimValue: 6 }] } } },
      },
    ],
    output: [{ name: 'flat' }, { name: 's2' }],
  }
  return pb.ModelProto.encode({ irVersion: 9, opsetImport: [{ domain: '', version: 18 }], graph }).finish()
}

type NodeSpec = [op: string, inputs: string[], outputs: string[], attrs?: Record<string, number | number[]>]

/**
 * A small graph from a list of nodes: float inputs with fixed dims, int64 initializers (shapes and
 * axes), float initializers. For shape checks and the hostile graphs of the budget tests.
 */
export function graphModel(spec: {
  nodes: NodeSpec[]
  inputs: Record<string, number[]>
  outputs: string[]
  ints?: Record<string, number[]>
  floats?: Record<string, { dims: number[]; data: number[] }>
  opset?: number
}): Uint8Array {
  const I = pb.AttributeProto.AttributeType
  const attribute = (a: Record<string, number | number[]> = {}) =>
    Object.entries(a).map(([name, v]) =>
      Array.isArray(v) ? { name, type: I.INTS, ints: v } : { name, type: I.INT, i: v },
    )
  const graph: onnx.IGraphProto = {
    name: 'g',
    initializer: [
      ...Object.entries(spec.ints ?? {}).map(([name, data]) => ({
        name,
        dims: [data.length],
        dataType: pb.TensorProto.DataType.INT64,
        int64Data: data,
      })),
      ...Object.entries(spec.floats ?? {}).map(([name, t]) => ({
        name,
        dims: t.dims,
        dataType: F,
        floatData: t.data,
      })),
    ],
    node: spec.nodes.map(([opType, input, output, attrs], i) => ({
      opType,
      name: `n${i}`,
      input,
      output,
      attribute: attribute(attrs),
    })),
    input: Object.entries(spec.inputs).map(([name, dims]) => ({
      name,
      type: { tensorType: { elemType: F, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
    })),
    output: spec.outputs.map((name) => ({ name })),
  }
  const opset = spec.opset ?? 18
  return pb.ModelProto.encode({ irVersion: 9, opsetImport: [{ domain: '', version: opset }], graph }).finish()
}

/** x [1] concatenated with itself k times: [2^k] from a graph of about 36 bytes a node. */
export function doublingConcatModel(k: number): Uint8Array {
  const nodes: NodeSpec[] = Array.from({ length: k }, (_, i) => [
    'Concat',
    [`c${i}`, `c${i}`],
    [`c${i + 1}`],
    { axis: 0 },
  ])
  return graphModel({ nodes, inputs: { c0: [1] }, outputs: [`c${k}`] })
}

/** [2^k] by doubling, then [2^k, 1] + [1, 2^k]: a 2^k × 2^k output from one Add. */
export function broadcastModel(k: number): Uint8Array {
  const nodes: NodeSpec[] = Array.from({ length: k }, (_, i) => [
    'Concat',
    [`c${i}`, `c${i}`],
    [`c${i + 1}`],
    { axis: 0 },
  ])
  nodes.push(['Unsqueeze', [`c${k}`, 'one'], ['col']], ['Unsqueeze', [`c${k}`, 'zero'], ['row']])
  nodes.push(['Add', ['col', 'row'], ['y']])
  return graphModel({ nodes, inputs: { c0: [1] }, outputs: ['y'], ints: { one: [1], zero: [0] } })
}

// ---- Convolutional and int8-quantised test graphs (src/ops/conv.ts, pool.ts, qlinear.ts) ----

type ElemType = 'float' | 'int64' | 'int32' | 'int8' | 'uint8'
const ELEM = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const
type Attr = number | number[] | string | { f: number }
type Init = { type: ElemType; dims: number[]; data: number[] }

/** A graph of any of the runtime's types: typed inputs and initializers, INT, INTS, STRING and FLOAT attrs. */
export function typedModel(spec: {
  nodes: [op: string, inputs: string[], outputs: string[], attrs?: Record<string, Attr>][]
  inputs: Record<string, { type: ElemType; dims: number[] }>
  inits?: Record<string, Init>
  outputs: string[]
  opset?: number
}): Uint8Array {
  const I = pb.AttributeProto.AttributeType
  const attribute = (a: Record<string, Attr> = {}) =>
    Object.entries(a).map(([name, v]) =>
      Array.isArray(v)
        ? { name, type: I.INTS, ints: v }
        : typeof v === 'number'
          ? { name, type: I.INT, i: v }
          : typeof v === 'string'
            ? { name, type: I.STRING, s: new TextEncoder().encode(v) }
            : { name, type: I.FLOAT, f: v.f },
    )
  const tensor = (name: string, t: Init): onnx.ITensorProto => ({
    name,
    dims: t.dims,
    dataType: ELEM[t.type],
    ...(t.type === 'float' ? { floatData: t.data } : t.type === 'int64' ? { int64Data: t.data } : {}),
    // int8 and uint8 as raw bytes (as exporters write them), int32 in int32_data.
    ...(t.type === 'int8' ? { rawData: new Uint8Array(Int8Array.from(t.data).buffer) } : {}),
    ...(t.type === 'uint8' ? { rawData: Uint8Array.from(t.data) } : {}),
    ...(t.type === 'int32' ? { int32Data: t.data } : {}),
  })
  const graph: onnx.IGraphProto = {
    name: 'typed',
    initializer: Object.entries(spec.inits ?? {}).map(([name, t]) => tensor(name, t)),
    node: spec.nodes.map(([opType, input, output, attrs], i) => ({
      opType,
      name: `n${i}`,
      input,
      output,
      attribute: attribute(attrs),
    })),
    input: Object.entries(spec.inputs).map(([name, t]) => ({
      name,
      type: {
        tensorType: { elemType: ELEM[t.type], shape: { dim: t.dims.map((d) => ({ dimValue: d })) } },
      },
    })),
    output: spec.outputs.map((name) => ({ name })),
  }
  return pb.ModelProto.encode({
    irVersion: 9,
    opsetImport: [{ domain: '', version: spec.opset ?? 18 }],
    graph,
  }).finish()
}

/** n integers in [lo, hi] from a seed. */
export function randInts(n: number, lo: number, hi: number, seed: number): number[] {
  const next = mulberry32(seed)
  return Array.from({ length: n }, () => lo + (next() % (hi - lo + 1)))
}

/**
 * A two-layer MLP as onnxruntime's quantize_dynamic writes it: DynamicQuantizeLinear on the
 * activations, MatMulInteger against int8 (layer 1, per-tensor) and uint8 (layer 2, per-column zero
 * points) weights, Cast to float, Mul by the product of the scales, then the bias.
 */
export function dynamicMlpModel(opset = 18): Uint8Array {
  return typedModel({
    opset,
    inputs: { x: { type: 'float', dims: [4, 8] } },
    inits: {
      w1: { type: 'int8', dims: [8, 6], data: randInts(48, -127, 127, 11) },
      w1z: { type: 'int8', dims: [], data: [0] },
      w1s: { type: 'float', dims: [], data: [0.0123] },
      b1: { type: 'float', dims: [6], data: rand(6, 12) },
      w2: { type: 'uint8', dims: [6, 3], data: randInts(18, 0, 255, 13) },
      w2z: { type: 'uint8', dims: [3], data: [128, 120, 131] },
      w2s: { type: 'float', dims: [3], data: [0.004, 0.0071, 0.0052] },
      b2: { type: 'float', dims: [3], data: rand(3, 14) },
    },
    nodes: [
      ['DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']],
      ['MatMulInteger', ['xq', 'w1', 'xz', 'w1z'], ['acc1']],
      ['Cast', ['acc1'], ['acc1f'], { to: 1 }],
      ['Mul', ['xs', 'w1s'], ['s1']],
      ['Mul', ['acc1f', 's1'], ['m1']],
      ['Add', ['m1', 'b1'], ['h0']],
      ['Relu', ['h0'], ['h']],
      ['DynamicQuantizeLinear', ['h'], ['hq', 'hs', 'hz']],
      ['MatMulInteger', ['hq', 'w2', 'hz', 'w2z'], ['acc2']],
      ['Cast', ['acc2'], ['acc2f'], { to: 1 }],
      ['Mul', ['hs', 'w2s'], ['s2']],
      ['Mul', ['acc2f', 's2'], ['m2']],
      ['Add', ['m2', 'b2'], ['y']],
    ],
    outputs: ['y', 'xq', 'xs', 'xz', 'acc1', 'hq', 'hz', 'acc2'],
  })
}

/**
 * A two-layer MLP in the QDQ format (quantize_static): activations through QuantizeLinear and
 * DequantizeLinear, int8 weights behind DequantizeLinear (per-channel on axis 1, then per-tensor),
 * float MatMul, bias, Relu.
 */
export function qdqMlpModel(opset = 18): Uint8Array {
  return typedModel({
    opset,
    inputs: { x: { type: 'float', dims: [4, 8] } },
    inits: {
      xs: { type: 'float', dims: [], data: [0.0079] },
      xz: { type: 'uint8', dims: [], data: [127] },
      w1: { type: 'int8', dims: [8, 6], data: randInts(48, -127, 127, 21) },
      w1s: { type: 'float', dims: [6], data: [0.011, 0.009, 0.0125, 0.01, 0.0087, 0.0102] },
      w1z: { type: 'int8', dims: [6], data: [0, 0, 0, 0, 0, 0] },
      b1: { type: 'float', dims: [6], data: rand(6, 22) },
      hs: { type: 'float', dims: [], data: [0.0061] },
      hz: { type: 'uint8', dims: [], data: [0] },
      w2: { type: 'int8', dims: [6, 3], data: randInts(18, -127, 127, 23) },
      w2s: { type: 'float', dims: [], data: [0.0093] },
      b2: { type: 'float', dims: [3], data: rand(3, 24) },
    },
    nodes: [
      ['QuantizeLinear', ['x', 'xs', 'xz'], ['xq']],
      ['DequantizeLinear', ['xq', 'xs', 'xz'], ['xd']],
      ['DequantizeLinear', ['w1', 'w1s', 'w1z'], ['w1d'], { axis: 1 }],
      ['MatMul', ['xd', 'w1d'], ['m1']],
      ['Add', ['m1', 'b1'], ['h0']],
      ['Relu', ['h0'], ['h']],
      ['QuantizeLinear', ['h', 'hs', 'hz'], ['hq']],
      ['DequantizeLinear', ['hq', 'hs', 'hz'], ['hd']],
      ['DequantizeLinear', ['w2', 'w2s'], ['w2d']],
      ['MatMul', ['hd', 'w2d'], ['m2']],
      ['Add', ['m2', 'b2'], ['y']],
    ],
    outputs: ['y', 'xq', 'hq'],
  })
}

/**
 * A small CNN as a PyTorch export writes one: Conv (padded) → Relu → MaxPool → depthwise Conv (stride
 * 2, two filters per channel) → BatchNormalization → GlobalAveragePool → Flatten → Gemm.
 */
export function cnnModel(batch = 2, opset = 18): Uint8Array {
  const f = (dims: number[], seed: number, s = 1): Init => ({
    type: 'float',
    dims,
    data: rand(
      dims.reduce((a, b) => a * b, 1),
      seed,
    ).map((v) => Math.fround(v * s)),
  })
  return typedModel({
    opset,
    inputs: { x: { type: 'float', dims: [batch, 3, 8, 8] } },
    inits: {
      w1: f([4, 3, 3, 3], 41, 0.5),
      b1: f([4], 42),
      w2: f([8, 1, 3, 3], 43, 0.5),
      gamma: f([8], 44),
      beta: f([8], 45),
      mean: f([8], 46, 0.1),
      var: { type: 'float', dims: [8], data: rand(8, 47).map((v) => Math.fround(1 + v / 2)) },
      wf: f([5, 8], 48),
      bf: f([5], 49),
    },
    nodes: [
      ['Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }],
      ['Relu', ['c1'], ['r1']],
      ['MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }],
      ['Conv', ['p1', 'w2'], ['c2'], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] }],
      ['BatchNormalization', ['c2', 'gamma', 'beta', 'mean', 'var'], ['bn'], { epsilon: { f: 1e-5 } }],
      ['GlobalAveragePool', ['bn'], ['gap']],
      ['Flatten', ['gap'], ['flat']],
      ['Gemm', ['flat', 'wf', 'bf'], ['y'], { transB: 1 }],
    ],
    outputs: ['y', 'c1', 'p1', 'bn'],
  })
}

/**
 * A CNN as quantize_dynamic writes one: DynamicQuantizeLinear, ConvInteger (padded; then grouped with
 * stride 2), Cast, Mul by the product of the scales, the bias, Relu.
 */
export function dynamicCnnModel(): Uint8Array {
  return typedModel({
    inputs: { x: { type: 'float', dims: [2, 3, 6, 6] } },
    inits: {
      w1: { type: 'uint8', dims: [4, 3, 3, 3], data: randInts(108, 0, 255, 51) },
      w1z: { type: 'uint8', dims: [], data: [131] },
      w1s: { type: 'float', dims: [], data: [0.0077] },
      b1: { type: 'float', dims: [1, 4, 1, 1], data: rand(4, 52) },
      w2: { type: 'uint8', dims: [4, 2, 3, 3], data: randInts(72, 0, 255, 53) },
      w2z: { type: 'uint8', dims: [], data: [120] },
      w2s: { type: 'float', dims: [], data: [0.0049] },
    },
    nodes: [
      ['DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']],
      ['ConvInteger', ['xq', 'w1', 'xz', 'w1z'], ['acc1'], { pads: [1, 1, 1, 1] }],
      ['Cast', ['acc1'], ['acc1f'], { to: 1 }],
      ['Mul', ['xs', 'w1s'], ['s1']],
      ['Mul', ['acc1f', 's1'], ['m1']],
      ['Add', ['m1', 'b1'], ['h0']],
      ['Relu', ['h0'], ['h']],
      ['DynamicQuantizeLinear', ['h'], ['hq', 'hs', 'hz']],
      ['ConvInteger', ['hq', 'w2', 'hz', 'w2z'], ['acc2'], { group: 2, strides: [2, 2], pads: [0, 1, 1, 0] }],
      ['Cast', ['acc2'], ['acc2f'], { to: 1 }],
      ['Mul', ['hs', 'w2s'], ['s2']],
      ['Mul', ['acc2f', 's2'], ['y']],
    ],
    outputs: ['y', 'acc1', 'hq', 'acc2'],
  })
}

/**
 * The QOperator format (quantize_static's QuantFormat.QOperator, the ONNX model zoo's int8 models):
 * QuantizeLinear → QLinearConv (grouped, per-channel, bias) → QLinearConv → Flatten → QLinearMatMul
 * (per-column scales) → DequantizeLinear.
 */
export function qoperatorModel(): Uint8Array {
  return typedModel({
    inputs: { x: { type: 'float', dims: [2, 4, 7, 7] } },
    inits: {
      xs: { type: 'float', dims: [], data: [0.0081] },
      xz: { type: 'uint8', dims: [], data: [128] },
      w1: { type: 'int8', dims: [6, 2, 3, 3], data: randInts(108, -127, 127, 61) },
      w1s: { type: 'float', dims: [6], data: [0.011, 0.0093, 0.0102, 0.0121, 0.0088, 0.0097] },
      w1z: { type: 'int8', dims: [], data: [0] },
      b1: { type: 'int32', dims: [6], data: randInts(6, -3000, 3000, 62) },
      h1s: { type: 'float', dims: [], data: [0.0213] },
      h1z: { type: 'uint8', dims: [], data: [120] },
      w2: { type: 'uint8', dims: [3, 6, 2, 2], data: randInts(72, 0, 255, 63) },
      w2s: { type: 'float', dims: [], data: [0.0067] },
      w2z: { type: 'uint8', dims: [], data: [127] },
      h2s: { type: 'float', dims: [], data: [0.047] },
      h2z: { type: 'uint8', dims: [], data: [131] },
      w3: { type: 'int8', dims: [12, 5], data: randInts(60, -127, 127, 64) },
      w3s: { type: 'float', dims: [5], data: [0.012, 0.009, 0.0105, 0.0111, 0.0131] },
      w3z: { type: 'int8', dims: [], data: [0] },
      ys: { type: 'float', dims: [], data: [0.031] },
      yz: { type: 'uint8', dims: [], data: [125] },
    },
    nodes: [
      ['QuantizeLinear', ['x', 'xs', 'xz'], ['xq']],
      [
        'QLinearConv',
        ['xq', 'xs', 'xz', 'w1', 'w1s', 'w1z', 'h1s', 'h1z', 'b1'],
        ['h1'],
        { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] },
      ],
      ['QLinearConv', ['h1', 'h1s', 'h1z', 'w2', 'w2s', 'w2z', 'h2s', 'h2z'], ['h2'], { strides: [2, 2] }],
      ['Flatten', ['h2'], ['f']],
      ['QLinearMatMul', ['f', 'h2s', 'h2z', 'w3', 'w3s', 'w3z', 'ys', 'yz'], ['yq']],
      ['DequantizeLinear', ['yq', 'ys', 'yz'], ['y']],
    ],
    outputs: ['h1', 'h2', 'yq', 'y'],
  })
}
