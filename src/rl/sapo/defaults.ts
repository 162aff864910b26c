// The RL swarm that the page and the Node peer join by name: its parameters from the RL model's defaults
// (src/rl/model.ts), the seed from the name, so tabs with one name share one topic and one question book.
import { keccak256, toBytes } from 'viem'
import { RL_E, RL_G, RL_GRPO, RL_L, RL_SAMPLING, RL_TRAIN } from '../model.ts'
import type { SapoParams, SapoPeerParams } from './params.ts'

export function rlSwarmParams(name: string): SapoParams {
  return {
    seed: keccak256(toBytes(`lockstep/rl-swarm/${name}`)),
    local: RL_L,
    G: RL_G,
    rule: RL_SAMPLING,
    config: RL_TRAIN,
  }
}

/**
 * A peer's own defaults: RL Swarm's E and GRPO, half of the taken groups regenerated (a forger is caught
 * within a round with probability ≈ 1 − e^−2, docs/rl.md), and 30 s for the others' rollouts: waits end
 * as soon as every connected peer has sent, so the deadline only bounds a silent one.
 */
export const RL_PEER: SapoPeerParams = { external: RL_E, grpo: RL_GRPO, checkRate: 0.5, collectMs: 30_000 }
