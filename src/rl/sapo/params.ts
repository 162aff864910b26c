// What every peer of one RL swarm agrees on (docs/rl.md): the swarm's seed (which questions each peer
// gets each round), how many groups each peer publishes, their size, the sampling rule and the model's
// shape. These name the gossip topic, so agreeing on them is knowing the topic. How many external
// groups a peer trains on, its GRPO settings and its spot-check rate are its own business and may differ.
import type { Hex } from 'viem'
import { SapoParamsError } from '../../errors/sapo.ts'
import { hashJson } from '../../receipts/training.ts'
import { checkpointBytes } from '../../swarm/protocol/codec.ts'
import type { TrainConfig } from '../../train/trainer.ts'
import type { GrpoParams, SamplingRule } from '../types.ts'

export interface SapoParams {
  /** Seeds tasksFor: no peer picks its own questions. 32 bytes of hex. */
  seed: Hex
  /** Groups each peer generates and publishes per round (L). */
  local: number
  /** Completions per group (G). */
  G: number
  rule: SamplingRule
  /** The training config of the shared warm start: its model shape bounds checkpoint blobs. */
  config: TrainConfig
}

/** One peer's own choices. */
export interface SapoPeerParams {
  /** External groups trained on per round (E). */
  external: number
  grpo: GrpoParams
  /**
   * Fraction of the E chosen external groups regenerated before training (at least one when E > 0).
   * docs/rl.md, Spot checks, has the detection probability this buys.
   */
  checkRate: number
  /** How long a round waits for the others' rollouts after publishing its own (clock ms). */
  collectMs: number
}

export const PROTOCOL = 'lockstep/sapo/1'

/** Bounds every message and every loop over one: no honest swarm comes near them. */
export const LIMITS = { local: 64, G: 64, maxNewTokens: 256, peers: 1024, external: 256 } as const

export function sapoTopic(p: SapoParams): string {
  return `${PROTOCOL}/${hashJson(p)}`
}

/**
 * The largest checkpoint blob a peer of this swarm may serve: the config's tensor layout, and any config
 * the codec accepts (up to 4 KiB of JSON). Peers' configs may differ in what does not shape the model
 * (its schedule, its seed); a blob sized by another's config must not read as a lie.
 */
export function maxBlobBytes(p: SapoParams): number {
  return checkpointBytes(p.config) + MAX_CONFIG_BYTES
}

/** The codec's bound on a checkpoint's config JSON (swarm/protocol/codec.ts). */
const MAX_CONFIG_BYTES = 4096

export function checkSapoParams(p: SapoParams, mine?: SapoPeerParams): void {
  const bad = (why: string): never => {
    throw new SapoParamsError(`Invalid SAPO parameters: ${why}.`)
  }
  const intIn = (v: number, lo: number, hi: number) => Number.isSafeInteger(v) && v >= lo && v <= hi
  if (!/^0x[0-9a-f]{64}$/.test(p.seed)) bad('seed must be 32 bytes of lower-case hex')
  if (!intIn(p.local, 1, LIMITS.local)) bad(`local must be an integer in [1, ${LIMITS.local}]`)
  if (!intIn(p.G, 2, LIMITS.G)) bad(`G must be an integer in [2, ${LIMITS.G}] (GRPO compares within a group)`)
  if (!intIn(p.rule.maxNewTokens, 1, LIMITS.maxNewTokens))
    bad(`maxNewTokens must be an integer in [1, ${LIMITS.maxNewTokens}]`)
  if (!mine) return
  if (!intIn(mine.external, 0, LIMITS.external)) bad(`external must be an integer in [0, ${LIMITS.external}]`)
  if (!(mine.checkRate >= 0 && mine.checkRate <= 1)) bad('checkRate must be in [0, 1]')
  if (!(mine.collectMs > 0)) bad('collectMs must be positive')
}
