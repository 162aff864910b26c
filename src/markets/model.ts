// What a market's model sees and how its output picks an outcome (docs/receipts.md, "Market
// settlements"). A model is any byte-level causal LM with the GPT export's interface: input
// `input_ids` int64 [batch, T], output `logits` f32 [batch, T, 256]. One row per outcome.
import { parseModel } from '../infer/model.ts'
import { exportOnnx } from '../train/onnx.ts'
import { initParams, presets } from '../train/gpt.ts'
import { encode } from '../train/data.ts'
import type { HostInput } from '../infer/json.ts'
import { MarketError } from '../errors/market.ts'

export interface Market {
  question: string
  /** The data the market is settled on, as text. */
  input: string
  outcomes: string[]
}

export const RULE = 'lockstep/outcome-logit-sum/1'
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

export const prompt = (m: Market) => `${m.input}\n${m.question}\nAnswer: `

/**
 * Row k is the last T bytes of prompt + outcome k, zero-padded on the right (a causal model's
 * earlier positions do not see the padding). `starts[k]`: the position of the outcome's first byte.
 */
export function marketInputs(
  m: Market,
  T: number,
): { inputs: { input_ids: HostInput & { data: number[] } }; starts: number[] } {
  const p = encode(prompt(m))
  const data: number[] = []
  const starts: number[] = []
  for (const o of m.outcomes) {
    const out = encode(o)
    if (out.length < 1 || out.length > T - 1)
      throw new MarketError(`Each outcome must be 1 to ${T - 1} bytes.`)
    const row = [...p, ...out].slice(-T)
    starts.push(row.length - out.length)
    data.push(...row, ...new Array<number>(T - row.length).fill(0))
  }
  return { inputs: { input_ids: { dims: [m.outcomes.length, T], data } }, starts }
}

/**
 * The rule: outcome k scores the sum, in f64 and byte order, of the logit its model gave to each of
 * its bytes at the position before it. Only f64 addition: the same bits in every JS engine.
 */
export function scoreOutcomes(m: Market, T: number, logits: ArrayLike<number>): number[] {
  const { inputs, starts } = marketInputs(m, T)
  const ids = inputs.input_ids.data
  return m.outcomes.map((o, k) => {
    let s = 0
    for (let j = starts[k]; j < starts[k] + encode(o).length; j++)
      s += logits[(k * T + j - 1) * VOCAB + ids[k * T + j]]
    return s
  })
}

/** The highest score wins; ties go to the lowest index. */
export function decide(scores: number[]): number {
  let best = 0
  for (let k = 1; k < scores.length; k++) if (scores[k] > scores[best]) best = k
  return best
}

/** Why a market cannot be settled as entered, or null. */
export function marketProblem(m: Market): string | null {
  if (!m.question.trim()) return 'The market needs a question.'
  if (m.outcomes.length < 2) return 'The market needs at least two outcomes.'
  if (new Set(m.outcomes).size !== m.outcomes.length) return 'Outcomes must differ.'
  if (m.outcomes.some((o) => !o.trim())) return 'An outcome is empty.'
  return null
}
