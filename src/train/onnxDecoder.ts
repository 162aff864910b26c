// Exports a trained GPT as a KV-cache decoder in the Hugging Face optimum convention (the contract
// src/generate/decoder.ts reads): inputs input_ids [1, s], attention_mask [1, past + s], position_ids
// [1, s], past_key_values.{i}.key/.value [1, heads, past, head_dim]; outputs logits [1, s, vocab] and
// present.{i}.key/.value [1, heads, past + s, head_dim]. One graph serves prefill (past = 0) and decode
// (s = 1). Standard ops only (those of exportOnnx, plus Concat, Unsqueeze and Relu).
//
// The causal mask: building it in the graph needs Range, comparisons and Where, which this runtime does
// not run yet, so this export takes one more input, `attention_bias` [1, 1, s, past + s] float, added to
// the attention scores: 0 where query i may see key j (j <= past + i and attention_mask[j] = 1), -inf
// elsewhere. The generation loop fills it whenever a model declares it; attention_mask is declared for
// the convention's sake and unused by this graph (the bias already carries it).
import onnxProto, { type onnx } from 'onnx-proto'
import { ATTENTION_BIAS } from '../generate/decoder.ts'
import { paramSpecs, type GptConfig } from './gpt.ts'
import { attribute, floatTensor, int64Tensor, type Attr, type OnnxExportOptions } from './onnx.ts'

// onnx-proto is CommonJS: its default export holds the namespace in Node's ESM and in Vite alike.
const pb = onnxProto.onnx

/** The KV-cache decoder as ONNX bytes (opset 20); same arithmetic per row as exportOnnx. */
export function exportDecoderOnnx(
  cfg: GptConfig,
  weights: ReadonlyMap<string, Float32Array>,
  options: OnnxExportOptions = {},
): Uint8Array {
  const { dModel: d, nHead: H, vocab } = cfg
  const Dh = d / H
  const nodes: onnx.INodeProto[] = []
  let counter = 0
  const node = (op: string, inputs: string[], attrs: Attr[] = [], outputs: string[] | number = 1) => {
    const outs =
      typeof outputs === 'number' ? Array.from({ length: outputs }, () => `t${counter++}`) : outputs
    nodes.push({
      opType: op,
      input: inputs,
      output: outs,
      name: `${op}_${counter++}`,
      attribute: attrs.map(attribute),
    })
    return outs
  }
  const one = (op: string, inputs: string[], attrs: Attr[] = []) => node(op, inputs, attrs)[0]
  const initializers: onnx.ITensorProto[] = paramSpecs(cfg).map((s) =>
    floatTensor(s.name, s.shape, weights.get(s.name)!),
  )
  initializers.push(
    floatTensor('attn_scale', [], new Float32Array([Math.fround(1 / Math.sqrt(Dh))])),
    int64Tensor('shape_qkv', [0, -1, 3, H, Dh]),
    int64Tensor('shape_merge', [0, -1, d]),
    int64Tensor('axis0', [0]),
    int64Tensor('axis2', [2]),
    int64Tensor('axis3', [3]),
    int64Tensor('axis4', [4]),
    floatTensor('one', [], new Float32Array([1])),
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

  let x = one('Add', [one('Gather', ['wte', 'input_ids']), one('Gather', ['wpe', 'position_ids'])])
  // keep [1, 1, s, past + s, 1]: 1 where the bias is 0, 0 where it is -inf (relu(bias + 1), exact).
  const keep = one('Unsqueeze', [one('Relu', [one('Add', [ATTENTION_BIAS, 'one'])]), 'axis4'])
  for (let l = 0; l < cfg.nLayer; l++) {
    const h = `h${l}.`
    const qkv = one('Reshape', [linear(norm(x, h + 'ln1'), h + 'attn.wqkv', h + 'attn.bqkv'), 'shape_qkv'])
    // [1, s, 3, H, Dh] → [3, 1, H, s, Dh]: q, k, v as [1, H, s, Dh].
    const heads = one('Transpose', [qkv], [{ name: 'perm', ints: [2, 0, 3, 1, 4] }])
    const [q, kNew, vNew] = node(
      'Split',
      [heads],
      [
        { name: 'axis', i: 0 },
        { name: 'num_outputs', i: 3 },
      ],
      3,
    ).map((t) => one('Squeeze', [t, 'axis0']))
    const past = `past_key_values.${l}`
    const present = `present.${l}`
    const [k] = node('Concat', [`${past}.key`, kNew], [{ name: 'axis', i: 2 }], [`${present}.key`])
    const [v] = node('Concat', [`${past}.value`, vNew], [{ name: 'axis', i: 2 }], [`${present}.value`])
    const kT = one('Transpose', [k], [{ name: 'perm', ints: [0, 1, 3, 2] }])
    const scores = one('Add', [one('Mul', [one('MatMul', [q, kT]), 'attn_scale']), ATTENTION_BIAS])
    // Each query row multiplies its own copy of V with the rows it may not see zeroed: the matmul
    // quantises V's columns in blocks along the keys, so a shared V would let later tokens' values move
    // an earlier row's bits. With zeros there (which quantise to nothing), row i has the bits of a
    // sequence that ends at i: the cache and a full re-run agree bit for bit (src/generate/decoder.test.ts).
    const att = one('Unsqueeze', [one('Softmax', [scores], [{ name: 'axis', i: -1 }]), 'axis3'])
    const vRows = one('Mul', [one('Unsqueeze', [v, 'axis2']), keep])
    const y = one('Squeeze', [one('MatMul', [att, vRows]), 'axis3'])
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
  const [B, S, P, T] = ['batch_size', 'sequence_length', 'past_sequence_length', 'total_sequence_length']
  const cache = (prefix: string, len: string) =>
    Array.from({ length: cfg.nLayer }, (_, l) =>
      ['key', 'value'].map((kv) => info(`${prefix}.${l}.${kv}`, F.FLOAT, [B, H, len, Dh])),
    ).flat()
  const model: onnx.IModelProto = {
    irVersion: 9,
    producerName: 'lockstep',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: 20 }],
    metadataProps: Object.entries({
      'lockstep.model': JSON.stringify(cfg),
      'lockstep.decoder': 'kv-cache/1',
      ...options.metadata,
    }).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'lockstep-gpt-decoder',
      node: nodes,
      initializer: initializers,
      input: [
        info('input_ids', F.INT64, [B, S]),
        info('attention_mask', F.INT64, [B, T]),
        info('position_ids', F.INT64, [B, S]),
        ...cache('past_key_values', P),
        info(ATTENTION_BIAS, F.FLOAT, [B, 1, S, T]),
      ],
      output: [info('logits', F.FLOAT, [B, S, vocab]), ...cache('present', T)],
    },
  }
  return pb.ModelProto.encode(pb.ModelProto.create(model)).finish()
}
