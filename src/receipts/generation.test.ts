import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportDecoderOnnx } from '../train/onnxDecoder.ts'
import { generationParams } from '../generate/params.ts'
import { readFileSync } from 'node:fs'
import { byteTokenizer, hfTokenizer } from '../generate/tokenizer.ts'
import {
  createGenerationReceipt,
  signGenerationReceipt,
  tokenIdsHash,
  validateGenerationReceipt,
  verifyGeneration,
  type GenerationReceipt,
} from './generation.ts'
import { hashJson, signBody } from './training.ts'
import vectors from './vectors.json'
import { keccak256, toBytes, toHex } from 'viem'
import { draw, sample, weights } from '../generate/sample.ts'
import { fromJson, type JsonValue } from '../infer/json.ts'
import { TEST_TARGET as target } from './testing.ts'

const key = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const
const account = privateKeyToAccount(key)
const cfg: GptConfig = { vocab: 256, seqLen: 32, dModel: 16, nLayer: 2, nHead: 2 }
const model = exportDecoderOnnx(cfg, initParams(cfg, 3))
const params = generationParams({ max_tokens: 10, temperature: 0.8, top_k: 40, top_p: 0.95, seed: 11 })
const make = () =>
  createGenerationReceipt(model, byteTokenizer, 'And God said', params, {
    uri: 'https://example.invalid/decoder.onnx',
    account,
    target,
  })
const failed = async (r: unknown) =>
  (await validateGenerationReceipt(r)).filter((c) => !c.ok).map((c) => c.name)

/** A producer's consistent lie: one token changed, the text, hashes and signature redone. */
async function lie(r: GenerationReceipt, position: number, id: number): Promise<GenerationReceipt> {
  const b = structuredClone(r.body)
  b.tokenIds[position] = id
  b.tokenIdsHash = tokenIdsHash(b.tokenIds)
  b.text = byteTokenizer.decode(b.tokenIds)
  return signGenerationReceipt(b, account, target)
}

describe('generation receipts', () => {
  it('validate, and re-generate token by token to the same ids, finish reason and text', async () => {
    const streamed: number[] = []
    const r = await createGenerationReceipt(model, byteTokenizer, 'And God said', params, {
      uri: 'https://example.invalid/decoder.onnx',
      account,
      target,
      onToken: (t) => streamed.push(t.tokenId),
    })
    expect(r.body.tokenIds).toEqual(streamed)
    expect(r.body.tokenCount).toBe(r.body.tokenIds.length)
    expect(r.body.parametersHash).toBe(hashJson(params))
    expect(await failed(r)).toEqual([])
    const matched: boolean[] = []
    const checks = await verifyGeneration(r, { model, onToken: (t) => matched.push(t.match) })
    expect(checks).toEqual([expect.objectContaining({ name: 're-generation', ok: true })])
    expect(matched).toEqual(streamed.map(() => true))
  })

  it('a signed lie about one token validates, and verify names the first divergent position and both tokens', async () => {
    const r = await make()
    const wrong = (r.body.tokenIds[3] + 1) % 256
    const lied = await lie(r, 3, wrong)
    expect(await failed(lied)).toEqual([])
    const seen: number[] = []
    const [check] = await verifyGeneration(lied, { model, onToken: (t) => seen.push(t.position) })
    expect(check.name).toBe('re-generation')
    expect(check.ok).toBe(false)
    expect(check.detail).toContain(
      `first divergence at position 3: re-generated token ${r.body.tokenIds[3]} (${JSON.stringify(String.fromCharCode(r.body.tokenIds[3]))}), receipt says ${wrong}`,
    )
    expect(seen).toEqual([0, 1, 2, 3]) // it stops at the first difference
  })

  it('names each tampered field in validate', async () => {
    const r = await make()
    const t = structuredClone(r)
    t.body.tokenIds[0] = t.body.tokenIds[0] === 65 ? 66 : 65
    expect(await failed(t)).toEqual(['token ids hash', 'text', 'receipt hash'])
    const p = structuredClone(r)
    p.body.prompt = 'And God saw'
    expect(await failed(p)).toEqual(['prompt hash', 'receipt hash'])
    const q = structuredClone(r)
    q.body.parameters.seed = 12
    expect(await failed(q)).toEqual(['parameters hash', 'receipt hash'])
    const x = structuredClone(r)
    x.body.text += '!'
    expect(await failed(x)).toEqual(['text', 'receipt hash'])
    expect(
      (await validateGenerationReceipt(r, { chainId: 1 })).filter((c) => !c.ok).map((c) => c.name),
    ).toEqual(['chain'])
  })

  it('ends a hostile receipt fast, by name: huge max_tokens, a claimed length past it, another model', async () => {
    const r = await make()
    const huge = structuredClone(r)
    huge.body.parameters.max_tokens = 1e9
    const [structure] = await validateGenerationReceipt(huge)
    expect(structure.detail).toMatch(/max_tokens must be an integer from 1 to 4096/)
    expect((await verifyGeneration(huge, { model }))[0].detail).toMatch(/max_tokens must be an integer/)
    const long = structuredClone(r)
    long.body.tokenIds = new Array(11).fill(1)
    expect((await validateGenerationReceipt(long))[0].detail).toMatch(
      /tokenIds must hold 1 to max_tokens \(10\)/,
    )
    const lone = structuredClone(r)
    lone.body.prompt = 'And God said\ud800' // would hash (UTF-8) like U+FFFD
    expect((await validateGenerationReceipt(lone))[0].detail).toMatch(/prompt is not well-formed Unicode/)
    const other = exportDecoderOnnx(cfg, initParams(cfg, 4))
    expect((await verifyGeneration(r, { model: other }))[0]).toMatchObject({ name: 'model', ok: false })
    // A lie at the first token costs one forward pass, not the ten claimed.
    const t0 = performance.now()
    const first = await lie(r, 0, (r.body.tokenIds[0] + 1) % 256)
    const [check] = await verifyGeneration(first, { model })
    expect(check.detail).toMatch(/first divergence at position 0/)
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  it('with a tokenizer.json: the receipt names its hash, and verify needs that file', async () => {
    const file = new Uint8Array(
      readFileSync(new URL('../generate/fixtures/bpe.tokenizer.json', import.meta.url)),
    )
    const bpe = hfTokenizer(file)
    const big = { ...cfg, vocab: 280 } // the fixture's 275 ids, and a few the tokenizer does not know
    const decoder = exportDecoderOnnx(big, initParams(big, 8))
    const r = await createGenerationReceipt(decoder, bpe, 'And God said', params, {
      uri: 'https://example.invalid/decoder.onnx',
      tokenizerUri: 'https://example.invalid/tokenizer.json',
      account,
      target,
    })
    expect(r.body.tokenizer).toEqual({ hash: bpe.hash, uri: 'https://example.invalid/tokenizer.json' })
    expect(r.body.parameters.eos_token_ids).toEqual([])
    const checks = await validateGenerationReceipt(r, { tokenizer: bpe })
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.map((c) => c.name)).toContain('text')
    expect((await verifyGeneration(r, { model: decoder, tokenizer: bpe }))[0].ok).toBe(true)
    expect((await verifyGeneration(r, { model: decoder }))[0].detail).toMatch(/tokenizer .* is needed/)
    const wp = hfTokenizer(
      new Uint8Array(readFileSync(new URL('../generate/fixtures/wordpiece.tokenizer.json', import.meta.url))),
    )
    expect((await verifyGeneration(r, { model: decoder, tokenizer: wp }))[0].detail).toMatch(
      /the tokenizer hashes to/,
    )
  })
})

describe('generation test vectors, version 1 (docs/receipts.md)', () => {
  it('reproduce the token ids encoding and hash, the canonical body, the receipt hash and the signature', async () => {
    const v = vectors.generation
    expect(
      toHex(
        new Uint8Array(
          v.body.tokenIds.flatMap((id) => [id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]),
        ),
      ),
    ).toBe(vectors.generation_tokenIdsEncoding)
    expect(keccak256(vectors.generation_tokenIdsEncoding as `0x${string}`)).toBe(v.body.tokenIdsHash)
    expect(tokenIdsHash(v.body.tokenIds)).toBe(v.body.tokenIdsHash)
    expect(keccak256(toBytes(v.body.prompt))).toBe(v.body.promptHash)
    expect(hashJson(v.body.parameters)).toBe(v.body.parametersHash)
    expect(keccak256(toBytes(vectors.generation_canonicalBody))).toBe(v.receiptHash)
    expect(hashJson(v.body)).toBe(v.receiptHash)
    expect((await signBody(v.kind, v.body, account, target)).signature.value).toBe(v.signature.value)
    // The vector's kernels hash is made up (0xaa…): every other check passes, the text included.
    const checks = await validateGenerationReceipt(v)
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['kernels'])
    expect(checks.map((c) => c.name)).toContain('text')
  })

  it('reproduce the sampler: integer weights, the keccak draw and the token', () => {
    for (const c of vectors.sampling) {
      const logits = Float32Array.from(c.logits as JsonValue[], fromJson)
      if (c.weights) expect(weights(logits, c.parameters.temperature)).toEqual(c.weights)
      expect(toHex(draw(c.parameters.seed, c.step), { size: 32 })).toBe(c.draw)
      expect(sample(logits, c.parameters, c.step)).toBe(c.token)
    }
  })
})
