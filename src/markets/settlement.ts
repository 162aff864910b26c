// Market settlements, version 2 (docs/receipts.md, "Market settlements"): a question, its outcomes,
// the input, the model (by hash), the deterministic inference's input and output hashes, the rule,
// each outcome's score and the outcome chosen; hashed with hashJson and signed with EIP-712 like
// every Lockstep receipt, so the anchor queue takes it as it is. Version 2 carries the output hash of
// inference receipts version 2; version 1 (the old, non-injective hash) is refused.
import type { Address, Hex } from 'viem'
import { hashJson, signBody, type Eip712Signature, type ReceiptSigner } from '../receipts/training.ts'
import { infer, RUNTIME } from '../receipts/inference.ts'
import { knownKernels, localRelease, type Release } from '../receipts/releases.ts'
import { commonChecks } from '../receipts/validate.ts'
import {
  decide,
  isRule,
  marketInputs,
  marketProblem,
  RULE,
  RULES,
  scoreOutcomes,
  windowOf,
  type Market,
  type Rule,
} from './model.ts'
import { MarketError } from '../errors/market.ts'
import { keccak256Hex } from '../util/keccak.ts'

export const MARKET_SETTLEMENT = 'lockstep/market-settlement'
export const SETTLEMENT_VERSION = 2

export interface Settled {
  market: Market
  rule: Rule
  inference: {
    model: { hash: Hex; uri: string }
    inputHash: Hex
    outputHash: Hex
    runtime: string
    kernelsHash: Hex
  }
  scores: number[]
  outcome: number
}

export interface SettlementBody extends Settled {
  producer: Address
}

export interface SettlementReceipt {
  kind: typeof MARKET_SETTLEMENT
  version: typeof SETTLEMENT_VERSION
  body: SettlementBody
  receiptHash: Hex
  signature: Eip712Signature
}

export interface MarketCheck {
  name: string
  ok: boolean
  detail: string
}

/**
 * Runs the market's inference on the deterministic CPU runtime and applies the rule; `release` is the
 * kernel-library release to run (default this library's own; a re-check runs the settlement's).
 */
export function settle(
  modelBytes: Uint8Array,
  market: Market,
  uri: string,
  release: Release = localRelease(),
  rule: Rule = RULE,
): Settled {
  const problem = marketProblem(market)
  if (problem) throw new MarketError(problem)
  const T = windowOf(modelBytes)
  const { inputs } = marketInputs(market, T, rule)
  const { outputs, outputHash } = infer(modelBytes, inputs, undefined, release)
  const scores = scoreOutcomes(market, T, outputs.logits.data as number[], rule)
  if (!scores.every(Number.isFinite))
    throw new MarketError('The model gave a non-finite score; it cannot settle.')
  return {
    market,
    rule,
    inference: {
      model: { hash: keccak256Hex([modelBytes]), uri },
      inputHash: hashJson(inputs),
      outputHash,
      runtime: RUNTIME,
      kernelsHash: release.kernelsHash,
    },
    scores,
    outcome: decide(scores),
  }
}

export async function signSettlement(
  settled: Settled,
  account: ReceiptSigner,
  target: { chainId: number; verifyingContract: Address },
): Promise<SettlementReceipt> {
  const body: SettlementBody = { ...settled, producer: account.address }
  return {
    kind: MARKET_SETTLEMENT,
    version: SETTLEMENT_VERSION,
    body,
    ...(await signBody(MARKET_SETTLEMENT, body, account, target)),
  }
}

function structureProblem(r: SettlementReceipt): string | null {
  if (typeof r !== 'object' || r === null) return 'not a JSON object'
  if (r.kind !== MARKET_SETTLEMENT)
    return `kind is ${JSON.stringify(r.kind)}, expected "${MARKET_SETTLEMENT}"`
  if ((r.version as number) === 1)
    return 'version 1 settlements are refused: their output hash is the old, non-injective one; settle again'
  if (r.version !== SETTLEMENT_VERSION) return `unsupported version ${JSON.stringify(r.version)}`
  const b = r.body
  if (typeof b?.market !== 'object' || !Array.isArray(b.market?.outcomes)) return 'body.market is missing'
  if (typeof b.market.question !== 'string' || typeof b.market.input !== 'string')
    return 'body.market needs question and input'
  if (typeof b.inference?.model?.hash !== 'string') return 'body.inference is missing'
  if (!Array.isArray(b.scores) || !Number.isInteger(b.outcome)) return 'body needs scores and outcome'
  if (typeof r.signature?.value !== 'string') return 'signature is missing'
  return null
}

/**
 * Every check, re-executing the model (`modelBytes`, which must hash to the settlement's model):
 * structure, rule, model, input hash, output hash, outcome, receipt hash, signature, kernels.
 */
export async function recheckSettlement(value: unknown, modelBytes: Uint8Array): Promise<MarketCheck[]> {
  const r = value as SettlementReceipt
  const problem = structureProblem(r)
  if (problem) return [{ name: 'structure', ok: false, detail: problem }]
  const b = r.body
  const checks: MarketCheck[] = [{ name: 'structure', ok: true, detail: 'a version-2 market settlement' }]
  const add = (name: string, ok: boolean, good: string, bad: string) =>
    checks.push({ name, ok, detail: ok ? good : bad })
  const same = (name: string, got: unknown, want: unknown) =>
    add(name, got === want, String(got), `recomputed ${got}, the settlement says ${want}`)
  add(
    'rule',
    isRule(b.rule),
    String(b.rule),
    `unknown rule ${JSON.stringify(b.rule)} (known: ${RULES.join(', ')})`,
  )
  same('model', keccak256Hex([modelBytes]), b.inference.model.hash)
  try {
    // The settlement's release (an unknown one fails `kernels` below; this library's runs meanwhile).
    const release = knownKernels(b.inference.kernelsHash).release
    if (!isRule(b.rule)) throw new MarketError(`unknown rule ${JSON.stringify(b.rule)}`)
    const again = settle(modelBytes, b.market, b.inference.model.uri, release, b.rule)
    same('input hash', again.inference.inputHash, b.inference.inputHash)
    same('output hash', again.inference.outputHash, b.inference.outputHash)
    const scoresOk =
      again.scores.every((s, k) => Object.is(s, b.scores[k])) && again.scores.length === b.scores.length
    add(
      'outcome',
      scoresOk && again.outcome === b.outcome,
      `${JSON.stringify(b.market.outcomes[b.outcome])} (scores ${again.scores.map((s) => s.toFixed(3)).join(', ')})`,
      `re-applying the rule gives outcome ${again.outcome} ${JSON.stringify(b.market.outcomes[again.outcome])}` +
        ` with scores [${again.scores.join(', ')}]; the settlement says ${b.outcome} with [${b.scores.join(', ')}]`,
    )
  } catch (e) {
    add('output hash', false, '', `re-execution failed: ${e instanceof Error ? e.message : e}`)
  }
  same('receipt hash', hashJson(b), r.receiptHash)
  checks.push(...(await commonChecks(MARKET_SETTLEMENT, r, b.producer, b.inference.kernelsHash, {})))
  return checks
}

/** `#settlement=<base64url of the JSON>`: a link that opens the Market panel and re-checks it. */
export function settlementHash(r: SettlementReceipt): string {
  let bin = ''
  new TextEncoder().encode(JSON.stringify(r)).forEach((b) => (bin += String.fromCharCode(b)))
  return '#settlement=' + btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function parseSettlementHash(hash: string): string | null {
  const m = /^#settlement=([A-Za-z0-9_-]+)$/.exec(hash)
  if (!m) return null
  const bin = atob(m[1].replace(/-/g, '+').replace(/_/g, '/'))
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))
}
