// The generation worker: runs the deterministic generation loop (src/generate/) on this tab's GPU
// kernels when the page says they match the CPU reference, else on the CPU reference (same bits either
// way), streaming each token to the page. It returns the receipt body; the page signs it with the wallet.
import { expose } from 'comlink'
import { carryErrors } from '../src/errors/transfer.ts'
import { Gpu } from '../src/gpu/runtime.ts'
import { parseModel } from '../src/infer/model.ts'
import { builtinModel, isBuiltinModel } from '../src/generate/builtin.ts'
import { generate, type GeneratedToken } from '../src/generate/generate.ts'
import { gpuRunner } from '../src/generate/gpu.ts'
import type { GenerationParams } from '../src/generate/params.ts'
import { BYTE_TOKENIZER_HASH, BYTE_TOKENIZER_URI, loadTokenizer } from '../src/generate/tokenizer.ts'
import { generationBody, type GenerationReceiptBody } from '../src/receipts/generation.ts'
import type { Address } from 'viem'

carryErrors()

let gpu: Gpu | null = null
let stop: AbortController | null = null

export interface GenerateRequest {
  /** A built-in model's `lockstep:` URI, or a decoder's bytes with the URI the receipt names it by. */
  model: { uri: string; bytes?: Uint8Array }
  /** A tokenizer.json's bytes and its URI; the byte-level tokenizer when absent. */
  tokenizer?: { uri: string; bytes: Uint8Array }
  prompt: string
  parameters: GenerationParams
  /** Run the nodes with kernels on this tab's GPU (the page checked it matches the CPU reference). */
  useGpu: boolean
  producer: Address
}

const api = {
  async generate(
    req: GenerateRequest,
    onToken: (t: GeneratedToken) => void,
  ): Promise<{ body: GenerationReceiptBody; model: Uint8Array; runtime: 'gpu' | 'cpu' }> {
    stop = new AbortController()
    const bytes = req.model.bytes ?? (isBuiltinModel(req.model.uri) ? builtinModel(req.model.uri) : null)
    if (!bytes) throw new Error(`No model bytes for ${req.model.uri}.`)
    const tokenizer = loadTokenizer(req.tokenizer?.bytes ?? 'byte')
    // As the CLI does: end of text is the tokenizer's own end token unless the page names others.
    const parameters = req.parameters.eos_token_ids.length
      ? req.parameters
      : { ...req.parameters, eos_token_ids: [...tokenizer.eos] }
    if (req.useGpu) gpu ??= await Gpu.create()
    const it = generate(parseModel(bytes), tokenizer, req.prompt, parameters, {
      runner: req.useGpu && gpu ? gpuRunner(gpu) : undefined,
      signal: stop.signal,
    })
    let next = await it.next()
    for (; !next.done; next = await it.next()) onToken(next.value)
    const body = generationBody({
      model: { bytes, uri: req.model.uri },
      tokenizer: {
        hash: tokenizer.hash,
        uri: tokenizer.hash === BYTE_TOKENIZER_HASH ? BYTE_TOKENIZER_URI : (req.tokenizer?.uri ?? ''),
      },
      prompt: req.prompt,
      parameters,
      generation: next.value,
      adapter: req.useGpu && gpu ? gpu.report.description : 'CPU reference',
      producer: req.producer,
    })
    return { body, model: bytes, runtime: req.useGpu && gpu ? 'gpu' : 'cpu' }
  },

  /** Ends a running generation at its next token (it rejects with GenerationError: aborted). */
  cancel(): void {
    stop?.abort()
  },
}

export type GenerateWorkerApi = typeof api
expose(api)
