// The generation loop: the prompt's tokens in passes of up to 16 (prefill), then one token per pass with
// the KV cache (decode), each chosen by sample.ts, until eos, a stop, max_tokens or the model's context.
// An async iterator of tokens as they are made, so a page can show them; its return value is the whole
// generation. Producer and verifier run exactly this, so the same model, prompt and parameters give the
// same ids on every machine and runtime (CPU references or GPU kernels: same bits).
import { GenerationError, GenerationLimitError } from '../errors/generate.ts'
import { isWellFormed } from '../infer/json.ts'
import type { Model, Tensor } from '../infer/model.ts'
import type { OpSet } from '../ops/registry.ts'
import { DEFAULT_LIMITS, type InferLimits } from '../infer/plan.ts'
import { GENERATION_LIMITS } from '../receipts/limits.ts'
import {
  PREFILL_CHUNK,
  cpuRunner,
  decoderLayout,
  planGeneration,
  stepInputs,
  type Runner,
} from './decoder.ts'
import { finishedText, paramsProblem, stopAt, type FinishReason, type GenerationParams } from './params.ts'
import { sample } from './sample.ts'
import type { Tokenizer } from './tokenizer.ts'

export interface GeneratedToken {
  /** 0 for the first generated token. */
  position: number
  tokenId: number
  /** The text of every token so far (before any stop cut), and what this token added to it. */
  text: string
  delta: string
  /** max_tokens: for a progress bar. */
  of: number
}

export interface Generation {
  promptIds: number[]
  tokenIds: number[]
  text: string
  finishReason: FinishReason
}

export interface GenerateOptions {
  /** Default: the CPU references. */
  runner?: Runner
  limits?: InferLimits
  /** The cap on the whole generation's operations, charged before the first step. */
  operations?: number
  /** The op set of the kernel-library release to run (default this library's own). */
  ops?: OpSet
  signal?: AbortSignal
}

/** Why the prompt is refused, or its ids. */
export function promptIds(tokenizer: Tokenizer, prompt: string): number[] {
  if (
    typeof prompt !== 'string' ||
    !isWellFormed(prompt) ||
    new TextEncoder().encode(prompt).length > GENERATION_LIMITS.promptBytes
  )
    throw new GenerationLimitError(
      `The prompt must be well-formed text of at most ${GENERATION_LIMITS.promptBytes} bytes.`,
    )
  const ids = tokenizer.encode(prompt)
  if (ids.length === 0) throw new GenerationError('The prompt has no tokens: there is nothing to continue.')
  if (ids.length > GENERATION_LIMITS.promptTokens)
    throw new GenerationLimitError(
      `The prompt is ${ids.length} tokens; at most ${GENERATION_LIMITS.promptTokens} are generated from.`,
    )
  return ids
}

function lastRow(out: Map<string, Tensor>): Float32Array {
  const logits = out.get('logits')
  if (!logits || logits.type !== 'float' || logits.dims.length !== 3 || logits.dims[0] !== 1)
    throw new GenerationError(`The model's logits are not float [1, s, vocab] (got [${logits?.dims}]).`)
  const [, s, vocab] = logits.dims
  return logits.data.subarray((s - 1) * vocab, s * vocab)
}

export async function* generate(
  model: Model,
  tokenizer: Tokenizer,
  prompt: string,
  params: GenerationParams,
  options: GenerateOptions = {},
): AsyncGenerator<GeneratedToken, Generation> {
  const problem = paramsProblem(params)
  if (problem) throw new GenerationLimitError(`Generation parameters refused: ${problem}.`)
  const layout = decoderLayout(model)
  const ids = promptIds(tokenizer, prompt)
  const limits = options.limits ?? DEFAULT_LIMITS
  // Positions 0 .. context-1 exist: the last token generated is never fed back, so it may sit at `context`.
  const room = layout.context === null ? Infinity : layout.context - ids.length + 1
  if (room < 1)
    throw new GenerationError(`The prompt is ${ids.length} tokens; the model's context is ${layout.context}.`)
  const steps = Math.min(params.max_tokens, room)
  planGeneration(
    model,
    layout,
    ids.length,
    steps,
    limits,
    options.operations ?? GENERATION_LIMITS.operations,
    options.ops,
  )

  const run = options.runner ?? cpuRunner
  const out: number[] = []
  let cache: Map<string, Tensor> | null = null
  let past = 0
  /** One forward pass over `feed` after the cache (a graph without one re-runs the whole sequence). */
  const forward = async (feed: number[]) => {
    if (options.signal?.aborted) throw new GenerationError('Generation stopped: aborted.')
    if (!layout.layers) return run(model, stepInputs(layout, [...ids, ...out], 0, null), limits, options.ops)
    const result = await run(model, stepInputs(layout, feed, past, cache), limits, options.ops)
    cache = result
    past += feed.length
    return result
  }
  // Prefill in passes of PREFILL_CHUNK tokens: memory stays bounded whatever the prompt's length.
  let result = new Map<string, Tensor>()
  for (let at = 0; at < ids.length; at += layout.layers ? PREFILL_CHUNK : ids.length)
    result = await forward(ids.slice(at, at + PREFILL_CHUNK))
  let text = ''
  for (let step = 0; ; step++) {
    const token = sample(lastRow(result), params, step)
    out.push(token)
    const full = tokenizer.decode(out)
    const delta = full.startsWith(text) ? full.slice(text.length) : full
    text = full
    yield { position: step, tokenId: token, text, delta, of: params.max_tokens }
    let finish: FinishReason | null = null
    if (params.eos_token_ids.includes(token)) finish = 'eos'
    else if (params.stop_token_ids.includes(token) || stopAt(full, params.stop) !== null) finish = 'stop'
    else if (out.length >= steps) finish = 'length'
    if (finish)
      return {
        promptIds: ids,
        tokenIds: out,
        text: finishedText(tokenizer, out, finish, params),
        finishReason: finish,
      }
    result = await forward([token])
  }
}

/** The whole generation, with `onToken` called as each token is made. */
export async function generateAll(
  model: Model,
  tokenizer: Tokenizer,
  prompt: string,
  params: GenerationParams,
  options: GenerateOptions & { onToken?: (t: GeneratedToken) => void } = {},
): Promise<Generation> {
  const it = generate(model, tokenizer, prompt, params, options)
  for (;;) {
    const next = await it.next()
    if (next.done) return next.value
    options.onToken?.(next.value)
  }
}
