// Seeded adversarial fuzzing of generation receipts. Each case takes an honest receipt and either keeps
// it honest (a JSON round trip, reordered keys, a new informational adapter, re-signed) or plants one lie
// — in a token id, the count, the finish reason, the text, a hash, the parameters, the runtime, the
// version, an extra field, the signature — re-signing with its own key where that is the liar's best
// move. Checked as the CLI does (validate; re-generate when that passes): every lie is named by the check
// where it is, no honest receipt fails.
import { describe, expect, it } from 'vitest'
import { keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { mulberry32 } from '../util/random.ts'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportDecoderOnnx } from '../train/onnxDecoder.ts'
import { generationParams } from '../generate/params.ts'
import { byteTokenizer } from '../generate/tokenizer.ts'
import {
  createGenerationReceipt,
  signGenerationReceipt,
  tokenIdsHash,
  validateGenerationReceipt,
  verifyGeneration,
  type GenerationReceipt,
  type GenerationReceiptBody,
} from './generation.ts'
import { hashJson } from './training.ts'
import { TEST_TARGET as target } from './testing.ts'
import type { Check } from './validate.ts'

const CASES = 240
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const cfg: GptConfig = { vocab: 256, seqLen: 16, dModel: 16, nLayer: 1, nHead: 2 }
const model = exportDecoderOnnx(cfg, initParams(cfg, 6))
const params = generationParams({ max_tokens: 6, temperature: 1, seed: 2 })

type Lie = { lie: Check['name'] | null; what: string; receipt: unknown }

/** The body with its derived hashes and text redone: a liar's consistent edit. */
const redo = (b: GenerationReceiptBody): GenerationReceiptBody => ({
  ...b,
  parametersHash: hashJson(b.parameters),
  tokenIdsHash: tokenIdsHash(b.tokenIds),
  tokenCount: b.tokenIds.length,
})

async function plant(honest: GenerationReceipt, next: () => number): Promise<Lie> {
  const pick = <T>(xs: readonly T[]) => xs[next() % xs.length]
  const b = structuredClone(honest.body)
  const resign = async (body: GenerationReceiptBody) => signGenerationReceipt(body, account, target)
  const n = b.tokenIds.length
  const at = next() % n
  const other = (id: number) => (id + 1 + (next() % 255)) % 256
  switch (
    pick(['honest', 'token', 'rawToken', 'drop', 'append', 'finish', 'text', 'hash', 'param', 'field', 'sig'])
  ) {
    case 'honest': {
      const how = pick(['json', 'reorder', 'adapter'])
      if (how === 'json')
        return { lie: null, what: 'JSON round trip', receipt: JSON.parse(JSON.stringify(honest)) }
      if (how === 'reorder') {
        const body = Object.fromEntries(Object.entries(honest.body).reverse())
        return { lie: null, what: 'keys reordered', receipt: { ...honest, body } }
      }
      return { lie: null, what: 'another adapter', receipt: await resign({ ...b, adapter: 'GPU via Dawn' }) }
    }
    case 'token': {
      b.tokenIds[at] = other(b.tokenIds[at])
      b.text = byteTokenizer.decode(b.tokenIds)
      return { lie: 're-generation', what: `token ${at}, re-signed`, receipt: await resign(redo(b)) }
    }
    case 'rawToken':
      b.tokenIds[at] = other(b.tokenIds[at])
      return { lie: 'token ids hash', what: `token ${at}`, receipt: { ...honest, body: b } }
    case 'drop':
      b.tokenIds.pop()
      b.text = byteTokenizer.decode(b.tokenIds)
      return { lie: 're-generation', what: 'last token dropped, re-signed', receipt: await resign(redo(b)) }
    case 'append':
      b.parameters.max_tokens += 1
      b.tokenIds.push(next() % 256)
      b.text = byteTokenizer.decode(b.tokenIds)
      return { lie: 're-generation', what: 'a token appended, re-signed', receipt: await resign(redo(b)) }
    case 'finish':
      b.finishReason = 'stop'
      return { lie: 'finish reason', what: 'finish reason stop, re-signed', receipt: await resign(b) }
    case 'text':
      b.text += pick(['x', ' ', '\u00e9'])
      return { lie: 'text', what: 'text, re-signed', receipt: await resign(b) }
    case 'hash': {
      const k = pick(['promptHash', 'parametersHash', 'tokenIdsHash'] as const)
      b[k] = keccak256(toHex(next()))
      const name = {
        promptHash: 'prompt hash',
        parametersHash: 'parameters hash',
        tokenIdsHash: 'token ids hash',
      } as const
      return { lie: name[k], what: `${k}, re-signed`, receipt: await resign(b) }
    }
    case 'param': {
      const edit = pick([
        () => (b.parameters.max_tokens = 10_000),
        () => (b.parameters.top_p = 0),
        () => ((b.parameters as unknown as Record<string, unknown>).temperature = '1'),
        () => (b.parameters.stop = [''] as string[]),
      ])
      edit()
      return { lie: 'structure', what: 'parameters out of range, re-signed', receipt: await resign(redo(b)) }
    }
    case 'field': {
      const how = pick(['runtime', 'version', 'extra'])
      if (how === 'runtime')
        return {
          lie: 'structure',
          what: 'runtime',
          receipt: await resign({ ...b, runtime: 'other/1' as 'lockstep-generate/1' }),
        }
      if (how === 'version')
        return { lie: 'structure', what: 'version 2', receipt: { ...honest, version: 2 } }
      return { lie: 'structure', what: 'extra body field', receipt: { ...honest, body: { ...b, note: 'x' } } }
    }
    default: {
      const v = honest.signature.value
      const flipped = (v.slice(0, 10) + (parseInt(v[10], 16) ^ 1).toString(16) + v.slice(11)) as `0x${string}`
      return {
        lie: 'signature',
        what: 'signature bit',
        receipt: { ...honest, signature: { ...honest.signature, value: flipped } },
      }
    }
  }
}

describe('generation receipt fuzzing', () => {
  it(`names every planted lie and passes every honest receipt (${CASES} seeded cases)`, async () => {
    const honest = await createGenerationReceipt(model, byteTokenizer, 'In the', params, {
      uri: 'https://example.invalid/d.onnx',
      account,
      target,
    })
    const next = mulberry32(18)
    const missed: string[] = []
    let lies = 0
    for (let i = 0; i < CASES; i++) {
      const c = await plant(honest, next)
      const checks = await validateGenerationReceipt(c.receipt)
      const failed = checks.filter((x) => !x.ok).map((x) => x.name)
      if (!failed.length)
        failed.push(
          ...(await verifyGeneration(c.receipt as GenerationReceipt, { model }))
            .filter((x) => !x.ok)
            .map((x) => x.name),
        )
      if (c.lie) lies++
      const ok = c.lie === null ? failed.length === 0 : failed.includes(c.lie)
      if (!ok) missed.push(`case ${i} (${c.what}): expected ${c.lie ?? 'no failure'}, got [${failed}]`)
    }
    expect(missed).toEqual([])
    expect(lies).toBeGreaterThan(CASES / 2)
  }, 300_000)
})
