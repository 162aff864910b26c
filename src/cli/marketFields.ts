// `lockstep market create`'s fields, each checked against the bound the contract enforces
// (contracts/Market.sol initialize) and named by its flag, so a market that would revert is refused
// before anything is approved or sent. The bounds are copied from the contract's constants;
// market.test.ts reads those constants from the deployed implementation and holds these to them.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { keccak256, type Hex } from 'viem'
import { MarketFieldError } from '../errors/market.ts'
import { seedOf } from '../markets/cost.ts'
import { DEFAULT_FEES, marketTerms, type MarketConfig, type MarketTerms } from '../markets/chain.ts'
import {
  BUNDLED_URI,
  isRule,
  marketInputs,
  marketProblem,
  RULE,
  RULES,
  TASK_RULE,
  windowOf,
  type Market,
  type Rule,
} from '../markets/model.ts'
import { TRAINED_URI } from '../markets/trained.ts'
import { UsageError } from '../errors/cli.ts'
import { flag, flags } from './args.ts'
import { parseUnitsOf, type Token } from './marketAccess.ts'
import { inputText, shippedModel } from './marketSources.ts'

export const BOUNDS = {
  outcomes: [2, 20],
  outcomeBytes: 90,
  textBytes: 512,
  k: [1, 100],
  feeBps: [50, 500],
  tradingWindow: [2 * 60, 365 * 86_400],
  settlementWindow: [3_600, 86_400],
  challengeWindow: [600, 7 * 86_400],
  /** Supplies stay below 2^112 (contracts/MarketMath.sol MAX_SUPPLY). */
  maxSupply: 2n ** 112n,
} as const

const bytes = (s: string) => new TextEncoder().encode(s).length

/** Seconds, or a number with s, m, h or d. */
export function parseDuration(text: string, name: string): bigint {
  const m = /^(\d{1,12})([smhd]?)$/.exec(text)
  if (!m) throw new MarketFieldError(`--${name} takes seconds, or a number with s, m, h or d (got ${text}).`)
  return BigInt(m[1]) * BigInt({ '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2]]!)
}

function within(name: string, v: bigint, [lo, hi]: readonly [number, number], unit = '') {
  if (v < BigInt(lo) || v > BigInt(hi))
    throw new MarketFieldError(`--${name} ${v}${unit} is outside ${lo}${unit} to ${hi}${unit}.`)
  return v
}

function integer(args: string[], name: string, fallback: number): bigint {
  const v = flag(args, name)
  if (v === undefined) return BigInt(fallback)
  if (!/^\d{1,12}$/.test(v)) throw new MarketFieldError(`--${name} takes a whole number (got ${v}).`)
  return BigInt(v)
}

/**
 * The model the market commits to and the rule it is read by: --model trained (the default: the RL warm
 * start with its training receipt, TASK_RULE), --model bundled (the untrained demo GPT, RULE), or --model
 * FILE with --model-uri (--rule, default RULE).
 */
export function committedModel(args: string[]): { bytes: Uint8Array; hash: Hex; uri: string; rule: Rule } {
  const file = flag(args, 'model') ?? 'trained'
  const uri = flag(args, 'model-uri')
  const named = { bundled: [BUNDLED_URI, RULE], trained: [TRAINED_URI, TASK_RULE] } as const
  const given = flag(args, 'rule')
  if (given !== undefined && !isRule(given))
    throw new MarketFieldError(`--rule ${given}: this build settles ${RULES.join(', ')}.`)
  if (file === 'bundled' || file === 'trained') {
    if (uri) throw new UsageError('--model-uri goes with --model FILE')
    const [u, rule] = named[file]
    const b = shippedModel(u)!
    return { bytes: b, hash: keccak256(b), uri: u, rule: given ?? rule }
  }
  if (!uri)
    throw new UsageError('--model FILE needs --model-uri URI: where settlers and challengers fetch it')
  if (!existsSync(file) || !statSync(file).isFile())
    throw new MarketFieldError(`--model ${file} is not a regular file.`)
  const b = new Uint8Array(readFileSync(file))
  return { bytes: b, hash: keccak256(b), uri, rule: given ?? RULE }
}

/** `data:` URI of short input text, so the market carries it; a longer one must be published. */
export function inputUriOf(text: string, given: string | undefined): string {
  if (given !== undefined) return given
  const uri = 'data:text/plain;charset=utf-8,' + encodeURIComponent(text)
  if (bytes(uri) > BOUNDS.textBytes)
    throw new MarketFieldError(
      `The input is too long to carry on chain as a data: URI (${bytes(uri)} bytes, ${BOUNDS.textBytes} at most): publish it and pass --input-uri URI.`,
    )
  return uri
}

export interface CreatePlan {
  market: Market
  inputFrom: string
  config: MarketConfig
  terms: MarketTerms
}

/** Every field of `create`, checked; throws MarketFieldError (or UsageError for a missing flag). */
export function createPlan(args: string[], token: Token): CreatePlan {
  const question = flag(args, 'question')
  const outcomes = flags(args, 'outcome')
  const given = flag(args, 'input')
  if (question === undefined || given === undefined || outcomes.length === 0)
    throw new UsageError('market create needs --question, --outcome (two or more) and --input')
  const [lo, hi] = BOUNDS.outcomes
  if (outcomes.length < lo || outcomes.length > hi)
    throw new MarketFieldError(`${outcomes.length} outcomes: a market has ${lo} to ${hi}.`)
  outcomes.forEach((o, i) => {
    if (bytes(o) < 1 || bytes(o) > BOUNDS.outcomeBytes)
      throw new MarketFieldError(
        `--outcome ${JSON.stringify(o)} (outcome ${i}) is ${bytes(o)} bytes; each is 1 to ${BOUNDS.outcomeBytes}.`,
      )
  })
  const { text, from } = inputText(given)
  const market: Market = { question, input: text, outcomes }
  const problem = marketProblem(market)
  if (problem) throw new MarketFieldError(problem)
  const model = committedModel(args)
  try {
    marketInputs(market, windowOf(model.bytes), model.rule) // the model can read every outcome
  } catch (e) {
    throw new MarketFieldError(`The model cannot settle this market: ${(e as Error).message}`)
  }
  const category = flag(args, 'category') ?? ''
  const inputUri = inputUriOf(text, flag(args, 'input-uri'))
  const terms = marketTerms(market, model, { category, inputUri, rule: model.rule })
  for (const [name, v] of [
    ['question', terms.question],
    ['category', terms.category],
    ['model-uri', terms.modelUri],
    ['input-uri', terms.inputUri],
  ] as const)
    if (bytes(v) > BOUNDS.textBytes)
      throw new MarketFieldError(`--${name} is ${bytes(v)} bytes; ${BOUNDS.textBytes} at most.`)

  const k = within('k', integer(args, 'k', 1), BOUNDS.k)
  const feeBps = within('fee-bps', integer(args, 'fee-bps', Number(DEFAULT_FEES.feeBps)), BOUNDS.feeBps)
  // The split (1.5% of 2%) scaled to the fee chosen.
  const creatorFeeBps = integer(args, 'creator-fee-bps', Number((feeBps * 3n) / 4n))
  if (creatorFeeBps > feeBps)
    throw new MarketFieldError(`--creator-fee-bps ${creatorFeeBps} is above the fee, ${feeBps}.`)
  const amount = (name: string, fallback: string) => parseUnitsOf(token, flag(args, name) ?? fallback, name)
  const liquidity = amount('liquidity', '100')
  const deposit = amount('deposit', '20')
  const bond = amount('bond', '10')
  if (deposit >= liquidity)
    throw new MarketFieldError('--deposit must be less than --liquidity (the rest seeds the outcomes).')
  if (liquidity - deposit >= BOUNDS.maxSupply)
    throw new MarketFieldError('--liquidity less --deposit must be below 2^112 base units.')
  if (seedOf(k, outcomes.length, liquidity, deposit) === 0n)
    throw new MarketFieldError(
      '--liquidity less --deposit is too small to seed one base unit of each outcome.',
    )
  if (bond === 0n) throw new MarketFieldError('--bond must be more than zero.')
  const window = (name: string, fallback: string, bounds: readonly [number, number]) =>
    within(name, parseDuration(flag(args, name) ?? fallback, name), bounds, ' s')
  const config: MarketConfig = {
    collateral: token.address,
    k,
    feeBps,
    creatorFeeBps,
    liquidity,
    deposit,
    bond,
    tradingWindow: window('trading', '1d', BOUNDS.tradingWindow),
    settlementWindow: window('settlement-window', '1h', BOUNDS.settlementWindow),
    challengeWindow: window('challenge-window', '30m', BOUNDS.challengeWindow),
  }
  return { market, inputFrom: from, config, terms }
}
