// What every peer of one swarm agrees on before the first round, and the pure functions of it that
// make the swarm's choices (batch seeds, the leader, who checks whom) the same on every peer.
// The parameters are content-addressed: peers with different parameters use different topics, so
// "agreeing on round parameters" is knowing the swarm's id.
import { concat, keccak256, numberToBytes, toBytes, type Address, type Hex } from 'viem'
import { hashJson } from '../../receipts/training.ts'
import type { TrainConfig } from '../../train/trainer.ts'
import { checkpointBytes } from './codec.ts'

export interface SwarmParams {
  /** A name people share to meet in the same swarm (`?swarmName=`): it is part of the topic, nothing else. */
  name?: string
  /** The training config every peer uses; only `seed` is replaced, per peer and round (batch sampling). */
  config: TrainConfig
  /** Local steps per round (DiLoCo's H). */
  stepsPerRound: number
  /** The corpus, as receipts name it. */
  data: { name: string; sha256: string; valFraction: number }
  /** Where receipts are signed for (chain and registry). */
  target: { chainId: number; verifyingContract: Address }
  /** Checks each peer makes per round (expected checkers per update); all others when the swarm is smaller. */
  checkers: number
  /** Steps each check replays; ≥ stepsPerRound replays the whole round from its start. */
  checkSteps: number
  /** Milliseconds: commits after a round starts, then verdicts, then each backup leader's turn. */
  timing: { commitMs: number; verifyMs: number; decideMs: number }
}

export const PROTOCOL = 'lockstep/swarm/1'

export function paramsHash(p: SwarmParams): Hex {
  return hashJson(p)
}

/** The gossip topic: one per parameter set. */
export function swarmTopic(p: SwarmParams): string {
  return `${PROTOCOL}/${paramsHash(p)}`
}

const u32 = (n: number) => numberToBytes(n, { size: 4 })

/** The batch seed of `peer` in `round`: its own stream of batches, fixed before the round starts. */
export function batchSeed(p: SwarmParams, round: number, peer: string): number {
  return Number(BigInt(keccak256(concat([toBytes(paramsHash(p)), u32(round), toBytes(peer)]))) & 0xffffffffn)
}

/** The config a peer trains `round` with: the swarm's config with its batch seed. */
export function roundConfig(p: SwarmParams, round: number, peer: string): TrainConfig {
  return { ...p.config, seed: batchSeed(p, round, peer) }
}

/** The runId a peer's receipt for a round must carry: binds the signed receipt to its gossip sender. */
export function runId(p: SwarmParams, round: number, peer: string): string {
  return `${paramsHash(p).slice(0, 18)}/${round}/${peer}`
}

/**
 * Leader order for a round: peers sorted by keccak256(start ‖ peer id). It changes every round with the
 * model hash, so no peer can be leader for good, and no peer can choose its rank after the round starts.
 */
export function leaderOrder(start: Hex, peers: readonly string[]): string[] {
  const key = (peer: string) => leaderKey(start, peer)
  return [...peers].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/** A peer's place in the leader order of a round from `start`: the smaller, the earlier. */
export const leaderKey = (start: Hex, peer: string): Hex => keccak256(concat([toBytes(start), toBytes(peer)]))

/**
 * Whom a checker with secret seed `seed` checks among `others`: the `checkers` with the smallest
 * keccak256(seed ‖ peer). The seed is the checker's own deterministic signature over the round, so a
 * producer cannot know in advance who will check it; each checker checks exactly `checkers` peers
 * (everyone, in a small swarm), so the leader knows when all checks are in.
 */
export function draw(seed: Hex, others: readonly string[], checkers: number): string[] {
  const key = (peer: string) => keccak256(concat([toBytes(seed), toBytes(peer)]))
  return [...others].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).slice(0, checkers)
}

/** The most bytes a checkpoint of this swarm can take (the longest seed spelled out). */
export function maxCheckpointBytes(p: SwarmParams): number {
  return checkpointBytes({ ...p.config, seed: 0xffffffff })
}
