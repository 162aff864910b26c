// The shapes the RL swarm's parts agree on (docs/rl.md): tasks with checkable answers (tasks.ts), the
// rollouts a model makes of them (rollout.ts), the GRPO update that learns from them (grpo.ts) and the
// SAPO round that shares them between peers (sapo/). Everything here is plain data that structured
// clone and JSON carry, so it crosses a worker boundary and the wire unchanged.
import type { Hex } from 'viem'
import type { GptConfig } from '../train/gpt.ts'
import type { Checkpoint, StepResult } from '../train/trainer.ts'

export type TaskFamily = 'add' | 'reverse' | 'sort' | 'count' | 'compare'

export interface Task {
  /** `<family>/<level>/<seed>`: a task is a pure function of its id (tasks.ts, taskFromId). */
  id: string
  family: TaskFamily
  /** Difficulty, 1 (easiest) up to the family's maximum. */
  level: number
  /** What the model is given: starts with '\n', the separator of the warm start's corpus, and ends with '='. */
  prompt: string
  /** The one correct completion, without the '\n' that ends it. */
  answer: string
}

/** The byte that ends a completion. */
export const END_TOKEN = 10

/** G completions of one task by one model: the unit that is shared, checked and trained on. */
export interface RolloutGroup {
  taskId: string
  /** The state hash of the model that generated it (src/train/state.ts). */
  state: Hex
  /**
   * Completion i is sampled with the seed derived from (state, taskId, i) (rollout.ts, rolloutSeed):
   * nobody chooses a seed, so anyone holding that state regenerates every token.
   */
  completions: number[][]
}

/** A group with each completion's reward, as the peer that trains on it computed them itself. */
export interface ScoredGroup extends RolloutGroup {
  /** Rewards in thousandths: integers, so every peer gets the same numbers exactly. */
  rewards: number[]
}

/** The model's forward pass, as rollout generation needs it. A Trainer is one (Trainer.logits). */
export interface Policy {
  readonly config: { model: GptConfig }
  /** Logits [rows * seqLen, vocab] for [rows, seqLen] token ids. */
  logits(ids: Int32Array): Promise<Float32Array>
}

export interface SamplingRule {
  /** Softmax temperature (binary32); 0 is greedy. */
  temperature: number
  /** 0 keeps every token. */
  top_k: number
  /** Tokens generated at most per completion, the end token included. */
  maxNewTokens: number
}

export interface GrpoParams {
  /** Clip range of the probability ratio: [1 - epsLow, 1 + epsHigh] (RL Swarm: 0.2 / 0.28). */
  epsLow: number
  epsHigh: number
  /** KL weight against the reference (warm start) policy; 0 turns it off (RL Swarm's default). */
  beta: number
  /** Optimizer steps per round over the same rollouts (the ratio is 1 on the first). */
  iterations: number
  /**
   * AdamW's learning rate for these steps; the checkpoint's own schedule unless given (past its end,
   * its minLr). RL wants far less than supervised training: Adam scales every step to about lr per
   * weight, and a GRPO gradient from a few groups is mostly sampling noise (docs/rl.md).
   */
  lr?: number
}

/** What each peer computes; in a Web Worker on the GPU in the page, on the CPU reference in Node. */
export interface RlCompute {
  /** G completions of each task from `model`, in order. */
  rollouts(model: Checkpoint, tasks: readonly Task[], G: number, rule: SamplingRule): Promise<RolloutGroup[]>
  /** GRPO on `groups` from `model`: the checkpoint after, and each optimizer step's result. */
  update(
    model: Checkpoint,
    groups: readonly ScoredGroup[],
    params: GrpoParams,
  ): Promise<{ checkpoint: Checkpoint; steps: StepResult[] }>
  /** The commitment to a checkpoint (src/train/state.ts), for naming models in rollouts. */
  stateHash(model: Checkpoint): Promise<Hex>
}

/** What a peer reports after each round: everything the RL dashboard shows. */
export interface RoundReport {
  round: number
  /** This peer's id, and the state hash of its model after the round's update. */
  peer: string
  state: Hex
  /** Mean reward (thousandths) of this peer's own rollouts this round. */
  meanReward: number
  /** The median over every peer's mean reward this round, from rewards this peer recomputed. */
  swarmMedian: number
  /** This peer's own completions per task family: how many were exactly right, of how many. */
  accuracy: Partial<Record<TaskFamily, { correct: number; total: number }>>
  /** One of this round's own tasks with the model's completions (decoded) and their rewards. */
  sample: { task: Task; completions: string[]; rewards: number[] } | null
  /** Rollout groups this peer published and received (accepted) this round; gossip bytes both ways. */
  groupsSent: number
  groupsReceived: number
  bytesSent: number
  bytesReceived: number
  /** Every peer heard from, with the reward this peer recomputed for its rollouts and its standing. */
  peers: PeerStanding[]
}

export interface PeerStanding {
  peer: string
  /** Mean recomputed reward (thousandths) of its groups this round; null if none arrived. */
  reward: number | null
  /** Groups regenerated and matched, and groups that failed to regenerate, over all rounds so far. */
  verified: number
  failed: number
  /** Its rollouts are dropped (it published one that did not regenerate). */
  dropped: boolean
  score: number
  /**
   * Spot checks that could not fetch its blob, over all rounds so far: not proof of anything (the
   * network's weather), so never counted in `failed` nor a reason to drop it; its groups are left
   * untrained-on meanwhile (docs/rl.md, Spot checks). Absent in reports from before it was counted.
   */
  unavailable?: number
}
