// The verification worker: validates a receipt and re-executes it on the CPU reference (same bits as
// any GPU), reporting each check as it completes, so a verifier needs no GPU and no install.
import { expose } from 'comlink'
import { carryErrors } from '../src/errors/transfer.ts'
import { CheckpointError } from '../src/errors/train.ts'
import { fetchCorpus, type Corpus } from '../src/train/corpus.ts'
import { validateTrainingReceipt, type Check } from '../src/receipts/validate.ts'
import {
  replayTrainingReceipt,
  sampleSteps,
  spotCheckSeed,
  spotCheckTrainingReceipt,
  type ReplayResult,
} from '../src/receipts/replay.ts'
import { checkpointBytes, decodeCheckpoint } from '../src/swarm/protocol/codec.ts'
import type { Checkpoint } from '../src/train/trainer.ts'
import type { Hex } from 'viem'
import {
  INFERENCE_RECEIPT,
  validateInferenceReceipt,
  verifyInference,
  type InferenceReceipt,
} from '../src/receipts/inference.ts'
import type { TrainingReceipt } from '../src/receipts/training.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { fetchModel } from '../src/receipts/fetchModel.ts'
import {
  GENERATION_RECEIPT,
  validateGenerationReceipt,
  verifyGeneration,
  type GenerationReceipt,
  type RegeneratedToken,
} from '../src/receipts/generation.ts'
import { builtinModel, isBuiltinModel } from '../src/generate/builtin.ts'
import type { Runner } from '../src/generate/decoder.ts'
import { gpuRunner } from '../src/generate/gpu.ts'
import { Gpu } from '../src/gpu/runtime.ts'
import { keccak256Hex } from '../src/util/keccak.ts'
import { BYTE_TOKENIZER_HASH, byteTokenizer, hfTokenizer, type Tokenizer } from '../src/generate/tokenizer.ts'
import { knownKernels } from '../src/receipts/releases.ts'

carryErrors()

export interface VerifyEvent {
  check?: Check
  progress?: { done: number; total: number }
  /** A generation receipt's re-generated token, as it is compared with the receipt's. */
  token?: RegeneratedToken
}

const api = {
  async verify(
    text: string,
    options: {
      /** The corpus to replay on; the replay refuses it unless it is the one the receipt names. */
      corpus: Corpus
      corpusUrl: string
      modelBytes?: Uint8Array
      /** A generation receipt's tokenizer.json, when it is not fetched from the receipt's URI. */
      tokenizerBytes?: Uint8Array
      /** Re-generate a generation receipt on this tab's GPU kernels (same bits as the CPU reference). */
      useGpu?: boolean
      /** The producer's published checkpoints (.lscp): spot-check `spot` steps from them instead of replaying all. */
      checkpoints?: Uint8Array[]
      spot?: number
      seed?: Hex
    },
    onEvent: (e: VerifyEvent) => void,
  ): Promise<{ ok: boolean; kind: string }> {
    let receipt: unknown
    try {
      receipt = JSON.parse(text)
    } catch (e) {
      onEvent({
        check: { name: 'structure', ok: false, detail: `not JSON: ${e instanceof Error ? e.message : e}` },
      })
      return { ok: false, kind: 'unknown' }
    }
    const kind = String((receipt as { kind?: unknown })?.kind ?? 'unknown')
    if (kind === GENERATION_RECEIPT) {
      const ok = await verifyGenerationReceipt(receipt, options, onEvent)
      return { ok, kind }
    }
    const isInference = kind === INFERENCE_RECEIPT
    const checks = isInference
      ? await validateInferenceReceipt(receipt)
      : await validateTrainingReceipt(receipt)
    checks.forEach((check) => onEvent({ check }))
    if (checks.some((c) => !c.ok)) return { ok: false, kind }
    if (isInference) {
      const r = receipt as InferenceReceipt
      let bytes = options.modelBytes
      if (!bytes) {
        try {
          // The same limits as the CLI; this page's own origin may be local (a dev server on loopback).
          bytes = await fetchModel(r.body.model.uri, { allowOrigin: self.location.origin })
        } catch (e) {
          const why = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e)
          onEvent({
            check: {
              name: 'output hash',
              ok: false,
              detail: `cannot fetch the model from ${r.body.model.uri} (${why}); choose the model file`,
            },
          })
          return { ok: false, kind }
        }
      }
      const [check] = verifyInference(r, bytes)
      onEvent({ check })
      return { ok: check.ok, kind }
    }
    const r = receipt as TrainingReceipt
    const corpus = await fetchCorpus(options.corpus, options.corpusUrl)
    if (options.checkpoints?.length) {
      const spot = await spotCheck(r, corpus, options.checkpoints, options.spot ?? 3, options.seed, onEvent)
      onEvent({
        check: {
          name: 're-execution',
          ok: spot.ok,
          detail: `on the CPU reference with release ${releaseOf(r)}: ${spot.detail}`,
        },
      })
      return { ok: spot.ok, kind }
    }
    const total = r.body.stepHashes.length
    const result = await replayTrainingReceipt(r, cpuBackend, corpus, {
      onStep: (v) => onEvent({ progress: { done: v.step - r.body.startStep, total } }),
    })
    onEvent({
      check: {
        name: 're-execution',
        ok: result.ok,
        detail: `on the CPU reference with release ${releaseOf(r)}: ${result.detail}`,
      },
    })
    return { ok: result.ok, kind }
  },
}

/**
 * A generation receipt: validate (hashes, signature, text), then re-generate on the CPU reference, each
 * token reported as it matches. The model comes from its built-in URI, the chosen file or a fetch under
 * the CLI's limits; the tokenizer likewise (the byte-level one needs nothing).
 */
async function verifyGenerationReceipt(
  receipt: unknown,
  options: { modelBytes?: Uint8Array; tokenizerBytes?: Uint8Array; useGpu?: boolean },
  onEvent: (e: VerifyEvent) => void,
): Promise<boolean> {
  const r = receipt as GenerationReceipt
  const fail = (name: Check['name'], detail: string) => (
    onEvent({ check: { name, ok: false, detail } }),
    false
  )
  const why = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e))
  const fetchOpts = { allowOrigin: self.location.origin }
  let tokenizer: Tokenizer | undefined
  try {
    const uri = r?.body?.tokenizer?.uri
    // The bytes must be the receipt's tokenizer before anything parses them.
    const load = (bytes: Uint8Array) => {
      const hash = keccak256Hex([bytes])
      if (hash !== r.body.tokenizer.hash)
        throw new Error(`the tokenizer file hashes to ${hash}, the receipt names ${r.body.tokenizer.hash}`)
      return hfTokenizer(bytes)
    }
    if (r?.body?.tokenizer?.hash === BYTE_TOKENIZER_HASH) tokenizer = byteTokenizer
    else if (options.tokenizerBytes) tokenizer = load(options.tokenizerBytes)
    else if (typeof uri === 'string' && /^https?:/.test(uri))
      tokenizer = load(await fetchModel(uri, fetchOpts))
  } catch (e) {
    return fail('tokenizer', `cannot read the tokenizer (${why(e)}); choose its tokenizer.json`)
  }
  const checks = await validateGenerationReceipt(receipt, { tokenizer })
  checks.forEach((check) => onEvent({ check }))
  if (checks.some((c) => !c.ok)) return false
  if (!tokenizer)
    return fail('tokenizer', `the tokenizer ${r.body.tokenizer.uri} is needed: choose its tokenizer.json`)
  let model = options.modelBytes
  try {
    model ??= isBuiltinModel(r.body.model.uri)
      ? builtinModel(r.body.model.uri)
      : await fetchModel(r.body.model.uri, fetchOpts)
  } catch (e) {
    return fail('model', `cannot fetch the model from ${r.body.model.uri} (${why(e)}); choose the model file`)
  }
  const total = r.body.tokenCount
  let runner: Runner | undefined
  if (options.useGpu) {
    try {
      runner = gpuRunner(await Gpu.create())
    } catch (e) {
      return fail(
        're-generation',
        `this tab's GPU is not available (${why(e)}); re-generate on the CPU reference`,
      )
    }
  }
  const result = await verifyGeneration(r, {
    model,
    tokenizer,
    runner,
    onToken: (token) => onEvent({ token, progress: { done: token.position + 1, total } }),
  })
  result.forEach((check) => onEvent({ check }))
  return result.every((c) => c.ok)
}

/** The release a validated receipt names (its `kernels` check passed), for the re-execution's line. */
const releaseOf = (r: TrainingReceipt) => {
  const { release } = knownKernels(r.body.kernelsHash, { training: true })
  return release ? `${release.id} (kernels ${release.kernelsHash})` : r.body.kernelsHash
}

/** A spot check from published checkpoints, each decoded under a bound set by the receipt's config. */
async function spotCheck(
  r: TrainingReceipt,
  corpus: Uint8Array,
  files: Uint8Array[],
  k: number,
  given: Hex | undefined,
  onEvent: (e: VerifyEvent) => void,
): Promise<ReplayResult> {
  const found = new Map<number, Checkpoint>()
  try {
    for (const bytes of files) {
      const c = decodeCheckpoint(bytes, checkpointBytes(r.body.config) + 4096)
      found.set(c.step, c)
    }
  } catch (e) {
    return {
      ok: false,
      detail: `a checkpoint file is unreadable: ${e instanceof Error ? e.message : e}`,
      steps: [],
    }
  }
  const steps = [...found.keys()].sort((a, b) => a - b)
  // Fresh randomness unless a seed is given: the producer published its checkpoints before this draw.
  const { seed } = spotCheckSeed({ given })
  const drawn = new Set(sampleSteps(r, k, seed))
  let done = 0
  try {
    const result = await spotCheckTrainingReceipt(
      r,
      cpuBackend,
      corpus,
      async (s) => {
        const at = steps.filter((c) => c <= s).at(-1)
        if (at === undefined) throw new CheckpointError(`No checkpoint at or before step ${s}.`)
        return found.get(at)!
      },
      {
        k,
        seed,
        onStep: (v) => drawn.has(v.step) && onEvent({ progress: { done: ++done, total: drawn.size } }),
      },
    )
    return {
      ...result,
      detail: `spot check of steps ${result.sampled.join(', ')} (seed ${seed}): ${result.detail}`,
    }
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e), steps: [] }
  }
}

export type VerifyWorkerApi = typeof api

expose(api)
