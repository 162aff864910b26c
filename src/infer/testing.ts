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
