// Errors from the RL swarm's tasks and rollouts (src/rl/): each names what was refused, so a peer can
// tell a malformed message from a model that does not regenerate.
import { BaseError } from './base.ts'

/** A task id, task seed or task request that is not one tasks.ts defines. */
export class TaskError extends BaseError {
  override name = 'TaskError'
}

/** A completion that cannot be scored: not token ids, or longer than any rollout can be. */
export class RewardInputError extends BaseError {
  override name = 'RewardInputError'
}

/** Rollouts that cannot be generated as asked: a prompt that does not fit, a bad group size or rule. */
export class RolloutError extends BaseError {
  override name = 'RolloutError'
}

/**
 * Evidence about a reward claim that is not about that claim: rollouts that do not hash to its receipts
 * root, or a checkpoint that is not the model its rollouts name. No verdict on the claimant follows.
 */
export class ClaimEvidenceError extends BaseError {
  override name = 'ClaimEvidenceError'
}
