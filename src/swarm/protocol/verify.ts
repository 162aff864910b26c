// Checking other peers' work. A commit is first validated without re-execution (its receipt must be
// signed, for this swarm, round, start state and sender); then a checker re-executes the steps it
// draws and, on a mismatch, signs a one-step receipt of what it got: the fault evidence. Anyone holding
// the producer's checkpoint before that step judges by replaying that one step — the step-level stage of
// src/disputes, with every peer as the referee. Every replay runs under the round's own config
// (`roundConfig`), never the one a checkpoint blob carries: the state hash covers the tensors and the
// step but not the hyperparameters, so a blob's header is refused when it differs, and ignored otherwise.
import type { Hex } from 'viem'
import {
  hashJson,
  signTrainingReceipt,
  trainingReceiptBody,
  type TrainingReceipt,
} from '../../receipts/training.ts'
import { sampleSteps } from '../../receipts/replay.ts'
import { validateTrainingReceipt } from '../../receipts/validate.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import { checkpointHash, encodeCheckpoint } from './codec.ts'
import type { SwarmCompute } from './compute.ts'
import type { Commit, Fault } from './messages.ts'
import { roundConfig, runId, type SwarmParams } from './params.ts'
import { configDifference } from '../../train/configDiff.ts'
import { SwarmProtocolError } from '../../errors/swarm.ts'

export interface VerifyContext {
  params: SwarmParams
  compute: SwarmCompute
  signer: Parameters<typeof signTrainingReceipt>[1]
  /** A checkpoint blob by hash (kept and served by this peer), from any of `peers`. */
  fetchCheckpoint(hash: Hex, peers: string[]): Promise<Checkpoint>
  /** Keeps a checkpoint so peers can fetch it; returns its blob hash. */
  keep(c: Checkpoint): Hex
}

/** The committed state after `step` (startStep gives the start). */
export const committed = (r: TrainingReceipt, step: number): Hex =>
  step === r.body.startStep ? r.body.startStateHash : r.body.stepHashes[step - r.body.startStep - 1]

/** Why a commit from `from` is not a valid update for (round, start), or null. */
export async function commitProblem(p: SwarmParams, from: string, c: Commit): Promise<string | null> {
  const b = c.receipt.body
  const H = p.stepsPerRound
  if (b.runId !== runId(p, c.round, from)) return `runId ${JSON.stringify(b.runId)} does not bind the sender`
  if (b.configHash !== hashJson(roundConfig(p, c.round, from)))
    return 'not the swarm config with its batch seed'
  if (b.startStep !== c.round * H || b.endStep !== b.startStep + H) return `steps are not round ${c.round}'s`
  if (b.startStateHash !== c.start) return 'the receipt starts from another state'
  if (c.checkpoints.length !== H) return `${c.checkpoints.length} checkpoint hashes for ${H} steps`
  const d = p.data
  if (b.data.name !== d.name || b.data.sha256 !== d.sha256 || b.data.valFraction !== d.valFraction)
    return 'another corpus'
  const failed = (await validateTrainingReceipt(c.receipt, p.target)).filter((x) => !x.ok)
  return failed.length ? failed.map((x) => `${x.name}: ${x.detail}`).join('; ') : null
}

const blobHash = (c: Checkpoint) => checkpointHash(encodeCheckpoint(c))

/** The checker receipt's runId: binds a fault to its checker and the receipt it accuses. */
export const faultRunId = (checker: string, accused: Hex) => `fault/${accused}/${checker}`

export interface CheckResult {
  ok: boolean
  /** Set when the re-execution differs: signed evidence. */
  fault: Fault | null
  detail: string
}

/** Re-executes the drawn steps of `commit` (all of them when checkSteps ≥ H) from `model`, the round start. */
export async function checkCommit(
  ctx: VerifyContext,
  self: string,
  from: string,
  commit: Commit,
  model: Checkpoint,
  seed: Hex,
): Promise<CheckResult> {
  const { params: p, compute } = ctx
  const r = commit.receipt
  const start = r.body.startStep
  const config = roundConfig(p, commit.round, from)
  const full = p.checkSteps >= p.stepsPerRound
  const steps = full ? [start + 1] : sampleSteps(r, p.checkSteps, seed).sort((a, b) => a - b)
  for (const s of steps) {
    const fetched =
      s - 1 === start ? model : await ctx.fetchCheckpoint(commit.checkpoints[s - start - 2], [from])
    const header = s - 1 === start ? null : configDifference(config, fetched.config)
    if (header)
      return {
        ok: false,
        fault: null,
        detail: `its checkpoint after step ${s - 1} carries another ${header}`,
      }
    if (stateHash(fetched.step, fetched.tensors) !== committed(r, s - 1))
      return {
        ok: false,
        fault: null,
        detail: `its checkpoint after step ${s - 1} is not the committed state`,
      }
    const before = { ...fetched, config }
    const out = await compute.train(before, config.seed, full ? p.stepsPerRound : 1)
    const i = out.stepHashes.findIndex((h, k) => h !== committed(r, s + k))
    if (i < 0) {
      // The loss a commit reports is its steps' mean (round.ts): a full check covers it too.
      const loss = out.losses.reduce((a, b) => a + b, 0) / out.losses.length
      if (full && !Object.is(loss, commit.loss))
        return { ok: false, fault: null, detail: `it reports loss ${commit.loss}; its steps give ${loss}` }
      // Checkpoints encode canonically, so a full check also covers every blob hash the commit lists.
      const blob = full ? out.checkpoints.findIndex((c, k) => blobHash(c) !== commit.checkpoints[k]) : -1
      if (blob >= 0)
        return {
          ok: false,
          fault: null,
          detail: `its blob after step ${start + blob + 1} is not this replay's`,
        }
      continue
    }
    const at = s + i
    const prior = i === 0 ? before : out.checkpoints[i - 1]
    const body = trainingReceiptBody({
      runId: faultRunId(self, r.receiptHash),
      config,
      data: r.body.data,
      startStep: at - 1,
      endStep: at,
      startStateHash: committed(r, at - 1),
      stepHashes: [out.stepHashes[i]],
      kernelsHash: r.body.kernelsHash,
      producer: ctx.signer.address,
    })
    const checker = await signTrainingReceipt(body, ctx.signer, p.target)
    const fault = { step: at, before: at - 1 === start ? null : ctx.keep(prior), receipt: r, checker }
    return {
      ok: false,
      fault,
      detail: `step ${at}: replayed ${out.stepHashes[i]}, committed ${committed(r, at)}`,
    }
  }
  return { ok: true, fault: null, detail: `${full ? 'all' : steps.length} steps equal, bit for bit` }
}

/**
 * Judges a fault by replaying its one step under the round's config: returns who is proven wrong — the
 * producer (its commitment differs from the replay), the checker (its claim differs), or both. Everything
 * in a fault is its checker's own signed word, and an honest checker's fault is well formed by
 * construction, so a malformed one names the checker too: one that accuses another receipt or step,
 * is not bound to it, starts elsewhere, claims the committed state itself, or names a blob that is not
 * the committed state or carries another config. Throws only where nothing can be proven: the blob
 * cannot be fetched, or the receipts name kernels this peer does not run (then nobody is excluded).
 */
export async function judgeFault(
  ctx: VerifyContext,
  checker: string,
  producer: string,
  commit: Commit,
  fault: Fault,
  model: Checkpoint,
): Promise<('producer' | 'checker')[]> {
  const r = commit.receipt
  const malformed = await faultProblem(ctx, checker, commit, fault)
  if (malformed) return ['checker']
  const c = fault.checker.body
  const config = roundConfig(ctx.params, commit.round, producer)
  const fetched = fault.before === null ? model : await ctx.fetchCheckpoint(fault.before, [checker, producer])
  if (fault.before !== null && stateHash(fetched.step, fetched.tensors) !== c.startStateHash)
    return ['checker']
  if (fault.before !== null && configDifference(config, fetched.config)) return ['checker']
  const before = { ...fetched, config }
  const [replayed] = (await ctx.compute.train(before, config.seed, 1)).stepHashes
  const wrong: ('producer' | 'checker')[] = []
  if (replayed !== committed(r, fault.step)) wrong.push('producer')
  if (replayed !== c.stepHashes[0]) wrong.push('checker')
  return wrong
}

/** Why a fault is not one an honest checker makes (null when well formed); throws when unprovable. */
async function faultProblem(
  ctx: VerifyContext,
  checker: string,
  commit: Commit,
  fault: Fault,
): Promise<string | null> {
  const r = commit.receipt
  const c = fault.checker?.body
  if (fault.receipt?.receiptHash !== r.receiptHash) return 'the fault accuses another receipt'
  if (!c || c.runId !== faultRunId(checker, r.receiptHash)) return 'the fault is not bound to its checker'
  if (c.configHash !== r.body.configHash || c.startStep !== fault.step - 1 || c.endStep !== fault.step)
    return 'the checker receipt is not for that step'
  if (fault.step <= r.body.startStep || fault.step > r.body.endStep) return 'step outside the receipt'
  if (c.startStateHash !== committed(r, fault.step - 1)) return 'the checker started elsewhere'
  if (c.kernelsHash !== r.body.kernelsHash) return 'the checker names other kernels'
  if (c.stepHashes[0] === committed(r, fault.step)) return 'it claims the committed state itself'
  if (fault.before === null && fault.step - 1 !== r.body.startStep)
    return 'no blob for a step after the start'
  const failed = (await validateTrainingReceipt(fault.checker, ctx.params.target)).filter((x) => !x.ok)
  if (failed.length && failed.every((x) => x.name === 'kernels'))
    throw new SwarmProtocolError('The receipts name kernels this peer does not run.') // version skew proves nothing
  return failed.length ? `checker receipt: ${failed.map((x) => x.name).join(', ')}` : null
}
