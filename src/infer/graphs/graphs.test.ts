// The test graphs that follow real exporters (GPT-2 and LLaMA decoders with a KV cache, a BERT encoder)
// run on the deterministic runtime and agree with onnxruntime-node within a measured tolerance, over a
// prefill and decode steps that feed each step's present.* back as past_key_values.*.
//
// Tolerance: the runtime's MatMul is the bq15 block-quantised matmul (docs/determinism.md), not f32, so
// outputs differ from onnxruntime's by its quantisation error. Measured (max |ours - ort| / max |ort|
// per output, every step): GPT-2 3.5e-4, LLaMA 3.2e-4, BERT 1.3e-4 (docs/onnx.md). Asserted below 2e-3,
// the bound the exported GPT's test already uses.
import ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { parseModel, type Tensor } from '../model.ts'
import { runModel } from '../run.ts'
import { BERT_TINY, bertEncoder } from './bert.ts'
import { GPT2_TINY, gpt2Decoder } from './gpt2.ts'
import { LLAMA_TINY, llamaDecoder } from './llama.ts'
import { decoderFeeds, gpt2Layout, int64, llamaLayout, nextCache, relativeError } from './testing.ts'

const TOLERANCE = 2e-3

const toOrt = (m: Map<string, Tensor>) =>
  Object.fromEntries(
    [...m].map(([k, t]) => [
      k,
      new ort.Tensor(t.type === 'float' ? 'float32' : t.type, t.data as never, t.dims),
    ]),
  )

/** Prefill `steps[0]`, then decode each further step, comparing every output with onnxruntime's. */
async function decodeAgainstOrt(
  bytes: Uint8Array,
  layout: Parameters<typeof decoderFeeds>[2],
  steps: number[][],
) {
  const model = parseModel(bytes)
  const session = await ort.InferenceSession.create(bytes)
  let cache = new Map<string, Tensor>()
  const errors: Record<string, number> = {}
  let past = 0
  for (const ids of steps) {
    const feeds = decoderFeeds(ids, cache, layout)
    const ours = runModel(model, feeds)
    const theirs = await session.run(toOrt(feeds))
    expect([...ours.keys()].sort()).toEqual(Object.keys(theirs).sort())
    for (const [name, t] of ours) {
      expect(t.dims, name).toEqual([...theirs[name].dims])
      const err = relativeError(t.data as Float32Array, theirs[name].data as Float32Array)
      expect(err, `${name} after ${past} cached`).toBeLessThan(TOLERANCE)
      errors[name] = Math.max(errors[name] ?? 0, err)
    }
    past += ids.length
    expect(ours.get('present.0.key')!.dims[2]).toBe(past)
    cache = nextCache(ours)
  }
  return errors
}

describe('test graphs of real exporters’ patterns, against onnxruntime-node', () => {
  it('GPT-2 decoder (position_ids given): prefill 5 tokens, then 2 decode steps on the KV cache', async () => {
    const errors = await decodeAgainstOrt(gpt2Decoder(), gpt2Layout(GPT2_TINY), [
      [3, 7, 11, 2, 40],
      [9],
      [17],
    ])
    console.log('[onnx] GPT-2 max relative error vs onnxruntime:', errors)
  })

  it('GPT-2 decoder (position_ids from attention_mask by CumSum): the same steps', async () => {
    const cfg = { ...GPT2_TINY, positionIds: false }
    await decodeAgainstOrt(gpt2Decoder(cfg), gpt2Layout(cfg), [[3, 7, 11, 2, 40], [9], [17]])
  })

  it('GPT-2 decoder with the causal mask sliced from a bool buffer (attn.bias): the same steps', async () => {
    const cfg = { ...GPT2_TINY, causalMask: 'bias' as const }
    await decodeAgainstOrt(gpt2Decoder(cfg), gpt2Layout(cfg), [[3, 7, 11, 2, 40], [9], [17]])
    // the two masks are the same mask: the logits are the Range graph's, bit for bit
    const feeds = decoderFeeds([3, 7, 11], new Map(), gpt2Layout(cfg))
    const [sliced, ranged] = [gpt2Decoder(cfg), gpt2Decoder()].map(
      (bytes) => runModel(parseModel(bytes), feeds).get('logits')!.data,
    )
    expect(sliced).toEqual(ranged)
  })

  it('GPT-2 decoder with left padding (attention_mask 0 on the first keys), as batched prompts come', async () => {
    const cfg = { ...GPT2_TINY, positionIds: false }
    const bytes = gpt2Decoder(cfg)
    const model = parseModel(bytes)
    const feeds = decoderFeeds([0, 0, 5, 6, 7], new Map(), { ...gpt2Layout(cfg), mask: [0, 0, 1, 1, 1] })
    const ours = runModel(model, feeds).get('logits')!.data as Float32Array
    const theirs = (await (await ort.InferenceSession.create(bytes)).run(toOrt(feeds))).logits
      .data as Float32Array
    // The real (unpadded) rows; padded rows see only masked keys and are not used by generation.
    const row = GPT2_TINY.vocab
    expect(relativeError(ours.subarray(2 * row), theirs.subarray(2 * row))).toBeLessThan(TOLERANCE)
    // Padding changes positions and visibility: the real rows differ from the unpadded prompt's.
    const plain = runModel(model, decoderFeeds([5, 6, 7], new Map(), gpt2Layout(cfg))).get('logits')!
    expect(relativeError(ours.subarray(2 * row), plain.data as Float32Array)).toBeLessThan(TOLERANCE)
  })

  it('LLaMA decoder (RMSNorm, rotary, grouped-query attention, SiLU): prefill 5, then 2 decode steps', async () => {
    const errors = await decodeAgainstOrt(llamaDecoder(), llamaLayout(LLAMA_TINY), [
      [3, 7, 11, 2, 30],
      [9],
      [17],
    ])
    console.log('[onnx] LLaMA max relative error vs onnxruntime:', errors)
  })

  it('BERT encoder (Erf GELU, mask by Cast/Sub/Where) with a padded attention_mask', async () => {
    const bytes = bertEncoder()
    const model = parseModel(bytes)
    const feeds = new Map([
      ['input_ids', int64([1, 6], [1, 5, 9, 33, 2, 0])],
      ['attention_mask', int64([1, 6], [1, 1, 1, 1, 1, 0])],
      ['token_type_ids', int64([1, 6], [0, 0, 0, 1, 1, 1])],
    ])
    const ours = runModel(model, feeds).get('last_hidden_state')!
    const theirs = (await (await ort.InferenceSession.create(bytes)).run(toOrt(feeds))).last_hidden_state
    expect(ours.dims).toEqual([1, 6, BERT_TINY.dModel])
    const err = relativeError(ours.data as Float32Array, theirs.data as Float32Array)
    console.log('[onnx] BERT max relative error vs onnxruntime:', err)
    expect(err).toBeLessThan(TOLERANCE)
  })

  it('decoding on the cache gives the full recompute’s logits within the tolerance (not always bit for bit)', () => {
    // bq15 quantises each block of K with a shared exponent: a new key can change the block exponent of
    // V's column, so a generation's bits depend on its step schedule (prefill length, then one by one).
    for (const [bytes, layout] of [
      [gpt2Decoder(), gpt2Layout(GPT2_TINY)],
      [llamaDecoder(), llamaLayout(LLAMA_TINY)],
    ] as const) {
      const model = parseModel(bytes)
      const full = runModel(model, decoderFeeds([3, 7, 11, 2, 30, 9], new Map(), layout)).get('logits')!
      const prefill = runModel(model, decoderFeeds([3, 7, 11, 2, 30], new Map(), layout))
      const step = runModel(model, decoderFeeds([9], nextCache(prefill), layout)).get('logits')!
      const last = (full.data as Float32Array).subarray(full.data.length - step.data.length)
      expect(relativeError(step.data as Float32Array, last)).toBeLessThan(TOLERANCE)
    }
  })
})
