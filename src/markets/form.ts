// The create-a-market form's rules: every bound the contract's `initialize` checks (contracts/Market.sol),
// checked here field by field so the page says what is wrong before anything is sent. A field's error is
// shown beside it; `validateDraft` returns the contract's arguments only when there are none.
import { parseUnits, type Address, type Hex } from 'viem'
import { seedOf } from './cost.ts'
import { inputHashOf, type MarketConfig, type MarketTerms } from './chain.ts'
import { BUNDLED_URI, RULE, TASK_RULE } from './model.ts'
import { TRAINED_URI } from './trained.ts'

/** MarketMath.sol's bound on a supply (the seed budget must stay below it). */
const MAX_SUPPLY = 2n ** 112n

/** The contract's constants (Market.sol), in the units the form shows. */
export const LIMITS = {
  outcomes: { min: 2, max: 20 },
  outcomeBytes: 90,
  textBytes: 512,
  k: { min: 1, max: 100 },
  feePercent: { min: 0.5, max: 5 },
  tradingMinutes: { min: 2, max: 365 * 24 * 60 },
  settlementHours: { min: 1, max: 24 },
  challengeMinutes: { min: 10, max: 7 * 24 * 60 },
} as const

/** What the visitor types: numbers as the text of their fields. */
export interface Draft {
  question: string
  category: string
  outcomes: string[]
  liquidity: string
  deposit: string
  bond: string
  k: string
  feePercent: string
  model: { hash: Hex; uri: string } | null
  input: string
  inputUri: string
  tradingMinutes: string
  settlementHours: string
  challengeMinutes: string
}

export type Field = Exclude<keyof Draft, 'outcomes'> | `outcome-${number}` | 'outcomes' | 'modelUri'
export type Errors = Partial<Record<Field, string>>

/** The form's steps and the fields each one checks before Next. */
export const STEPS: { title: string; fields: (draft: Draft) => Field[] }[] = [
  { title: 'Question', fields: () => ['question', 'category'] },
  { title: 'Outcomes', fields: (d) => ['outcomes', ...d.outcomes.map((_, i) => `outcome-${i}` as const)] },
  { title: 'Economics', fields: () => ['liquidity', 'deposit', 'bond', 'k', 'feePercent'] },
  { title: 'Settlement', fields: () => ['model', 'modelUri', 'input', 'inputUri'] },
  { title: 'Timing', fields: () => ['tradingMinutes', 'settlementHours', 'challengeMinutes'] },
]

export const defaultDraft = (model: Draft['model'] = null): Draft => ({
  question: '',
  category: '',
  outcomes: ['Yes', 'No'],
  liquidity: '100',
  deposit: '20',
  bond: '10',
  k: '1',
  feePercent: '2',
  model,
  input: '',
  inputUri: '',
  tradingMinutes: '60',
  settlementHours: '1',
  challengeMinutes: '30',
})

const bytes = (s: string) => new TextEncoder().encode(s).length

/** A decimal in [min, max] with at most `places` decimals, or the reason it is not. */
function number(text: string, min: number, max: number, places = 0): string | null {
  const t = text.trim()
  const re = places ? new RegExp(`^\\d+(\\.\\d{1,${places}})?$`) : /^\d+$/
  if (!re.test(t)) return places ? `Enter a number with at most ${places} decimals.` : 'Enter a whole number.'
  const v = Number(t)
  return v < min || v > max ? `Must be from ${min} to ${max}.` : null
}

/** An amount of collateral in its base units, or the reason it is not one. */
export function amountOf(text: string, decimals: number): bigint | string {
  const t = text.trim()
  const re = decimals ? new RegExp(`^\\d+(\\.\\d{1,${decimals}})?$`) : /^\d+$/
  if (!re.test(t)) return `Enter an amount with at most ${decimals} decimals.`
  return parseUnits(t, decimals)
}

function text(s: string, name: string, required: boolean): string | null {
  if (required && !s.trim()) return `The market needs a ${name}.`
  return bytes(s) > LIMITS.textBytes ? `At most ${LIMITS.textBytes} bytes (this is ${bytes(s)}).` : null
}

/** Models the app ships, named by their own URIs; any other is fetched from where it is published. */
const BUILT_IN = new Set([TRAINED_URI, BUNDLED_URI])

/**
 * An uploaded model's URI is where traders and the CLI fetch it to re-execute a settlement: an http(s)
 * URL (a file name would commit the market to a model nobody else can find).
 */
function modelUriError(uri: string): string | null {
  if (BUILT_IN.has(uri)) return null
  const t = uri.trim()
  if (!t) return 'Give the http(s) address where the model file is published, for traders to re-check.'
  let url: URL | null = null
  try {
    url = new URL(t)
  } catch {
    // not an absolute URL
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || t !== uri)
    return 'An http(s) address, e.g. https://example.org/model.onnx, with no spaces around it.'
  return text(uri, 'model URI', false)
}

function outcomeErrors(outcomes: string[], out: Errors) {
  const { min, max } = LIMITS.outcomes
  if (outcomes.length < min || outcomes.length > max) out.outcomes = `Give ${min} to ${max} outcomes.`
  const seen = new Map<string, number>()
  outcomes.forEach((o, i) => {
    const n = bytes(o)
    if (!o.trim()) out[`outcome-${i}`] = 'An outcome cannot be empty.'
    else if (o !== o.trim()) out[`outcome-${i}`] = 'No spaces at either end.'
    else if (n > LIMITS.outcomeBytes)
      out[`outcome-${i}`] = `At most ${LIMITS.outcomeBytes} bytes (this is ${n}).`
    else if (seen.has(o)) out[`outcome-${i}`] = `Same as outcome ${seen.get(o)! + 1}.`
    seen.set(o, i)
  })
}

/** Every field's error (empty when the draft is a market the contract accepts). */
export function draftErrors(d: Draft, decimals: number): Errors {
  const out: Errors = {}
  const put = (f: Field, e: string | null) => e && (out[f] = e)
  put('question', text(d.question, 'question', true))
  put('category', text(d.category, 'category', false))
  outcomeErrors(d.outcomes, out)
  put('k', number(d.k, LIMITS.k.min, LIMITS.k.max))
  put('feePercent', number(d.feePercent, LIMITS.feePercent.min, LIMITS.feePercent.max, 2))
  const liquidity = amountOf(d.liquidity, decimals)
  const deposit = amountOf(d.deposit, decimals)
  const bond = amountOf(d.bond, decimals)
  if (typeof liquidity === 'string') out.liquidity = liquidity
  if (typeof deposit === 'string') out.deposit = deposit
  if (typeof bond === 'string') out.bond = bond
  else if (bond === 0n) out.bond = 'The bond must be more than 0.'
  if (typeof liquidity === 'bigint' && typeof deposit === 'bigint') {
    if (deposit >= liquidity) out.deposit = 'The deposit must be less than the liquidity.'
    else if (liquidity - deposit >= MAX_SUPPLY)
      out.liquidity = 'Too large: liquidity − deposit must be below 2^112.'
    else if (
      !out.k &&
      d.outcomes.length >= 1 &&
      seedOf(BigInt(d.k), d.outcomes.length, liquidity, deposit) === 0n
    )
      out.liquidity = 'Too small to seed every outcome with a share: add liquidity or lower the deposit.'
  }
  if (!d.model) out.model = 'Choose the model that settles the market.'
  else put('modelUri', modelUriError(d.model.uri))
  if (!d.input.trim()) out.input = 'The market needs the input data it is settled on.'
  put('inputUri', text(d.inputUri, 'input URI', false))
  const t = LIMITS
  put('tradingMinutes', number(d.tradingMinutes, t.tradingMinutes.min, t.tradingMinutes.max))
  put('settlementHours', number(d.settlementHours, t.settlementHours.min, t.settlementHours.max))
  put('challengeMinutes', number(d.challengeMinutes, t.challengeMinutes.min, t.challengeMinutes.max))
  return out
}

/** The contract's arguments for a valid draft, or its errors. */
export function validateDraft(
  d: Draft,
  collateral: Address,
  decimals: number,
): { errors: Errors } | { errors: null; config: MarketConfig; terms: MarketTerms } {
  const errors = draftErrors(d, decimals)
  if (Object.keys(errors).length) return { errors }
  const feeBps = BigInt(Math.round(Number(d.feePercent) * 100))
  const config: MarketConfig = {
    collateral,
    k: BigInt(d.k),
    feeBps,
    // The split: three quarters of the fee to the creator (150 of 200 bps by default).
    creatorFeeBps: (feeBps * 3n) / 4n,
    liquidity: amountOf(d.liquidity, decimals) as bigint,
    deposit: amountOf(d.deposit, decimals) as bigint,
    bond: amountOf(d.bond, decimals) as bigint,
    tradingWindow: BigInt(d.tradingMinutes) * 60n,
    settlementWindow: BigInt(d.settlementHours) * 3600n,
    challengeWindow: BigInt(d.challengeMinutes) * 60n,
  }
  const terms: MarketTerms = {
    question: d.question.trim(),
    category: d.category.trim(),
    outcomes: [...d.outcomes],
    modelHash: d.model!.hash,
    modelUri: d.model!.uri,
    inputHash: inputHashOf(d.input),
    inputUri: d.inputUri.trim(),
    // The trained model reads the input as a task (docs/markets.md); any other model, the generic rule.
    rule: d.model!.uri === TRAINED_URI ? TASK_RULE : RULE,
  }
  return { errors: null, config, terms }
}
