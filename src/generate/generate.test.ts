import { describe, expect, it } from 'vitest'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportDecoderOnnx } from '../train/onnxDecoder.ts'
import { parseModel } from '../infer/model.ts'
import { runModel } from '../infer/run.ts'
import { decoderLayout, stepInputs } from './decoder.ts'
import { generate, generateAll, type GeneratedToken } from './generate.ts'
import { generationParams } from './params.ts'
import { argmax } from './sample.ts'
import { byteTokenizer } from './tokenizer.ts'

const cfg: GptConfig = { vocab: 256, seqLen: 32, dModel: 16, nLayer: 2, nHead: 2 }
const model = parseModel(exportDecoderOnnx(cfg, initParams(cfg, 3)))
const prompt = 'And God said'

describe('the generation loop', () => {
  it('greedy: each token is the argmax of re-running the whole sequence, streamed as it is made', async () => {
    const seen: GeneratedToken[] = []
    const g = await generateAll(model, byteTokenizer, prompt, generationParams({ max_tokens: 8 }), {
      onToken: (t) => seen.push(t),
    })
    expect(g.finishReason).toBe('length')
    expect(seen.map((t) => t.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(seen.map((t) => t.tokenId)).toEqual(g.tokenIds)
    expect(seen.at(-1)!.of).toBe(8)
    const layout = decoderLayout(model)
    const ids = byteTokenizer.encode(prompt)
    for (const want of g.tokenIds) {
      const logits = runModel(model, stepInputs(layout, ids, 0, null)).get('logits')!.data as Float32Array
      expect(argmax(logits.slice(-cfg.vocab))).toBe(want)
      ids.push(want)
    }
    expect(g.text).toBe(byteTokenizer.decode(g.tokenIds))
    expect(seen.map((t) => t.delta).join('')).toBe(g.text)
  })

  it('seeded sampling repeats for a seed and changes with it', async () => {
    const run = (seed: number) =>
      generateAll(model, byteTokenizer, prompt, generationParams({ max_tokens: 12, temperature: 1.5, seed }))
    const a = await run(1)
    expect((await run(1)).tokenIds).toEqual(a.tokenIds)
    expect((await run(2)).tokenIds).not.toEqual(a.tokenIds)
  })

  it('stops on eos, on a stop id, on a stop string (text cut before it), at max_tokens and at the context', async () => {
    const base = await generateAll(
      model,
      byteTokenizer,
      prompt,
      generationParams({ max_tokens: 6, temperature: 2, seed: 5 }),
    )
    const [, second, third] = base.tokenIds
    const opts = (p: Parameters<typeof generationParams>[0]) =>
      generateAll(
        model,
        byteTokenizer,
        prompt,
        generationParams({ max_tokens: 6, temperature: 2, seed: 5, ...p }),
      )
    const eos = await opts({ eos_token_ids: [second] })
    expect(eos.finishReason).toBe('eos')
    expect(eos.tokenIds).toEqual(base.tokenIds.slice(0, base.tokenIds.indexOf(second) + 1))
    expect(eos.text).toBe(byteTokenizer.decode(eos.tokenIds.slice(0, -1)))
    const stopId = await opts({ stop_token_ids: [third] })
    expect(stopId.finishReason).toBe('stop')
    expect(stopId.text).toBe(byteTokenizer.decode(stopId.tokenIds.slice(0, -1)))
    const stop = String.fromCharCode(second, third)
    const stopped = await opts({ stop: ['never', stop] })
    expect(stopped.finishReason).toBe('stop')
    expect(stopped.text).toBe(
      byteTokenizer.decode(stopped.tokenIds).slice(0, byteTokenizer.decode(stopped.tokenIds).indexOf(stop)),
    )
    // 28 prompt tokens in a context of 32: positions 28..31 take 4 more, and the 5th token is the last.
    const long = await generateAll(model, byteTokenizer, 'x'.repeat(28), generationParams({ max_tokens: 20 }))
    expect(long.finishReason).toBe('length')
    expect(long.tokenIds).toHaveLength(5)
  })

  it('refuses hostile parameters and prompts before the first step, by name', async () => {
    const first = (p: Parameters<typeof generationParams>[0], text = prompt) =>
      generate(model, byteTokenizer, text, generationParams(p)).next()
    await expect(first({ max_tokens: 1e6 })).rejects.toThrow(/max_tokens must be an integer from 1 to 4096/)
    await expect(first({ stop: Array(100).fill('x') })).rejects.toThrow(/stop must be a list of at most 16/)
    await expect(first({}, 'x'.repeat(40))).rejects.toThrow(
      /The prompt is 40 tokens; the model's context is 32/,
    )
    await expect(first({}, '')).rejects.toThrow(/The prompt has no tokens/)
  })
})
