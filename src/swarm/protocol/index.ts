// The swarm's round protocol: the one public entry. docs/swarm.md describes the design and the messages.
export { SwarmPeer, type SwarmPeerOptions, type SwarmPeerEvents, type PeerStats } from './peer.ts'
export type { RoundResult } from './round.ts'
export { realClock, type Clock } from './clock.ts'
export { backendCompute, type SwarmCompute, type TrainOutput } from './compute.ts'
export { byzantineCompute } from './cheat.ts'
export {
  PROTOCOL,
  batchSeed,
  leaderOrder,
  maxCheckpointBytes,
  paramsHash,
  swarmTopic,
  type SwarmParams,
} from './params.ts'
export { averageCheckpoints, AggregationError } from './aggregate.ts'
export { checkpointHash, decodeCheckpoint, encodeCheckpoint, CheckpointFormatError } from './codec.ts'
export { decodeMessage, encodeMessage, MAX_MESSAGE_BYTES, type Message } from './messages.ts'
export type { SwarmMessage, SwarmNet } from '../types.ts'
