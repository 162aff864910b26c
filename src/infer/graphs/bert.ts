// A BERT-style encoder, built the way transformers exports BERT (opset 13): word, position and token-type
// embeddings (position ids sliced from a buffer by the input's length), LayerNorm decomposed, the
// attention mask as (1 - mask) cast to bool and filled with finfo.min by Where (the SDPA-era export),
// the exact GELU x * 0.5 * (1 + erf(x / sqrt 2)).
//   input_ids, attention_mask, token_type_ids int64 [1, s] → last_hidden_state float [1, s, dModel]
import { FLOAT_MIN, GraphBuilder } from './builder.ts'

export interface BertConfig {
  vocab: number
  dModel: number
  nHead: number
  nLayer: number
  ffn: number
  maxPositions: number
  seed: number
}

export const BERT_TINY: BertConfig = {
  vocab: 40,
  dModel: 16,
  nHead: 2,
  nLayer: 2,
  ffn: 32,
  maxPositions: 24,
  seed: 4,
}

export function bertEncoder(cfg: BertConfig = BERT_TINY): Uint8Array {
  const { vocab, dModel: D, nHead: H, nLayer, ffn, maxPositions } = cfg
  const hd = D / H
  const b = new GraphBuilder(cfg.seed)
  const ids = b.input('input_ids', 'int64', [1, 'sequence_length'])
  const mask = b.input('attention_mask', 'int64', [1, 'sequence_length'])
  const types = b.input('token_type_ids', 'int64', [1, 'sequence_length'])
  b.output('last_hidden_state')

  const s = b.dim(ids, 1)
  const positions = b.init(
    'embeddings.position_ids',
    'int64',
    [1, maxPositions],
    Array.from({ length: maxPositions }, (_, i) => i),
  )
  const posIds = b.op('Slice', [positions, b.ints([0]), b.op('Unsqueeze', [s, b.ints([0])]), b.ints([1])])
  let e = b.op('Add', [
    b.op('Gather', [b.weight('embeddings.word_embeddings.weight', [vocab, D], 0.5), ids]),
    b.op('Gather', [b.weight('embeddings.token_type_embeddings.weight', [2, D], 0.2), types]),
  ])
  e = b.op('Add', [
    e,
    b.op('Gather', [b.weight('embeddings.position_embeddings.weight', [maxPositions, D], 0.2), posIds]),
  ])
  let h = b.layerNorm(
    e,
    b.weight('embeddings.LayerNorm.weight', [D], 0.1, 1),
    b.weight('embeddings.LayerNorm.bias', [D], 0.05),
    1e-12,
  )

  // inverted = 1 - mask[:, None, None, :]; inverted.masked_fill(inverted.to(bool), finfo.min)
  const inverted = b.op('Sub', [
    b.floats([1]),
    b.op('Cast', [b.op('Unsqueeze', [mask, b.ints([1, 2])])], { to: 1 }),
  ])
  const extended = b.op('Where', [b.op('Cast', [inverted], { to: 9 }), b.floats([FLOAT_MIN]), inverted])

  for (let l = 0; l < nLayer; l++) {
    const w = (n: string, dims: number[], scale = 0.25, base = 0) =>
      b.weight(`encoder.layer.${l}.${n}`, dims, scale, base)
    const dense = (x: string, n: string, i: number, o: number) =>
      b.op('Add', [b.op('MatMul', [x, w(`${n}.weight`, [i, o])]), w(`${n}.bias`, [o], 0.05)])
    const q = b.splitHeads(dense(h, 'attention.self.query', D, D), s, H, hd)
    const k = b.splitHeads(dense(h, 'attention.self.key', D, D), s, H, hd)
    const v = b.splitHeads(dense(h, 'attention.self.value', D, D), s, H, hd)
    let scores = b.op('Div', [
      b.op('MatMul', [q, b.op('Transpose', [k], { perm: [0, 1, 3, 2] })]),
      b.floats([Math.sqrt(hd)]),
    ])
    scores = b.op('Add', [scores, extended])
    const ctx = b.mergeHeads(b.op('MatMul', [b.op('Softmax', [scores], { axis: -1 }), v]), s, D)
    const ln = (x: string, n: string) =>
      b.layerNorm(x, w(`${n}.weight`, [D], 0.1, 1), w(`${n}.bias`, [D], 0.05), 1e-12)
    h = ln(b.op('Add', [dense(ctx, 'attention.output.dense', D, D), h]), 'attention.output.LayerNorm')
    const f = dense(h, 'intermediate.dense', D, ffn)
    const gelu = b.op('Mul', [
      b.op('Mul', [f, b.op('Add', [b.op('Erf', [b.op('Div', [f, b.floats([Math.SQRT2])])]), b.floats([1])])]),
      b.floats([0.5]),
    ])
    h = ln(b.op('Add', [dense(gelu, 'output.dense', ffn, D), h]), 'output.LayerNorm')
  }
  b.named('last_hidden_state', 'Identity', [h])
  return b.encode('bert-tiny', 13)
}
