// A LLaMA-style decoder with a KV cache, built the way optimum exports LLaMA (opset 18): RMSNorm as
// Pow/ReduceMean/Add/Sqrt/Reciprocal/Mul, rotary embeddings from position_ids through Cos/Sin, the
// rotate-half by Slice/Neg/Concat, grouped-query attention (kv heads repeated by Unsqueeze/Expand/
// Reshape), the causal mask from ConstantOfShape/Trilu and the padding by Equal/Where/Expand, SiLU as
// x * Sigmoid(x), no biases. The same I/O names as gpt2.ts (position_ids required), with
// past_key_values.{i}.key / .value and present.{i}.* of [1, kvHeads, past(+s), headDim].
import { FLOAT_MIN, GraphBuilder, INT64_MAX, fill } from './builder.ts'

export interface LlamaConfig {
  vocab: number
  dModel: number
  nHead: number
  /** Key/value heads (grouped-query attention when fewer than nHead). */
  nKvHead: number
  nLayer: number
  ffn: number
  ropeTheta: number
  seed: number
}

export const LLAMA_TINY: LlamaConfig = {
  vocab: 40,
  dModel: 16,
  nHead: 4,
  nKvHead: 2,
  nLayer: 2,
  ffn: 24,
  ropeTheta: 10000,
  seed: 3,
}

export function llamaDecoder(cfg: LlamaConfig = LLAMA_TINY): Uint8Array {
  const { vocab, dModel: D, nHead: H, nKvHead: KV, nLayer, ffn } = cfg
  const hd = D / H
  const b = new GraphBuilder(cfg.seed)
  const ids = b.input('input_ids', 'int64', [1, 'sequence_length'])
  const mask = b.input('attention_mask', 'int64', [1, 'total_sequence_length'])
  const pos = b.input('position_ids', 'int64', [1, 'sequence_length'])
  const past = Array.from({ length: nLayer }, (_, i) =>
    ['key', 'value'].map((kv) =>
      b.input(`past_key_values.${i}.${kv}`, 'float', [1, KV, 'past_sequence_length', hd]),
    ),
  )
  b.output('logits')
  for (let i = 0; i < nLayer; i++) for (const kv of ['key', 'value']) b.output(`present.${i}.${kv}`)

  const rmsNorm = (x: string, weight: string) => {
    const ms = b.op('ReduceMean', [b.op('Pow', [x, b.floats([2])]), b.ints([-1])], { keepdims: 1 })
    const inv = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [ms, b.floats([1e-6])])])])
    return b.op('Mul', [weight, b.op('Mul', [x, inv])])
  }

  let h = b.op('Gather', [b.weight('model.embed_tokens.weight', [vocab, D], 0.5), ids])
  const s = b.dim(ids, 1)
  const T = b.dim(mask, 1)
  const pastLen = b.op('Sub', [T, s])

  // Rotary tables: freqs[p, i] = p * theta^(-2i/d), emb = [freqs, freqs], cos/sin as [1, 1, s, d].
  const invFreq = Array.from({ length: hd / 2 }, (_, i) => Math.fround(1 / cfg.ropeTheta ** ((2 * i) / hd)))
  const inv = b.init('model.rotary_emb.inv_freq', 'float', [hd / 2], invFreq)
  const freqs = b.op('Mul', [b.op('Unsqueeze', [b.op('Cast', [pos], { to: 1 }), b.ints([2])]), inv])
  const emb = b.op('Concat', [freqs, freqs], { axis: -1 })
  const cos = b.op('Unsqueeze', [b.op('Cos', [emb]), b.ints([1])])
  const sin = b.op('Unsqueeze', [b.op('Sin', [emb]), b.ints([1])])
  const rope = (x: string) => {
    const x1 = b.op('Slice', [x, b.ints([0]), b.ints([hd / 2]), b.ints([3]), b.ints([1])])
    const x2 = b.op('Slice', [x, b.ints([hd / 2]), b.ints([INT64_MAX]), b.ints([-1])])
    const rotated = b.op('Concat', [b.op('Neg', [x2]), x1], { axis: -1 })
    return b.op('Add', [b.op('Mul', [x, cos]), b.op('Mul', [rotated, sin])])
  }

  // Causal mask [s, T]: finfo.min above the diagonal shifted by past (Trilu upper, k = past + 1), zero
  // elsewhere; padded keys masked with Where, all as [1, 1, s, T].
  const full = b.op('ConstantOfShape', [b.shape([s, T])], { value: fill('float', FLOAT_MIN) })
  const causal = b.op('Trilu', [full, b.op('Add', [pastLen, b.int(1)])], { upper: 1 })
  const causal4 = b.op('Expand', [b.op('Unsqueeze', [causal, b.ints([0, 1])]), b.shape([1, 1, s, T])])
  const padded = b.op('Equal', [b.op('Unsqueeze', [mask, b.ints([1, 2])]), b.int(0)])
  const attnMask = b.op('Where', [padded, b.floats([FLOAT_MIN]), causal4])

  for (let l = 0; l < nLayer; l++) {
    const w = (n: string, dims: number[], scale = 0.25, base = 0) =>
      b.weight(`model.layers.${l}.${n}`, dims, scale, base)
    const x = rmsNorm(h, w('input_layernorm.weight', [D], 0.1, 1))
    const q = rope(b.splitHeads(b.op('MatMul', [x, w('self_attn.q_proj.weight', [D, H * hd])]), s, H, hd))
    const k = rope(b.splitHeads(b.op('MatMul', [x, w('self_attn.k_proj.weight', [D, KV * hd])]), s, KV, hd))
    const v = b.splitHeads(b.op('MatMul', [x, w('self_attn.v_proj.weight', [D, KV * hd])]), s, KV, hd)
    const presentK = b.named(`present.${l}.key`, 'Concat', [past[l][0], k], { axis: 2 })
    const presentV = b.named(`present.${l}.value`, 'Concat', [past[l][1], v], { axis: 2 })
    // repeat_kv: [1, KV, T, d] → [1, KV, H/KV, T, d] → [1, H, T, d]
    const repeat = (t: string) =>
      b.op('Reshape', [
        b.op('Expand', [b.op('Unsqueeze', [t, b.ints([2])]), b.shape([1, KV, H / KV, T, hd])]),
        b.shape([1, H, T, hd]),
      ])
    const kk = b.op('Transpose', [repeat(presentK)], { perm: [0, 1, 3, 2] })
    let scores = b.op('Mul', [b.op('MatMul', [q, kk]), b.floats([1 / Math.sqrt(hd)])])
    scores = b.op('Add', [scores, attnMask])
    const probs = b.op('Softmax', [scores], { axis: -1 })
    const ctx = b.mergeHeads(b.op('MatMul', [probs, repeat(presentV)]), s, D)
    h = b.op('Add', [h, b.op('MatMul', [ctx, w('self_attn.o_proj.weight', [D, D])])])

    const y = rmsNorm(h, w('post_attention_layernorm.weight', [D], 0.1, 1))
    const gate = b.op('MatMul', [y, w('mlp.gate_proj.weight', [D, ffn])])
    const up = b.op('MatMul', [y, w('mlp.up_proj.weight', [D, ffn])])
    const act = b.op('Mul', [b.op('Mul', [gate, b.op('Sigmoid', [gate])]), up])
    h = b.op('Add', [h, b.op('MatMul', [act, w('mlp.down_proj.weight', [ffn, D])])])
  }
  const out = rmsNorm(h, b.weight('model.norm.weight', [D], 0.1, 1))
  b.named('logits', 'MatMul', [out, b.weight('lm_head.weight', [D, vocab], 0.5)])
  return b.encode('llama-tiny', 18)
}
