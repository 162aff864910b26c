// A GPT-2-style decoder with a KV cache, built the way optimum / transformers export GPT-2 (opset 14):
// the HF I/O names, shape arithmetic from Shape/Gather/Concat, the causal mask from Range and
// LessOrEqual (or sliced from a bool buffer, as transformers' GPT2Attention), the padding mask from Cast/Sub/Mul, LayerNorm decomposed, the tanh GELU decomposed,
// position_ids optional (made from attention_mask with CumSum when the graph does not take them).
//
// I/O, the contract with the generation loop (HF optimum's naming):
//   input_ids int64 [1, s], attention_mask int64 [1, past + s], position_ids int64 [1, s] (optional),
//   past_key_values.{i}.key / .value float [1, heads, past, headDim]
//   → logits float [1, s, vocab], present.{i}.key / .value float [1, heads, past + s, headDim]
import { FLOAT_MIN, GraphBuilder, INT64_MAX } from './builder.ts'

export interface Gpt2Config {
  vocab: number
  dModel: number
  nHead: number
  nLayer: number
  /** Positions the learned table covers. */
  nPositions: number
  /** Whether position_ids is a graph input (else the graph computes it from attention_mask). */
  positionIds: boolean
  /**
   * The causal mask from Range/LessOrEqual (newer exports), or sliced from the `attn.bias` buffer, a
   * bool lower triangle of nPositions² (transformers' GPT2Attention: `bias[:, :, T - s : T, :T]`).
   */
  causalMask?: 'range' | 'bias'
  seed: number
}

export const GPT2_TINY: Gpt2Config = {
  vocab: 48,
  dModel: 16,
  nHead: 2,
  nLayer: 2,
  nPositions: 32,
  positionIds: true,
  seed: 2,
}

export function gpt2Decoder(cfg: Gpt2Config = GPT2_TINY): Uint8Array {
  const { vocab, dModel: D, nHead: H, nLayer, nPositions } = cfg
  const hd = D / H
  const b = new GraphBuilder(cfg.seed)
  const ids = b.input('input_ids', 'int64', [1, 'sequence_length'])
  const mask = b.input('attention_mask', 'int64', [1, 'total_sequence_length'])
  const posIn = cfg.positionIds ? b.input('position_ids', 'int64', [1, 'sequence_length']) : null
  const past = Array.from({ length: nLayer }, (_, i) =>
    ['key', 'value'].map((kv) =>
      b.input(`past_key_values.${i}.${kv}`, 'float', [1, H, 'past_sequence_length', hd]),
    ),
  )
  b.output('logits')
  for (let i = 0; i < nLayer; i++) for (const kv of ['key', 'value']) b.output(`present.${i}.${kv}`)

  const wte = b.weight('transformer.wte.weight', [vocab, D], 0.5)
  const wpe = b.weight('transformer.wpe.weight', [nPositions, D], 0.1)
  const s = b.dim(ids, 1)
  const T = b.dim(mask, 1)
  const pastLen = b.op('Sub', [T, s])

  // position_ids = (cumsum(mask) - 1).masked_fill(mask == 0, 1)[:, -s:]
  let pos = posIn
  if (!pos) {
    const cs = b.op('CumSum', [mask, b.int(1)])
    const p = b.op('Sub', [cs, b.int(1)])
    const filled = b.op('Where', [b.op('Equal', [mask, b.int(0)]), b.int(1), p])
    pos = b.op('Slice', [
      filled,
      b.op('Unsqueeze', [b.op('Neg', [s]), b.ints([0])]),
      b.ints([INT64_MAX]),
      b.ints([1]),
    ])
  }
  let h = b.op('Add', [b.op('Gather', [wte, ids]), b.op('Gather', [wpe, pos])])

  // causal: key position k may be seen by query position q (past + i) when k <= q
  let causal: string
  if (cfg.causalMask === 'bias') {
    const P = nPositions
    const tril = Array.from({ length: P * P }, (_, i) => (i % P <= Math.floor(i / P) ? 1 : 0))
    const bias = b.init('transformer.h.attn.bias', 'bool', [1, 1, P, P], tril)
    const [start, end] = [b.op('Unsqueeze', [pastLen, b.ints([0])]), b.op('Unsqueeze', [T, b.ints([0])])]
    causal = b.op('Slice', [
      bias,
      b.op('Concat', [start, b.ints([0])], { axis: 0 }),
      b.op('Concat', [end, end], { axis: 0 }),
      b.ints([2, 3]),
    ])
  } else {
    const qPos = b.op('Range', [pastLen, T, b.int(1)])
    const kPos = b.op('Range', [b.int(0), T, b.int(1)])
    causal = b.op('LessOrEqual', [
      b.op('Unsqueeze', [kPos, b.ints([0])]),
      b.op('Unsqueeze', [qPos, b.ints([1])]),
    ])
  }
  // padding: (1 - mask[:, None, None, :]) * finfo.min
  const m4 = b.op('Cast', [b.op('Unsqueeze', [mask, b.ints([1, 2])])], { to: 1 })
  const padding = b.op('Mul', [b.op('Sub', [b.floats([1]), m4]), b.floats([FLOAT_MIN])])

  for (let l = 0; l < nLayer; l++) {
    const w = (n: string, dims: number[], scale = 0.2, base = 0) =>
      b.weight(`transformer.h.${l}.${n}`, dims, scale, base)
    const x = b.layerNorm(h, w('ln_1.weight', [D], 0.1, 1), w('ln_1.bias', [D], 0.05))
    const qkv = b.op('Add', [
      b.op('MatMul', [x, w('attn.c_attn.weight', [D, 3 * D])]),
      w('attn.c_attn.bias', [3 * D], 0.05),
    ])
    const [q, k, v] = b
      .ops('Split', [qkv, b.ints([D, D, D])], { axis: 2 }, 3)
      .map((t) => b.splitHeads(t, s, H, hd))
    const presentK = b.named(`present.${l}.key`, 'Concat', [past[l][0], k], { axis: 2 })
    const presentV = b.named(`present.${l}.value`, 'Concat', [past[l][1], v], { axis: 2 })
    let scores = b.op('MatMul', [q, b.op('Transpose', [presentK], { perm: [0, 1, 3, 2] })])
    scores = b.op('Div', [scores, b.floats([Math.sqrt(hd)])])
    scores = b.op('Where', [causal, scores, b.floats([FLOAT_MIN])])
    scores = b.op('Add', [scores, padding])
    const probs = b.op('Softmax', [scores], { axis: -1 })
    const ctx = b.mergeHeads(b.op('MatMul', [probs, presentV]), s, D)
    h = b.op('Add', [
      h,
      b.op('Add', [b.op('MatMul', [ctx, w('attn.c_proj.weight', [D, D])]), w('attn.c_proj.bias', [D], 0.05)]),
    ])

    const y = b.layerNorm(h, w('ln_2.weight', [D], 0.1, 1), w('ln_2.bias', [D], 0.05))
    const f = b.op('Add', [
      b.op('MatMul', [y, w('mlp.c_fc.weight', [D, 4 * D])]),
      w('mlp.c_fc.bias', [4 * D], 0.05),
    ])
    // NewGELU: 0.5 f (1 + tanh(sqrt(2/pi) (f + 0.044715 f^3)))
    const inner = b.op('Mul', [
      b.op('Add', [f, b.op('Mul', [b.op('Pow', [f, b.floats([3])]), b.floats([0.044715])])]),
      b.floats([Math.sqrt(2 / Math.PI)]),
    ])
    const g = b.op('Mul', [
      b.op('Mul', [b.floats([0.5]), f]),
      b.op('Add', [b.floats([1]), b.op('Tanh', [inner])]),
    ])
    h = b.op('Add', [
      h,
      b.op('Add', [b.op('MatMul', [g, w('mlp.c_proj.weight', [4 * D, D])]), w('mlp.c_proj.bias', [D], 0.05)]),
    ])
  }
  const out = b.layerNorm(
    h,
    b.weight('transformer.ln_f.weight', [D], 0.1, 1),
    b.weight('transformer.ln_f.bias', [D], 0.05),
  )
  b.named('logits', 'MatMul', [out, b.weight('lm_head.weight', [D, vocab], 0.5)])
  return b.encode('gpt2-tiny', 14)
}
