// The RL swarm's model and its defaults: a byte-level GPT just wide enough to learn the tasks
// (tasks.ts), small enough that a round of rollouts and a GRPO step take about a second on one CPU core
// (the CPU reference, which Node peers and verifiers run), and the SAPO sizes of the RL Swarm paper.
import type { GptConfig } from '../train/gpt.ts'
import { defaultTrainConfig, type TrainConfig } from '../train/trainer.ts'
import type { GrpoParams, SamplingRule } from './types.ts'

/** The longest prompt + answer + END_TOKEN of any task (sort, level 4: "\nsort:" + 7 + "=" + 7 + 1). */
export const LONGEST_TASK = 22
/** The longest answer + END_TOKEN (reverse and sort, level 4). */
export const LONGEST_COMPLETION = 8

export const RL_MODEL: GptConfig = { vocab: 256, seqLen: LONGEST_TASK, dModel: 32, nLayer: 2, nHead: 2 }

/** Temperature 1, every token kept: the exploration GRPO needs; room for the longest answer. */
export const RL_SAMPLING: SamplingRule = { temperature: 1, top_k: 0, maxNewTokens: LONGEST_COMPLETION }

/** SAPO's sizes: G completions per task, L local and E external groups trained on per round. */
export const RL_G = 4
export const RL_L = 4
export const RL_E = 4

/**
 * DAPO's asymmetric clip (RL Swarm's 0.2 / 0.28), no KL term, one step per round, at a tenth of the
 * warm start's final learning rate: from the warm start, 160 single-peer GRPO steps (8 groups of 4)
 * raised the mean sampled reward on 96 fixed tasks from 394 to 400–470 at 1e-4, while 1e-3 lowered it
 * to 308 in 60 steps and 1e-2 to 64 (docs/rl.md).
 */
export const RL_GRPO: GrpoParams = { epsLow: 0.2, epsHigh: 0.28, beta: 0, iterations: 1, lr: 1e-4 }

/** Steps of the warm start (scripts/rl-warmstart.mjs): stream LM training on the task corpus. */
export const WARMSTART_STEPS = 4000

/**
 * The training config of the warm start, which its checkpoint carries into RL; GRPO then trains at
 * RL_GRPO's own learning rate.
 */
export const RL_TRAIN: TrainConfig = defaultTrainConfig(RL_MODEL, {
  seed: 1,
  batch: 16,
  steps: WARMSTART_STEPS,
  lr: 1e-2,
  warmup: 50,
  minLr: 1e-3,
})
