// A peer's reward claim on the swarm coordinator (contracts/SwarmCoordinator.sol), and its re-check.
// A claim names one ROLLOUTS message of the claimant's by the keccak256 of its exact bytes (the claim's
// receipts root); that message names the model that generated it by its blob hash, and the claimant
// serves both by hash. The reward is a function of the message alone: the sum of its completions'
// rewards (thousandths, src/rl/reward.ts), floored at zero because the contract counts in uints.
//
// Re-checking takes every rule from the verifier's own derivation: the tasks are tasksFor(swarm seed,
// message round, claimant) as the swarm's params say, the group size and sampling rule are the swarm's,
// and every group is regenerated from the named model, not only sampled as a spot check does. A claim
// is confirmed only when its bytes regenerate token for token and their rewards add up to the claim.
import canonicalize from 'canonicalize'
import { keccak256, type Hex } from 'viem'
import { ClaimEvidenceError } from '../../errors/rl.ts'
import { checkpointHash, decodeCheckpoint } from '../../swarm/protocol/codec.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { RlCompute } from '../types.ts'
import { acceptRollouts, type Accepted } from './accept.ts'
import type { TaskBook } from './book.ts'
import { difference } from './check.ts'
import { decodeSapoMessage, MAX_SAPO_MESSAGE_BYTES } from './messages.ts'
import { maxBlobBytes, type SapoParams } from './params.ts'

/** What a claim says, as the coordinator holds it. */
export interface RewardClaim {
  peerId: string
  /** Thousandths of reward points. */
  reward: bigint
  /** keccak256 of the exact bytes of the ROLLOUTS message the reward re-executes from. */
  receiptsRoot: Hex
}

/** The reward a scored message earns on chain: the sum of its completions' rewards, at least zero. */
export function claimReward(accepted: Accepted): bigint {
  const sum = accepted.groups.reduce((n, g) => n + g.rewards.reduce((m, r) => m + r, 0), 0)
  return BigInt(Math.max(0, sum))
}

/** The receipts root of a message: the keccak256 of the bytes the claimant serves. */
export const receiptsRoot = (message: Uint8Array): Hex => keccak256(message)

export interface RecheckContext {
  compute: RlCompute
  params: SapoParams
  book: TaskBook
}

/**
 * An earlier claim of the same claimant, for the replay rule: a claim must name rollouts of a later RL round
 * than every earlier claim of its peer did, or one round's work would be paid in every coordinator round.
 * `message` is the earlier claim's bytes (they must hash to its receipts root).
 */
export interface EarlierClaim {
  round: number
  stage: number
  receiptsRoot: Hex
  message: Uint8Array
}

/** The re-execution's verdict: the reward the bytes earn (null when they earn none), and why. */
export interface Recheck {
  confirmed: boolean
  reward: bigint | null
  why: string
}

/**
 * Re-executes `claim` from the message and checkpoint bytes it commits to. Bytes that are not the
 * ones the claim names (the message does not hash to its root, the checkpoint not to the message's
 * blob) are no verdict on the claimant: ClaimEvidenceError. Anything else the claimant committed to is
 * judged: a malformed message, a model that is not the swarm's or not the state it named, one token
 * that does not regenerate, or rewards that do not add up to the claim each refute it.
 */
export async function recheckClaim(
  claim: RewardClaim,
  message: Uint8Array,
  checkpoint: Uint8Array,
  ctx: RecheckContext,
  replay?: { at: { round: number; stage: number }; earlier: EarlierClaim },
): Promise<Recheck> {
  if (message.length > MAX_SAPO_MESSAGE_BYTES)
    throw new ClaimEvidenceError(`The rollouts are ${message.length} bytes, over ${MAX_SAPO_MESSAGE_BYTES}.`)
  const root = receiptsRoot(message)
  if (root !== claim.receiptsRoot)
    throw new ClaimEvidenceError(
      `These rollouts hash to ${root}, not the claim's receipts root ${claim.receiptsRoot}.`,
    )
  const refuted = (why: string, reward: bigint | null = null): Recheck => ({ confirmed: false, reward, why })

  let accepted: Accepted
  try {
    const m = decodeSapoMessage(message)
    if (m.type !== 'rollouts') return refuted(`its receipts root names a ${m.type} message, not rollouts`)
    accepted = acceptRollouts(m, claim.peerId, ctx.params, ctx.book)
  } catch (e) {
    return refuted(`its rollouts do not fit the swarm: ${(e as Error).message.split('\n')[0]}`)
  }
  const earned = claimReward(accepted)
  if (replay) {
    const before = earlierRound(replay.at, replay.earlier)
    if (before >= accepted.round)
      return refuted(
        `it replays: its rollouts are of RL round ${accepted.round}, and its claim in coordinator round ${replay.earlier.round} stage ${replay.earlier.stage} already named RL round ${before}`,
        earned,
      )
  }

  const max = maxBlobBytes(ctx.params)
  if (checkpoint.length > max)
    throw new ClaimEvidenceError(`The checkpoint is ${checkpoint.length} bytes, over the swarm's ${max}.`)
  const blob = checkpointHash(checkpoint)
  if (blob !== accepted.blob)
    throw new ClaimEvidenceError(
      `The checkpoint hashes to ${blob}, not the ${accepted.blob} its rollouts name.`,
    )
  let model: Checkpoint
  try {
    model = decodeCheckpoint(checkpoint, max)
  } catch (e) {
    return refuted(`the model it named is not a checkpoint (${(e as Error).message.split('\n')[0]})`, earned)
  }
  if (canonicalize(model.config.model) !== canonicalize(ctx.params.config.model))
    return refuted("the model it named is not the swarm's model shape", earned)
  const state = stateHash(model.step, model.tensors)
  if (state !== accepted.state)
    return refuted(
      `the model it named has state ${state}, not the ${accepted.state} its rollouts say`,
      earned,
    )

  // Regenerated under the swarm's config (the state hash covers tensors and step only).
  const again = await ctx.compute.rollouts(
    { ...model, config: ctx.params.config },
    accepted.tasks,
    ctx.params.G,
    ctx.params.rule,
  )
  for (let i = 0; i < accepted.groups.length; i++) {
    const problem = difference(accepted.groups[i].completions, again[i]?.completions ?? [])
    if (problem) return refuted(`${accepted.groups[i].taskId} does not regenerate: ${problem}`, earned)
  }
  if (earned !== claim.reward)
    return refuted(`it claimed ${claim.reward}; its rollouts regenerate and earn ${earned}`, earned)
  return { confirmed: true, reward: earned, why: `every group regenerates and earns ${earned}` }
}

/**
 * The RL round an earlier claim's rollouts are of. Bytes that are not that claim's, or a claim that is not
 * earlier, are no evidence of a replay: ClaimEvidenceError.
 */
function earlierRound(at: { round: number; stage: number }, e: EarlierClaim): number {
  if (e.round > at.round || (e.round === at.round && e.stage >= at.stage))
    throw new ClaimEvidenceError(
      `The earlier claim (coordinator round ${e.round} stage ${e.stage}) is not before this one (round ${at.round} stage ${at.stage}).`,
    )
  if (e.message.length > MAX_SAPO_MESSAGE_BYTES || receiptsRoot(e.message) !== e.receiptsRoot)
    throw new ClaimEvidenceError(
      `The earlier rollouts do not hash to that claim's receipts root ${e.receiptsRoot}.`,
    )
  try {
    const m = decodeSapoMessage(e.message)
    if (m.type === 'rollouts') return m.round
  } catch {
    // below
  }
  throw new ClaimEvidenceError('The earlier claim names no rollouts message: it proves no replay.')
}
