// Exports a trained GPT as an ONNX model (opset 20), so it can be served with inference receipts
// and run by any ONNX runtime. Weights are stored exactly (f32 initializers); the graph uses standard
// ops only: Gather, Add, MatMul, LayerNormalization, Reshape, Transpose, Split, Squeeze, Mul,
// Softmax, Gelu (tanh).
import onnxProto, { type onnx } from 'onnx-proto'

// onnx-proto is CommonJS: its default export holds the namespace in Node's ESM and in Vite alike.
const pb = onnxProto.onnx
import { paramSpecs, type GptConfig } from './gpt.ts'

export type Attr = { name: string; i?: number; f?: number; s?: string; ints?: number[] }

export function attribute(a: Attr): onnx.IAttributeProto {
  const T = pb.AttributeProto.AttributeType
  if (a.ints) return { name: a.name, type: T.INTS, ints: a.ints }
  if (a.s !== undefined) return { name: a.name, type: T.STRING, s: new TextEncoder().encode(a.s) }
  if (a.f !== undefined) return { name: a.name, type: T.FLOAT, f: a.f }
  return { name: a.name, type: T.INT, i: a.i }
}

export function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: pb.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  }
}

export function int64Tensor(name: string, values: number[]): onnx.ITensorProto {
  return { name, dims: [values.length], dataType: pb.TensorProto.DataType.INT64, int64Data: values }
}

export interface OnnxExportOptions {
  /** Recorded in the model's metadata: e.g. the state hash the weights come from. */
  metadata?: Record<string, string>
}

/**
 * The model as ONNX bytes: input `input_ids` int64 [batch, seqLen], output `logits` f32
 * [batch, seqLen, vocab]. Same computation as gptLogits (up to each runtime's float rounding).
 */
export function exportOnnx(
  cfg: GptConfig,
  weights: ReadonlyMap<string, Float32Array>,
  options: OnnxExportOptions = {},
): Uint8Array {
  const { seqLen: T, dModel: d, nHead: H, vocab } = cfg
  const Dh = d / H
  const nodes: onnx.INodeProto[] = []
  let counter = 0
  const node = (op: string, inputs: string[], attrs: Attr[] = [], outputs = 1): string[] => {
    const outs = Array.from({ length: outputs }, () => `t${counter++}`)
    nodes.push({
      opType: op,
      input: inputs,
      output: outs,
      name: `${op}_${counter}`,
      attribute: attrs.map(attribute),
    })
    return outs
  }
  const one = (op: string, inputs: string[], attrs: Attr[] = []) => node(op, inputs, attrs)[0]
  const initializers: onnx.ITensorProto[] = paramSpecs(cfg).map((s) =>
    floatTensor(s.name, s.shape, weights.get(s.name)!),
  )
  const mask = new Float32Array(T * T).map((_, i) => (i % T <= Math.floor(i / T) ? 0 : -Infinity))
  initializers.push(
    floatTensor('causal_mask', [T, T], mask),
    floatTensor('attn_scale', [], new Float32Array([Math.fround(1 / Math.sqrt(Dh))])),
    int64Tensor('shape_qkv', [0, T, 3, H, Dh]),
    int64Tensor('shape_merge', [0, T, d]),
    int64Tensor('axis0', [0]),
  )
  const linear = (x: string, w: string, b: string) => one('Add', [one('MatMul', [x, w]), b])
  const norm = (x: string, p: string) =>
    one(
      'LayerNormalization',
      [x, `${p}.g`, `${p}.b`],
      [
        { name: 'axis', i: -1 },
        { name: 'epsilon', f: 1e-5 },
      ],
    )

  let x = one('Add', [one('Gather', ['wte', 'input_ids']), 'wpe'])
  for (let l = 0; l < cfg.nLayer; l++) {
    const h = `h${l}.`
    const qkv = one('Reshape', [linear(norm(x, h + 'ln1'), h + 'attn.wqkv', h + 'attn.bqkv'), 'shape_qkv'])
    const heads = one('Transpose', [qkv], [{ name: 'perm', ints: [2, 0, 3, 1, 4] }])
    const [q, k, v] = node(
      'Split',
      [heads],
      [
        { name: 'axis', i: 0 },
        { name: 'num_outputs', i: 3 },
      ],
      3,
    ).map((t) => one('Squeeze', [t, 'axis0']))
    const kT = one('Transpose', [k], [{ name: 'perm', ints: [0, 1, 3, 2] }])
    const scores = one('Add', [one('Mul', [one('MatMul', [q, kT]), 'attn_scale']), 'causal_mask'])
    const y = one('MatMul', [one('Softmax', [scores], [{ name: 'axis', i: -1 }]), v])
    const merged = one('Reshape', [
      one('Transpose', [y], [{ name: 'perm', ints: [0, 2, 1, 3] }]),
      'shape_merge',
    ])
    x = one('Add', [x, linear(merged, h + 'attn.wo', h + 'attn.bo')])
    const m = one(
      'Gelu',
      [linear(norm(x, h + 'ln2'), h + 'mlp.w1', h + 'mlp.b1')],
      [{ name: 'approximate', s: 'tanh' }],
    )
    x = one('Add', [x, linear(m, h + 'mlp.w2', h + 'mlp.b2')])
  }
  const wteT = one('Transpose', ['wte'], [{ name: 'perm', ints: [1, 0] }])
  nodes.push({ opType: 'MatMul', input: [norm(x, 'lnf'), wteT], output: ['logits'], name: 'lm_head' })

  const F = pb.TensorProto.DataType
  const dim = (v: number | string) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v })
  const info = (name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } },
  })
  const model: onnx.IModelProto = {
    irVersion: 9,
    producerName: 'lockstep',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: 20 }],
    metadataProps: Object.entries({ 'lockstep.model': JSON.stringify(cfg), ...options.metadata }).map(
      ([key, value]) => ({ key, value }),
    ),
    graph: {
      name: 'lockstep-gpt',
      node: nodes,
      initializer: initializers,
      input: [info('input_ids', F.INT64, ['batch', T])],
      output: [info('logits', F.FLOAT, ['batch', T, vocab])],
    },
  }
  return pb.ModelProto.encode(pb.ModelProto.create(model)).finish()
}
