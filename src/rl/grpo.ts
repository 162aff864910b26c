// GRPO (group relative policy optimisation) on scored rollout groups: each completion's advantage is
// its reward against its group's, and one optimizer step per iteration raises the log-probability of
// the completion's tokens by that advantage, with PPO's clipped ratio and an optional KL penalty
// against a reference policy (docs/rl.md). The loss is the engine's weighted cross-entropy: GRPO's
// gradient is Σ_t w_t·∇(−log p_t), so each token's weight w_t carries everything; the weights are host
// math in binary32 softfloat (src/kernels/softfloat.ts), so every peer computes the same bits.
import { ConfigError, GrpoError, NonFiniteError } from '../errors/train.ts'
import * as sf from '../kernels/softfloat.ts'
import type { StepResult, Trainer } from '../train/trainer.ts'
import { END_TOKEN, type GrpoParams, type ScoredGroup, type Task } from './types.ts'

/**
 * Added to a group's reward standard deviation before dividing, in thousandths: 0.1, i.e. 1e-4 of a
 * reward of 1 (TRL's GRPO uses 1e-4 on rewards of order 1). A group whose rewards are all equal has
 * advantages exactly 0 (no signal) whatever the epsilon.
 */
export const ADVANTAGE_EPS = Math.fround(0.1)
/** Guards against hostile groups before any work: more than any swarm trains on. */
export const MAX_GROUP = 64
export const MAX_ROWS = 4096
/** A reward's magnitude at most, in thousandths. */
export const MAX_REWARD = 1_000_000

/**
 * Each reward's advantage within its group: (r − mean) / (std + ADVANTAGE_EPS), with the population
 * standard deviation (divided by G), every step one binary32 rounding in a fixed order. Rewards are
 * integers (thousandths).
 */
export function advantages(rewards: readonly number[]): number[] {
  const G = rewards.length
  if (G < 1 || G > MAX_GROUP) throw new GrpoError(`A group has 1 to ${MAX_GROUP} rewards (got ${G}).`)
  for (const r of rewards)
    if (!Number.isInteger(r) || Math.abs(r) > MAX_REWARD)
      throw new GrpoError(`A reward is an integer of at most ${MAX_REWARD} in magnitude (got ${r}).`)
  if (rewards.every((r) => r === rewards[0])) return rewards.map(() => 0)
  const n = Math.fround(G)
  const mean = sf.div(
    rewards.reduce((a, r) => sf.add(a, r), 0),
    n,
  )
  const d = rewards.map((r) => sf.sub(r, mean))
  const std = sf.sqrt(
    sf.div(
      d.reduce((a, x) => sf.add(a, sf.mul(x, x)), 0),
      n,
    ),
  )
  const scale = sf.add(std, ADVANTAGE_EPS)
  return d.map((x) => sf.div(x, scale))
}

/** The task behind a group's id: a map, or a function (tasks.ts' taskFromId) that throws for a bad id. */
export type TaskLookup = ReadonlyMap<string, Task> | ((taskId: string) => Task)

/** Rows of prompt + completion, one per completion, and where its completion's tokens are. */
export interface GrpoBatch {
  /** [rows, seqLen] ids: prompt then completion, right-padded with END_TOKEN (causal: unseen). */
  inputs: Int32Array
  /** inputs shifted by one: position t predicts token t + 1. */
  targets: Int32Array
  /** Per position: its completion's advantage where the target is a completion token, else 0. */
  advantage: Float32Array
  /** Per position: 1 where the target is a completion token (the END_TOKEN that ends it too). */
  mask: Uint8Array
  /** Completion tokens in the batch: the normaliser of every weight. */
  tokens: number
}

/**
 * The training rows of scored groups. A completion of C tokens after a prompt of P is predicted at
 * positions P − 1 .. P + C − 2; it must fit: P + C ≤ seqLen + 1 (its last token is only a target).
 */
export function grpoBatch(
  groups: readonly ScoredGroup[],
  tasks: TaskLookup,
  model: { seqLen: number; vocab: number },
): GrpoBatch {
  const { seqLen: T, vocab } = model
  const rows = groups.reduce((a, g) => a + (Array.isArray(g?.completions) ? g.completions.length : 0), 0)
  if (rows > MAX_ROWS) throw new GrpoError(`At most ${MAX_ROWS} completions per update (got ${rows}).`)
  const batch: GrpoBatch = {
    inputs: new Int32Array(rows * T).fill(END_TOKEN),
    targets: new Int32Array(rows * T).fill(END_TOKEN),
    advantage: new Float32Array(rows * T),
    mask: new Uint8Array(rows * T),
    tokens: 0,
  }
  let row = 0
  for (const g of groups) {
    if (!Array.isArray(g?.completions)) throw new GrpoError('A group has an array of completions.')
    const task = typeof tasks === 'function' ? tasks(g.taskId) : tasks.get(g.taskId)
    if (!task) throw new GrpoError(`No task ${JSON.stringify(g.taskId)} is known.`)
    const prompt = Array.from(new TextEncoder().encode(task.prompt))
    if (!Array.isArray(g.rewards) || g.rewards.length !== g.completions.length)
      throw new GrpoError(`Group ${g.taskId}: ${g.completions.length} completions but not as many rewards.`)
    const A = advantages(g.rewards)
    g.completions.forEach((c, i) => {
      if (!Array.isArray(c) || prompt.length < 1 || prompt.length + c.length > T + 1)
        throw new GrpoError(
          `Group ${g.taskId}: completion ${i} does not fit one row of ${T} after its ${prompt.length}-byte prompt.`,
        )
      const seq = [...prompt, ...c]
      seq.forEach((t, k) => {
        if (!Number.isInteger(t) || t < 0 || t >= vocab)
          throw new GrpoError(`Group ${g.taskId}: completion ${i} has token ${t}, outside [0, ${vocab}).`)
        if (k < T) batch.inputs[row * T + k] = t
        if (k > 0) batch.targets[row * T + k - 1] = t
      })
      for (let k = prompt.length - 1; k < seq.length - 1; k++) {
        batch.mask[row * T + k] = 1
        batch.advantage[row * T + k] = A[i]
      }
      batch.tokens += c.length
      row++
    })
  }
  return batch
}

/** The parameters as binary32, checked: what every peer computes with. */
export function grpoParams(p: GrpoParams): GrpoParams {
  const bad = (why: string) => {
    throw new ConfigError(`Invalid GRPO parameters: ${why}.`)
  }
  const f = {
    ...p,
    epsLow: Math.fround(p.epsLow),
    epsHigh: Math.fround(p.epsHigh),
    beta: Math.fround(p.beta),
  }
  if (!(f.epsLow >= 0 && f.epsLow < 1)) bad(`epsLow must be in [0, 1) (got ${p.epsLow})`)
  if (!(f.epsHigh >= 0 && Number.isFinite(f.epsHigh)))
    bad(`epsHigh must be a finite number ≥ 0 (got ${p.epsHigh})`)
  if (!(f.beta >= 0 && Number.isFinite(f.beta))) bad(`beta must be a finite number ≥ 0 (got ${p.beta})`)
  if (!Number.isInteger(p.iterations) || p.iterations < 1 || p.iterations > 16)
    bad(`iterations must be an integer from 1 to 16 (got ${p.iterations})`)
  if (p.lr !== undefined) {
    f.lr = Math.fround(p.lr)
    if (!(f.lr > 0 && f.lr <= 1)) bad(`lr must be in (0, 1] (got ${p.lr})`)
  }
  return f
}

/**
 * Each position's loss weight, from the current, old (before the update) and reference cross-entropies
 * (−log p) of the batch's targets: w_t = (A·ratio·unclipped − β·(1 − exp(logp_ref − logp))) / N, with
 * ratio = exp(logp − logp_old), unclipped = 0 when A > 0 and ratio > 1 + epsHigh or A < 0 and
 * ratio < 1 − epsLow, N the batch's completion tokens (a token-level mean, as DAPO's). Zero off the
 * completions. Every step is one binary32 rounding (sf.*).
 */
export function tokenWeights(
  batch: GrpoBatch,
  losses: Float32Array,
  oldLosses: Float32Array,
  params: GrpoParams,
  refLosses?: Float32Array,
): Float32Array {
  const { epsLow, epsHigh, beta } = grpoParams({ ...params, iterations: 1 })
  if (beta > 0 && !refLosses) throw new ConfigError('GRPO with beta > 0 needs the reference policy.')
  const high = sf.add(1, epsHigh)
  const low = sf.sub(1, epsLow)
  const n = Math.fround(batch.tokens)
  return sf.f32Array(batch.mask.length, (t) => {
    if (!batch.mask[t]) return 0
    const A = batch.advantage[t]
    const ratio = sf.exp(sf.sub(oldLosses[t], losses[t]))
    const clipped = (A > 0 && ratio > high) || (A < 0 && ratio < low)
    const policy = clipped ? 0 : sf.mul(A, ratio)
    const kl = beta > 0 ? sf.mul(beta, sf.sub(1, sf.exp(sf.sub(losses[t], refLosses![t])))) : 0
    return sf.div(sf.sub(policy, kl), n)
  })
}

/** What GRPO needs of the model it trains: a Trainer is one. */
export type GrpoTrainer = Pick<Trainer<unknown>, 'config' | 'rowLosses' | 'trainOn'>
/** The reference policy of the KL term: a Trainer of the warm start is one. */
export type GrpoReference = Pick<Trainer<unknown>, 'rowLosses'>

/**
 * GRPO on `groups`: `params.iterations` optimizer steps on the same rows, the first from the model as
 * it is (ratio exactly 1), each later one with the ratio against it. Returns each step's result; a
 * step refused (non-finite loss, gradient or weight) throws NonFiniteError with the steps before it
 * kept. No completion tokens, no step.
 *
 * @example
 * const steps = await grpoUpdate(trainer, scored, taskFromId, { epsLow: 0.2, epsHigh: 0.28, beta: 0, iterations: 1 })
 */
export async function grpoUpdate(
  trainer: GrpoTrainer,
  groups: readonly ScoredGroup[],
  tasks: TaskLookup,
  params: GrpoParams,
  reference?: GrpoReference,
): Promise<StepResult[]> {
  const p = grpoParams(params)
  if (p.beta > 0 && !reference) throw new ConfigError('GRPO with beta > 0 needs the reference policy.')
  const batch = grpoBatch(groups, tasks, trainer.config.model)
  if (batch.tokens === 0) return []
  const { inputs, targets } = batch
  // The first iteration's ratio is exactly 1 (exp(0)); its losses are needed only as the old policy's
  // for later iterations, or for the KL term. Without either, no forward pass is spent on them: the
  // same weights (A / N), a quarter less work per update at RL Swarm's defaults.
  const needed = p.iterations > 1 || p.beta > 0
  const old = needed ? await trainer.rowLosses(inputs, targets) : new Float32Array(inputs.length)
  const ref = p.beta > 0 ? await reference!.rowLosses(inputs, targets) : undefined
  const steps: StepResult[] = []
  for (let i = 0; i < p.iterations; i++) {
    const now = i === 0 ? old : await trainer.rowLosses(inputs, targets)
    const weights = tokenWeights(batch, now, old, p, ref)
    const bad = weights.findIndex((w) => !Number.isFinite(w))
    if (bad >= 0)
      throw new NonFiniteError(`GRPO iteration ${i + 1} was refused: a token weight is not finite.`, {
        details: `Position ${bad}: loss ${now[bad]}, before the update ${old[bad]}. The model state was left as it was after ${steps.length} GRPO steps.`,
      })
    steps.push(await trainer.trainOn({ inputs, targets, weights }))
  }
  return steps
}
