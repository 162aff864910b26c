// The next token from one row of logits, defined so that every implementation picks the same one
// (docs/receipts.md, "Sampling", is the spec; this is its reference). Greedy is an argmax. Seeded
// sampling turns logits into integer weights once — (l - max) / T and exp in Lockstep's softfloat
// (binary32, the fixed operation sequence of src/kernels/softfloat.ts), then floor(e · 2^32) — and
// from there on is integer arithmetic only: the top-k cut, the top-p cut on integer cumulative sums,
// and a uniform draw from keccak256(domain ‖ seed ‖ step).
import { SamplingParamsError, GenerationError } from '../errors/generate.ts'
import { div, exp, sub } from '../kernels/softfloat.ts'
import { keccak256Parts } from '../util/keccak.ts'

export interface SamplingParams {
  /** 0: greedy. Else the softmax temperature, used as the nearest binary32. */
  temperature: number
  /** Keep the k heaviest tokens; 0 keeps all. */
  top_k: number
  /** Keep the fewest heaviest tokens holding this share of the weight; 1 keeps all. */
  top_p: number
  /** 0 ≤ seed < 2^53. */
  seed: number
}

export const SAMPLER = 'lockstep-sample/1'
const DOMAIN = new TextEncoder().encode(SAMPLER)
/** Weights are floor(e · 2^32) for e = exp(z) in [0, 1]: at most 2^32 each, 2^48 for 65,536 tokens. */
const ONE = 2 ** 32
/** top_p as a multiple of 2^-16. */
export const P_ONE = 65536

/** Why `p` are not sampling parameters the spec defines, or null. */
export function samplingProblem(p: SamplingParams): string | null {
  const { temperature: t, top_k: k, top_p, seed } = p
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 1000)
    return `temperature must be a number from 0 to 1000 (got ${JSON.stringify(t)})`
  if (t > 0 && Math.fround(t) === 0) return `temperature ${t} rounds to 0 in binary32; use 0 for greedy`
  if (!Number.isSafeInteger(k) || k < 0 || k > 1 << 20)
    return `top_k must be an integer from 0 (off) to 2^20 (got ${JSON.stringify(k)})`
  if (typeof top_p !== 'number' || !(top_p > 0 && top_p <= 1))
    return `top_p must be a number in (0, 1] (got ${JSON.stringify(top_p)})`
  if (topPUnits(top_p) < 1) return `top_p ${top_p} is below 2^-17: it keeps nothing`
  if (!Number.isSafeInteger(seed) || seed < 0)
    return `seed must be an integer from 0 to 2^53 - 1 (got ${JSON.stringify(seed)})`
  return null
}

/** top_p in units of 2^-16, rounded half up: floor(top_p · 65536 + 0.5), exact in binary64. */
export const topPUnits = (p: number) => Math.floor(p * P_ONE + 0.5)

/** The token with the largest logit; ties go to the smallest id. NaN logits are refused. */
export function argmax(logits: Float32Array): number {
  let best = 0
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] !== logits[i]) throw new GenerationError(`Logit ${i} is NaN: no token can be chosen.`)
    if (logits[i] > logits[best]) best = i
  }
  return best
}

/** Integer weights floor(exp((l_i - max) / T) · 2^32) in softfloat binary32; -inf logits weigh 0. */
export function weights(logits: Float32Array, temperature: number): number[] {
  const t = Math.fround(temperature)
  const m = logits[argmax(logits)]
  if (!Number.isFinite(m)) throw new GenerationError(`The largest logit is ${m}: no distribution to sample.`)
  return Array.from(logits, (l) =>
    l === -Infinity ? 0 : Math.min(ONE, Math.floor(exp(div(sub(l, m), t)) * ONE)),
  )
}

/** 256 bits from keccak256(utf8("lockstep-sample/1") ‖ uint64be(seed) ‖ uint32be(step)), as a bigint. */
export function draw(seed: number, step: number): bigint {
  const tail = new Uint8Array(12)
  const view = new DataView(tail.buffer)
  view.setBigUint64(0, BigInt(seed))
  view.setUint32(8, step)
  const h = keccak256Parts([DOMAIN, tail])
  return h.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n)
}

/**
 * The token for generation step `step` (0 for the first generated token). Greedy when temperature is
 * 0; else the seeded draw over the weights after the top-k and top-p cuts.
 */
export function sample(logits: Float32Array, p: SamplingParams, step: number): number {
  const problem = samplingProblem(p)
  if (problem) throw new SamplingParamsError(`Sampling parameters refused: ${problem}.`)
  if (p.temperature === 0) return argmax(logits)
  const w = weights(logits, p.temperature)
  // Heaviest first, ties by smaller id; tokens of weight 0 are never drawn.
  let order = w
    .map((_, i) => i)
    .filter((i) => w[i] > 0)
    .sort((a, b) => w[b] - w[a] || a - b)
  if (p.top_k > 0) order = order.slice(0, p.top_k)
  const units = BigInt(topPUnits(p.top_p))
  if (units < BigInt(P_ONE)) {
    const total = BigInt(order.reduce((s, i) => s + w[i], 0))
    let sum = 0n
    const keep = order.findIndex((i) => (sum += BigInt(w[i])) * BigInt(P_ONE) >= units * total)
    order = order.slice(0, keep + 1)
  }
  const kept = order.reduce((s, i) => s + w[i], 0) // < 2^53: exact
  let r = Number(draw(p.seed, step) % BigInt(kept))
  for (const i of order) {
    if (r < w[i]) return i
    r -= w[i]
  }
  throw new GenerationError('The draw fell past the last weight (unreachable).')
}
