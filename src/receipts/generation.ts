// Generation receipts, version 1 (docs/receipts.md, "Generation receipt"): a decoder (by hash, with a
// URI), its tokenizer (by hash), the prompt, the sampling parameters, the generated ids, why it stopped
// and the text, on the deterministic runtime; signed with EIP-712 by the producer. `verify` re-generates
// and names the first position where a token differs.
import type { Address, Hex } from 'viem'
import { hashJson, signBody, type Eip712Signature, type ReceiptSigner } from './training.ts'
import { commonChecks, isHash, signedEnvelopeProblem, type Check, type ValidateOptions } from './validate.ts'
import { localRelease, resolveRelease, type Release, type ReleaseManifest } from './releases.ts'
import { GENERATION_LIMITS } from './limits.ts'
import { parseModel, type Model } from '../infer/model.ts'
import type { InferLimits } from '../infer/plan.ts'
import { isWellFormed } from '../infer/json.ts'
import { generate, type GenerateOptions, type GeneratedToken, type Generation } from '../generate/generate.ts'
import type { Runner } from '../generate/decoder.ts'
import {
  FINISH_REASONS,
  finishedText,
  paramsProblem,
  type FinishReason,
  type GenerationParams,
} from '../generate/params.ts'
import {
  BYTE_TOKENIZER_HASH,
  BYTE_TOKENIZER_URI,
  byteTokenizer,
  type Tokenizer,
} from '../generate/tokenizer.ts'
import { keccak256Hex } from '../util/keccak.ts'

export const GENERATION_RECEIPT = 'lockstep/generation-receipt'
export const GENERATION_VERSION = 1
/** The decoder loop and sampler of docs/receipts.md on the runtime lockstep-cpu-reference/1. */
export const GENERATION_RUNTIME = 'lockstep-generate/1'

export interface GenerationReceiptBody {
  model: { hash: Hex; uri: string }
  tokenizer: { hash: Hex; uri: string }
  prompt: string
  /** keccak256(utf8(prompt)). */
  promptHash: Hex
  parameters: GenerationParams
  parametersHash: Hex
  tokenIds: number[]
  /** keccak256 of the ids as uint32 big-endian, concatenated. */
  tokenIdsHash: Hex
  tokenCount: number
  finishReason: FinishReason
  text: string
  runtime: typeof GENERATION_RUNTIME
  kernelsHash: Hex
  /** Informational only: where the producer ran it. */
  adapter: string
  producer: Address
}

export interface GenerationReceipt {
  kind: typeof GENERATION_RECEIPT
  version: typeof GENERATION_VERSION
  body: GenerationReceiptBody
  receiptHash: Hex
  signature: Eip712Signature
}

const utf8 = new TextEncoder()
export const promptHash = (prompt: string): Hex => keccak256Hex([utf8.encode(prompt)])

export function tokenIdsHash(ids: readonly number[]): Hex {
  const bytes = new Uint8Array(ids.length * 4)
  const view = new DataView(bytes.buffer)
  ids.forEach((id, i) => view.setUint32(i * 4, id))
  return keccak256Hex([bytes])
}

/** The body for a finished generation (all hashes derived here). */
export function generationBody(o: {
  model: { bytes: Uint8Array; uri: string }
  tokenizer: { hash: Hex; uri: string }
  prompt: string
  parameters: GenerationParams
  generation: Generation
  adapter?: string
  producer: Address
  /** The release the generation ran under (default this library's own). */
  release?: Release
}): GenerationReceiptBody {
  const { tokenIds, finishReason, text } = o.generation
  return {
    model: { hash: keccak256Hex([o.model.bytes]), uri: o.model.uri },
    tokenizer: { ...o.tokenizer },
    prompt: o.prompt,
    promptHash: promptHash(o.prompt),
    parameters: o.parameters,
    parametersHash: hashJson(o.parameters),
    tokenIds: [...tokenIds],
    tokenIdsHash: tokenIdsHash(tokenIds),
    tokenCount: tokenIds.length,
    finishReason,
    text,
    runtime: GENERATION_RUNTIME,
    kernelsHash: (o.release ?? localRelease()).kernelsHash,
    adapter: o.adapter ?? 'CPU reference',
    producer: o.producer,
  }
}

/**
 * Generates (streaming each token to `onToken`) and signs the receipt: the producer's whole path, the
 * same loop `verifyGeneration` runs.
 */
export async function createGenerationReceipt(
  modelBytes: Uint8Array,
  tokenizer: Tokenizer,
  prompt: string,
  parameters: GenerationParams,
  options: GenerateOptions & {
    uri: string
    /** Where the tokenizer.json is served; the byte-level tokenizer's is fixed. */
    tokenizerUri?: string
    account: ReceiptSigner
    target: { chainId: number; verifyingContract: Address }
    adapter?: string
    onToken?: (t: GeneratedToken) => void
    /** The release to run and name (default this library's own). */
    release?: Release
  },
): Promise<GenerationReceipt> {
  const release = options.release ?? localRelease()
  const it = generate(parseModel(modelBytes, release.ops), tokenizer, prompt, parameters, {
    ...options,
    ops: release.ops,
  })
  let next = await it.next()
  for (; !next.done; next = await it.next()) options.onToken?.(next.value)
  const uri = tokenizer.hash === BYTE_TOKENIZER_HASH ? BYTE_TOKENIZER_URI : (options.tokenizerUri ?? '')
  const body = generationBody({
    model: { bytes: modelBytes, uri: options.uri },
    tokenizer: { hash: tokenizer.hash, uri },
    prompt,
    parameters,
    generation: next.value,
    adapter: options.adapter,
    producer: options.account.address,
    release,
  })
  return signGenerationReceipt(body, options.account, options.target)
}

export async function signGenerationReceipt(
  body: GenerationReceiptBody,
  account: ReceiptSigner,
  target: { chainId: number; verifyingContract: Address },
): Promise<GenerationReceipt> {
  const signed = await signBody(GENERATION_RECEIPT, body, account, target)
  return { kind: GENERATION_RECEIPT, version: GENERATION_VERSION, body, ...signed }
}

const BODY_KEYS = [
  'model',
  'tokenizer',
  'prompt',
  'promptHash',
  'parameters',
  'parametersHash',
  'tokenIds',
  'tokenIdsHash',
  'tokenCount',
  'finishReason',
  'text',
  'runtime',
  'kernelsHash',
  'adapter',
  'producer',
]
const ref = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  isHash((v as { hash: unknown }).hash) &&
  typeof (v as { uri: unknown }).uri === 'string'

/** Why `value` is not a well-formed version-1 generation receipt within the verifier's caps, or null. */
export function generationStructureProblem(value: unknown): string | null {
  const r = value as GenerationReceipt
  if (typeof r !== 'object' || r === null) return 'not a JSON object'
  if (r.kind !== GENERATION_RECEIPT)
    return `kind is ${JSON.stringify(r.kind)}, expected "${GENERATION_RECEIPT}"`
  if (r.version !== GENERATION_VERSION) return `unsupported version ${JSON.stringify(r.version)}`
  const extra = Object.keys(r).find(
    (k) => !['kind', 'version', 'body', 'receiptHash', 'signature'].includes(k),
  )
  if (extra) return `${extra} is not a receipt field`
  const b = r.body
  if (typeof b !== 'object' || b === null) return 'body is missing'
  const extraBody = Object.keys(b).find((k) => !BODY_KEYS.includes(k))
  if (extraBody) return `body.${extraBody} is not a receipt field`
  if (!ref(b.model)) return 'body.model needs a 32-byte hash and a uri'
  if (!ref(b.tokenizer)) return 'body.tokenizer needs a 32-byte hash and a uri'
  if (typeof b.prompt !== 'string' || utf8.encode(b.prompt).length > GENERATION_LIMITS.promptBytes)
    return `body.prompt must be a string of at most ${GENERATION_LIMITS.promptBytes} bytes`
  // promptHash hashes UTF-8: a lone surrogate would hash like U+FFFD, so two prompts would share a hash.
  if (!isWellFormed(b.prompt)) return 'body.prompt is not well-formed Unicode (a lone surrogate)'
  const params = paramsProblem(b.parameters)
  if (params) return `body.parameters: ${params}`
  if (!Array.isArray(b.tokenIds) || b.tokenIds.length < 1 || b.tokenIds.length > b.parameters.max_tokens)
    return `body.tokenIds must hold 1 to max_tokens (${b.parameters.max_tokens}) ids`
  if (!b.tokenIds.every((id) => Number.isSafeInteger(id) && id >= 0 && id < 2 ** 32))
    return 'body.tokenIds must be integers from 0 to 2^32 - 1'
  if (b.tokenCount !== b.tokenIds.length)
    return `body.tokenCount is ${b.tokenCount}; tokenIds holds ${b.tokenIds.length}`
  if (!FINISH_REASONS.includes(b.finishReason))
    return `body.finishReason must be one of ${FINISH_REASONS.join(', ')}`
  if (b.finishReason === 'eos' && !b.parameters.eos_token_ids.includes(b.tokenIds.at(-1)!))
    return 'body.finishReason is eos but the last id is not one of eos_token_ids'
  if (typeof b.text !== 'string' || !isWellFormed(b.text)) return 'body.text must be well-formed Unicode'
  if (b.runtime !== GENERATION_RUNTIME)
    return `body.runtime is ${JSON.stringify(b.runtime)}; this verifier runs "${GENERATION_RUNTIME}"`
  if (typeof b.adapter !== 'string') return 'body.adapter must be a string'
  for (const k of ['promptHash', 'parametersHash', 'tokenIdsHash', 'kernelsHash'] as const)
    if (!isHash(b[k])) return `body.${k} is not a 32-byte hash`
  return signedEnvelopeProblem(r, b.producer)
}

/**
 * Every check that needs no model: structure and caps, the hashes recomputed, the text decoded from the
 * ids (with `tokenizer`; the byte-level one is built in, a tokenizer.json must be passed), the signature.
 */
export async function validateGenerationReceipt(
  value: unknown,
  options: ValidateOptions & { tokenizer?: Tokenizer } = {},
): Promise<Check[]> {
  const problem = generationStructureProblem(value)
  if (problem) return [{ name: 'structure', ok: false, detail: problem }]
  const r = value as GenerationReceipt
  const b = r.body
  const checks: Check[] = [{ name: 'structure', ok: true, detail: 'a version-1 generation receipt' }]
  const compare = (name: Check['name'], got: string, want: string) =>
    checks.push({
      name,
      ok: got === want,
      detail: got === want ? got : `recomputed ${got}, receipt says ${want}`,
    })
  compare('prompt hash', promptHash(b.prompt), b.promptHash)
  compare('parameters hash', hashJson(b.parameters), b.parametersHash)
  compare('token ids hash', tokenIdsHash(b.tokenIds), b.tokenIdsHash)
  const tokenizer =
    options.tokenizer ?? (b.tokenizer.hash === BYTE_TOKENIZER_HASH ? byteTokenizer : undefined)
  if (tokenizer) checks.push(textCheck(b, tokenizer))
  compare('receipt hash', hashJson(b), r.receiptHash)
  checks.push(...(await commonChecks(GENERATION_RECEIPT, r, b.producer, b.kernelsHash, options)))
  return checks
}

function textCheck(b: GenerationReceiptBody, tokenizer: Tokenizer): Check {
  if (tokenizer.hash !== b.tokenizer.hash)
    return {
      name: 'tokenizer',
      ok: false,
      detail: `the tokenizer hashes to ${tokenizer.hash}, the receipt names ${b.tokenizer.hash}`,
    }
  try {
    const text = finishedText(tokenizer, b.tokenIds, b.finishReason, b.parameters)
    return text === b.text
      ? { name: 'text', ok: true, detail: `the ids decode to the receipt's ${text.length} characters` }
      : {
          name: 'text',
          ok: false,
          detail: `the ids decode to ${JSON.stringify(text.slice(0, 80))}, receipt says ${JSON.stringify(b.text.slice(0, 80))}`,
        }
  } catch (e) {
    return {
      name: 'text',
      ok: false,
      detail: `the ids do not decode: ${e instanceof Error ? e.message.split('\n')[0] : e}`,
    }
  }
}

/** A token of the re-generation beside the receipt's at its position. */
export interface RegeneratedToken {
  position: number
  tokenId: number
  expected: number | undefined
  match: boolean
  /** The re-generation's text so far. */
  text: string
}

export interface VerifyGenerationOptions {
  /** The decoder's bytes (the verifier fetches or reads them; checked against body.model.hash). */
  model: Uint8Array
  /** Default: the byte-level tokenizer, when the receipt names it. */
  tokenizer?: Tokenizer
  /** Default: the CPU references; gpuRunner(gpu) for the GPU kernels (same bits). */
  runner?: Runner
  /** The releases this verifier runs (default RELEASES); the receipt's kernelsHash picks one. */
  releases?: ReleaseManifest
  limits?: InferLimits
  /** Each re-generated token as it is compared with the receipt's. */
  onToken?: (t: RegeneratedToken) => void
  signal?: AbortSignal
}

const show = (tokenizer: Tokenizer, id: number | undefined) => {
  if (id === undefined) return 'nothing'
  try {
    return `${id} (${JSON.stringify(tokenizer.decode([id]))})`
  } catch {
    return String(id)
  }
}

/**
 * Re-generates from the receipt's prompt and parameters and compares token by token, stopping at the
 * first difference (a receipt claiming thousands of tokens costs a liar's first wrong one). A model or
 * tokenizer the loop refuses fails 're-generation' with the error's name.
 */
export async function verifyGeneration(r: GenerationReceipt, o: VerifyGenerationOptions): Promise<Check[]> {
  const problem = generationStructureProblem(r)
  if (problem) return [{ name: 'structure', ok: false, detail: problem }]
  const b = r.body
  const modelHash = keccak256Hex([o.model])
  if (modelHash !== b.model.hash)
    return [
      {
        name: 'model',
        ok: false,
        detail: `the model file hashes to ${modelHash}, the receipt names ${b.model.hash}`,
      },
    ]
  const tokenizer = o.tokenizer ?? (b.tokenizer.hash === BYTE_TOKENIZER_HASH ? byteTokenizer : undefined)
  if (!tokenizer)
    return [
      {
        name: 'tokenizer',
        ok: false,
        detail: `the receipt's tokenizer ${b.tokenizer.uri} is needed to re-generate`,
      },
    ]
  if (tokenizer.hash !== b.tokenizer.hash)
    return [
      {
        name: 'tokenizer',
        ok: false,
        detail: `the tokenizer hashes to ${tokenizer.hash}, the receipt names ${b.tokenizer.hash}`,
      },
    ]
  const fail = (detail: string): Check[] => [{ name: 're-generation', ok: false, detail }]
  // The release the receipt names runs: an older library's receipts keep re-generating (releases.ts).
  let release: Release
  try {
    release = resolveRelease(b.kernelsHash, o.releases)
  } catch (e) {
    return [{ name: 'kernels', ok: false, detail: e instanceof Error ? e.message.split('\n')[0] : String(e) }]
  }
  let model: Model
  let done: Generation | undefined
  try {
    model = parseModel(o.model, release.ops)
    const options: GenerateOptions = {
      runner: o.runner,
      limits: o.limits,
      signal: o.signal,
      ops: release.ops,
    }
    const it = generate(model, tokenizer, b.prompt, b.parameters, options)
    for (;;) {
      const next = await it.next()
      if (next.done) {
        done = next.value
        break
      }
      const { position, tokenId, text } = next.value
      const expected = b.tokenIds[position]
      const match = expected === tokenId
      o.onToken?.({ position, tokenId, expected, match, text })
      if (!match)
        return fail(
          `first divergence at position ${position}: re-generated token ${show(tokenizer, tokenId)}, receipt says ${show(tokenizer, expected)}`,
        )
    }
  } catch (e) {
    const named = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e)
    return fail(`the runtime refused it: ${named}`)
  }
  if (done.tokenIds.length !== b.tokenIds.length)
    return fail(
      `first divergence at position ${done.tokenIds.length}: re-generation finished (${done.finishReason}), receipt says ${show(tokenizer, b.tokenIds[done.tokenIds.length])}`,
    )
  if (done.finishReason !== b.finishReason)
    return [
      {
        name: 'finish reason',
        ok: false,
        detail: `re-generation finished with ${done.finishReason}, receipt says ${b.finishReason}`,
      },
    ]
  if (done.text !== b.text)
    return [
      {
        name: 'text',
        ok: false,
        detail: `re-generated text ${JSON.stringify(done.text.slice(0, 80))} differs from the receipt's`,
      },
    ]
  return [
    {
      name: 're-generation',
      ok: true,
      detail: `${done.tokenIds.length} tokens re-generated and equal (${done.finishReason}) with release ${release.id} (kernels ${release.kernelsHash})`,
    },
  ]
}
