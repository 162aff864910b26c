// The generation loop on decoders as exporters make them (src/infer/graphs/): the causal mask built in
// the graph from attention_mask (Range/LessOrEqual in the GPT-2 export, Trilu in the LLaMA one), no
// attention_bias input. A generation receipt on each re-generates, and a one-token lie is refused.
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { gpt2Decoder, GPT2_TINY } from '../infer/graphs/gpt2.ts'
import { llamaDecoder } from '../infer/graphs/llama.ts'
import { parseModel } from '../infer/model.ts'
import { createGenerationReceipt, verifyGeneration } from '../receipts/generation.ts'
import { TEST_TARGET as target, withTokenIds } from '../receipts/testing.ts'
import { decoderLayout } from './decoder.ts'
import { generationParams } from './params.ts'
import { byteTokenizer } from './tokenizer.ts'

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const graphs = {
  'GPT-2 (Range/LessOrEqual mask)': gpt2Decoder({ ...GPT2_TINY, causalMask: 'range' }),
  'GPT-2 (attn.bias slice, computed positions)': gpt2Decoder({
    ...GPT2_TINY,
    causalMask: 'bias',
    positionIds: false,
  }),
  'LLaMA (Trilu mask, rotary, GQA)': llamaDecoder(),
}

describe('generation on exporter-style decoders', () => {
  it.each(Object.entries(graphs))(
    '%s: a receipt re-generates; a one-token lie is refused',
    async (_, bytes) => {
      const layout = decoderLayout(parseModel(bytes))
      expect(layout.hasBias).toBe(false)
      // Prompt bytes are ids; these decoders' vocabularies are 40–48, so the prompt stays below them.
      const params = generationParams({ max_tokens: 6, temperature: 0.8, top_k: 8, seed: 11 })
      const r = await createGenerationReceipt(bytes, byteTokenizer, '\x01\x02\x03\x04', params, {
        uri: 'https://example.invalid/decoder.onnx',
        account,
        target,
      })
      expect(r.body.tokenCount).toBe(6)
      expect(await verifyGeneration(r, { model: bytes })).toEqual([expect.objectContaining({ ok: true })])

      const ids = [...r.body.tokenIds]
      ids[3] = (ids[3] + 1) % 32
      const lie = await withTokenIds(r, ids, account)
      expect((await verifyGeneration(lie, { model: bytes }))[0]).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/^first divergence at position 3:/),
      })
    },
  )
})
