// `lockstep generate`: text from an ONNX decoder on the deterministic runtime, streamed to stderr as it
// is made, and a signed generation receipt; and the generation half of `lockstep verify` (re-generate
// and compare token by token).
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Address } from 'viem'
import type { LocalAccount } from 'viem/accounts'
import { UsageError } from '../errors/cli.ts'
import { cpuRunner } from '../generate/decoder.ts'
import { gpuRunner } from '../generate/gpu.ts'
import { generationParams, paramsProblem, type GenerationParams } from '../generate/params.ts'
import { builtinModel, isBuiltinModel } from '../generate/builtin.ts'
import { keccak256Hex } from '../util/keccak.ts'
import { BYTE_TOKENIZER_HASH, hfTokenizer, loadTokenizer, type Tokenizer } from '../generate/tokenizer.ts'
import { fetchModel } from '../receipts/fetchModel.ts'
import { nodeTransport } from './fetchNode.ts'
import {
  createGenerationReceipt,
  validateGenerationReceipt,
  verifyGeneration,
  type GenerationReceipt,
} from '../receipts/generation.ts'
import type { ValidateOptions } from '../receipts/validate.ts'
import { flag, flags, oneLine, report } from './args.ts'
import { cliBackend } from './backend.ts'

const number = (args: string[], name: string): number | undefined => {
  const v = flag(args, name)
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} ${v} is not a number`)
  return n
}

/** The parameters from the flags, checked as a verifier checks them (bad ones are usage errors). */
export function paramsFromFlags(args: string[], tokenizer: Tokenizer): GenerationParams {
  const ids = (name: string) => flags(args, name).map((v) => number([`--${name}`, v], name)!)
  const eos = ids('eos')
  const p = generationParams({
    temperature: number(args, 'temperature'),
    top_k: number(args, 'top-k'),
    top_p: number(args, 'top-p'),
    seed: number(args, 'seed'),
    max_tokens: number(args, 'max-tokens'),
    stop: flags(args, 'stop'),
    stop_token_ids: ids('stop-id'),
    eos_token_ids: eos.length ? eos : args.includes('--no-eos') ? [] : tokenizer.eos,
  })
  const problem = paramsProblem(p)
  if (problem) throw new UsageError(problem)
  return p
}

function tokenizerFrom(args: string[]): { tokenizer: Tokenizer; file?: string } {
  const given = flag(args, 'tokenizer')
  if (given === undefined || given === 'byte') return { tokenizer: loadTokenizer('byte') }
  if (!statSync(given).isFile()) throw new UsageError(`--tokenizer ${given} is not a file`)
  return { tokenizer: loadTokenizer(new Uint8Array(readFileSync(given))), file: given }
}

export async function generateCommand(
  args: string[],
  account: LocalAccount,
  target: { chainId: number; verifyingContract: Address },
): Promise<number> {
  const [modelFile, prompt, out] = [flag(args, 'model'), flag(args, 'prompt'), flag(args, 'out')]
  if (!modelFile || prompt === undefined || !out)
    throw new UsageError('generate needs --model, --prompt and --out')
  const { tokenizer, file } = tokenizerFrom(args)
  const parameters = paramsFromFlags(args, tokenizer)
  const backend = await cliBackend(args)
  try {
    // A built-in model's URI names its bytes (src/generate/builtin.ts): nothing to read or host.
    const builtin = isBuiltinModel(modelFile)
    const receipt = await createGenerationReceipt(
      builtin ? builtinModel(modelFile) : new Uint8Array(readFileSync(modelFile)),
      tokenizer,
      prompt,
      parameters,
      {
        uri: builtin ? modelFile : (flag(args, 'uri') ?? pathToFileURL(resolve(modelFile)).href),
        tokenizerUri: flag(args, 'tokenizer-uri') ?? (file ? pathToFileURL(resolve(file)).href : undefined),
        account,
        target,
        adapter: backend.name,
        runner: backend.gpu ? gpuRunner(backend.gpu) : cpuRunner,
        onToken: (t) => process.stderr.write(t.delta),
      },
    )
    process.stderr.write('\n')
    writeFileSync(out, JSON.stringify(receipt, null, 2) + '\n')
    const b = receipt.body
    console.log(
      `wrote ${out}: ${b.tokenCount} tokens (${b.finishReason}), token ids hash ${b.tokenIdsHash}, signed by ${account.address}`,
    )
    return 0
  } finally {
    backend.dispose()
  }
}

/** validate, then (unless --no-replay) re-generate; the model from --model or the receipt's URI. */
export async function verifyGenerationCommand(
  receipt: unknown,
  args: string[],
  options: ValidateOptions,
  /** The receipt's model, or null once it has printed why it could not be read. */
  receiptModel: (uri: string, args: string[]) => Promise<Uint8Array | null>,
  anchorOk: () => Promise<boolean>,
): Promise<number> {
  const r = receipt as GenerationReceipt
  let tokenizer: Tokenizer | undefined
  try {
    const given = flag(args, 'tokenizer')
    tokenizer = given
      ? tokenizerFrom(args).tokenizer
      : r?.body?.tokenizer?.hash === BYTE_TOKENIZER_HASH
        ? loadTokenizer('byte')
        : undefined
  } catch (e) {
    console.log(`✗ tokenizer: ${oneLine(e)}`)
    return 1
  }
  if (!report(await validateGenerationReceipt(receipt, { ...options, tokenizer }))) return 1
  if (!(await anchorOk())) return 1
  if (args.includes('--no-replay')) return 0
  if (!tokenizer) {
    // Fetched like the model, under the same limits (a receipt's file: URI is never read).
    try {
      const allowLocal = args.includes('--allow-local')
      const fetched = await fetchModel(r.body.tokenizer.uri, { allowLocal }, nodeTransport(allowLocal))
      // Only the receipt's tokenizer is parsed: a served file of other bytes is refused by its hash first.
      const hash = keccak256Hex([fetched])
      if (hash !== r.body.tokenizer.hash)
        throw new Error(`the served file hashes to ${hash}, the receipt names ${r.body.tokenizer.hash}`)
      tokenizer = hfTokenizer(fetched)
    } catch (e) {
      console.log(`✗ tokenizer: cannot read ${r.body.tokenizer.uri} (${oneLine(e)}); pass --tokenizer FILE`)
      return 1
    }
  }
  const bytes = await receiptModel(r.body.model.uri, args)
  if (!bytes) return 1
  const backend = await cliBackend(args)
  try {
    const checks = await verifyGeneration(r, {
      model: bytes,
      tokenizer,
      runner: backend.gpu ? gpuRunner(backend.gpu) : cpuRunner,
      onToken: (t) => t.match && process.stderr.write('.'),
    })
    process.stderr.write('\n')
    if (!report(checks)) return 1
  } finally {
    backend.dispose()
  }
  console.log(
    `OK: signed by ${r.body.producer}; ${r.body.tokenCount} tokens re-generated and equal (${backend.name})`,
  )
  return 0
}
