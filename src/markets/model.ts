// What a market's model sees and how its output picks an outcome (docs/receipts.md, "Market
// settlements"). A model is any byte-level causal LM with the GPT export's interface: input
// `input_ids` int64 [batch, T], output `logits` f32 [batch, T, 256]. One row per outcome.
import { parseModel } from '../infer/model.ts'
import { exportOnnx } from '../train/onnx.ts'
import { initParams, presets } from '../train/gpt.ts'
import { encode } from '../train/data.ts'
import { crossEntropyRef } from '../kernels/cross_entropy.ts'
import type { HostInput } from '../infer/json.ts'
import { MarketError } from '../errors/market.ts'
import { taskScores } from './scores.ts'

export { decide, taskScores } from './scores.ts'

export interface Market {
  question: string
  /** The data the market is settled on, as text. */
  input: string
  outcomes: string[]
}

export const RULE = 'lockstep/outcome-logit-sum/1'
/**
 * The rule for models trained on the task format (the RL swarm's, src/rl/tasks.ts; the trained default
 * in trained.ts): the prompt is `\n<input>=` (the question is for people, the input is the task), and
 * outcome k scores the log-likelihood of its bytes and the END_TOKEN ('\n') that ends an answer, so "ab"
 * does not win as a prefix of "abc": minus the sum, in f64 and byte order, of the cross-entropy the
 * kernel library's CPU reference gives each byte (softfloat exp and log: the same bits everywhere).
 */
export const TASK_RULE = 'lockstep/task-loglik/1'
export const RULES = [RULE, TASK_RULE] as const
export type Rule = (typeof RULES)[number]
export const isRule = (x: unknown): x is Rule => RULES.includes(x as Rule)
export const BUNDLED_URI = 'lockstep:bundled/gpt-demo-seed-8'
const VOCAB = 256

/** The bundled model: the `demo` GPT with fixed seeded weights, generated here (no download). */
export function bundledModel(): Uint8Array {
  const cfg = presets.demo
  return exportOnnx(cfg, initParams(cfg, 8), { metadata: { 'lockstep.uri': BUNDLED_URI } })
}

/** The window length T of a model with the market interface; throws in words when it has another. */
export function windowOf(modelBytes: Uint8Array): number {
  const m = parseModel(modelBytes)
  const ids = m.inputs.find((i) => i.name === 'input_ids')
  const T = ids?.dims[1]
  if (!ids || ids.type !== 'int64' || typeof T !== 'number' || T < 2 || !m.outputs.includes('logits'))
    throw new MarketError(
      'The model must take input_ids int64 [batch, T] (fixed T) and give logits [batch, T, 256].',
    )
  return T
}

export const prompt = (m: Market, rule: Rule = RULE) =>
  rule === TASK_RULE ? `\n${m.input}=` : `${m.input}\n${m.question}\nAnswer: `
/** The bytes an outcome is scored on: under TASK_RULE with the answer's end. */
const outcomeBytes = (o: string, rule: Rule) => (rule === TASK_RULE ? [...encode(o), 10] : encode(o))

/**
 * Row k is the last T bytes of prompt + outcome k, zero-padded on the right (a causal model's
 * earlier positions do not see the padding). `starts[k]`: the position of the outcome's first byte.
 */
export function marketInputs(
  m: Market,
  T: number,
  rule: Rule = RULE,
): { inputs: { input_ids: HostInput & { data: number[] } }; starts: number[] } {
  const p = encode(prompt(m, rule))
  const data: number[] = []
  const starts: number[] = []
  const extra = rule === TASK_RULE ? 1 : 0
  for (const o of m.outcomes) {
    const out = outcomeBytes(o, rule)
    if (out.length < 1 + extra || out.length > T - 1)
      throw new MarketError(`Each outcome must be 1 to ${T - 1 - extra} bytes.`)
    const row = [...p, ...out].slice(-T)
    starts.push(row.length - out.length)
    data.push(...row, ...new Array<number>(T - row.length).fill(0))
  }
  return { inputs: { input_ids: { dims: [m.outcomes.length, T], data } }, starts }
}

/**
 * The rules. RULE: outcome k scores the sum, in f64 and byte order, of the logit its model gave to each
 * of its bytes at the position before it (only f64 addition: the same bits in every JS engine).
 * TASK_RULE: its log-likelihood (taskScores over the rows taskLayout names).
 */
export function scoreOutcomes(m: Market, T: number, logits: ArrayLike<number>, rule: Rule = RULE): number[] {
  const { inputs, starts } = marketInputs(m, T, rule)
  const ids = inputs.input_ids.data
  if (rule === TASK_RULE) {
    const rows = m.outcomes.length * T
    const losses = crossEntropyRef(Float32Array.from(logits), [rows, VOCAB], nextTokens(ids, T)).losses
    return taskScores(losses, taskLayout(m, T))
  }
  return m.outcomes.map((o, k) => {
    let s = 0
    for (let j = starts[k]; j < starts[k] + outcomeBytes(o, rule).length; j++)
      s += logits[(k * T + j - 1) * VOCAB + ids[k * T + j]]
    return s
  })
}

/**
 * TASK_RULE's targets: row r of the K·T rows of logits predicts the next byte of its window, ids[r + 1];
 * a window's last row has none and takes 0 (no outcome reads it).
 */
export function nextTokens(ids: readonly number[], T: number): Int32Array {
  return Int32Array.from(ids, (_, r) => ((r + 1) % T === 0 ? 0 : ids[r + 1]))
}

/**
 * Which of the K·T rows score each outcome under TASK_RULE, flat [first row, count] per outcome: outcome
 * k's bytes (and its end) sit at starts[k] … of window k, each predicted by the row before it.
 */
export function taskLayout(m: Market, T: number): number[] {
  const { starts } = marketInputs(m, T, TASK_RULE)
  return m.outcomes.flatMap((o, k) => [k * T + starts[k] - 1, outcomeBytes(o, TASK_RULE).length])
}

/** Why a market cannot be settled as entered, or null. */
export function marketProblem(m: Market): string | null {
  if (!m.question.trim()) return 'The market needs a question.'
  if (m.outcomes.length < 2) return 'The market needs at least two outcomes.'
  if (new Set(m.outcomes).size !== m.outcomes.length) return 'Outcomes must differ.'
  if (m.outcomes.some((o) => !o.trim())) return 'An outcome is empty.'
  return null
}
