// A generation's parameters, as a receipt carries them (snake_case, the names people know from other
// APIs), their checks against the verifier's caps, and the rule that turns the generated ids into the
// receipt's text (shared by the loop and `validate`).
import { isWellFormed } from '../infer/json.ts'
import { GENERATION_LIMITS } from '../receipts/limits.ts'
import { samplingProblem, type SamplingParams } from './sample.ts'
import type { Tokenizer } from './tokenizer.ts'

export interface GenerationParams extends SamplingParams {
  max_tokens: number
  /** Stop when the text so far contains one of these; the text ends before it. */
  stop: string[]
  /** Stop when one of these ids is generated; it is in the ids, not in the text. */
  stop_token_ids: number[]
  /** End of text: finish 'eos'; the id is in the ids, not in the text. */
  eos_token_ids: number[]
}

export type FinishReason = 'stop' | 'length' | 'eos'
export const FINISH_REASONS: readonly FinishReason[] = ['stop', 'length', 'eos']

const PARAM_KEYS = [
  'temperature',
  'top_k',
  'top_p',
  'seed',
  'max_tokens',
  'stop',
  'stop_token_ids',
  'eos_token_ids',
]

/** Defaults for what a caller leaves out: greedy, 64 tokens, no stops. */
export function generationParams(p: Partial<GenerationParams> = {}): GenerationParams {
  return {
    temperature: p.temperature ?? 0,
    top_k: p.top_k ?? 0,
    top_p: p.top_p ?? 1,
    seed: p.seed ?? 0,
    max_tokens: p.max_tokens ?? 64,
    stop: p.stop ?? [],
    stop_token_ids: p.stop_token_ids ?? [],
    eos_token_ids: p.eos_token_ids ?? [],
  }
}

const L = GENERATION_LIMITS
const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32

/** Why `p` are not parameters within the verifier's caps, or null: checked before any work. */
export function paramsProblem(p: unknown): string | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'parameters must be an object'
  const extra = Object.keys(p).find((k) => !PARAM_KEYS.includes(k))
  if (extra) return `parameters.${extra} is not a generation parameter`
  const g = p as GenerationParams
  const sampling = samplingProblem(g)
  if (sampling) return sampling
  if (!Number.isSafeInteger(g.max_tokens) || g.max_tokens < 1 || g.max_tokens > L.maxTokens)
    return `max_tokens must be an integer from 1 to ${L.maxTokens} (got ${JSON.stringify(g.max_tokens)})`
  if (!Array.isArray(g.stop) || g.stop.length > L.stops)
    return `stop must be a list of at most ${L.stops} strings`
  const badStop = g.stop.find(
    (s) => typeof s !== 'string' || s.length < 1 || s.length > L.stopLength || !isWellFormed(s),
  )
  if (badStop !== undefined)
    return `each stop must be a well-formed string of 1 to ${L.stopLength} characters`
  for (const [k, cap] of [
    ['stop_token_ids', L.stopTokenIds],
    ['eos_token_ids', L.eosTokenIds],
  ] as const) {
    const ids = g[k]
    if (!Array.isArray(ids) || ids.length > cap || !ids.every(isId))
      return `${k} must be a list of at most ${cap} token ids`
  }
  return null
}

/**
 * The text a generation's ids stand for: the ids decoded, less a final eos or stop id, and cut before
 * the earliest stop sequence when it stopped on one.
 */
export function finishedText(
  tokenizer: Tokenizer,
  ids: readonly number[],
  finish: FinishReason,
  p: Pick<GenerationParams, 'stop' | 'stop_token_ids' | 'eos_token_ids'>,
): string {
  const last = ids.at(-1)
  if (last !== undefined && (finish === 'eos' || (finish === 'stop' && p.stop_token_ids.includes(last))))
    return tokenizer.decode(ids.slice(0, -1))
  const text = tokenizer.decode(ids)
  return finish === 'stop' ? text.slice(0, stopAt(text, p.stop) ?? text.length) : text
}

/** Where the earliest stop sequence starts in `text`, or null. */
export function stopAt(text: string, stop: readonly string[]): number | null {
  let at: number | null = null
  for (const s of stop) {
    const i = text.indexOf(s)
    if (i >= 0 && (at === null || i < at)) at = i
  }
  return at
}
