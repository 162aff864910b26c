// The RL swarm's round protocol (SAPO): the one public entry. docs/rl.md describes the round and its rules.
export { RlPeer, type RlPeerOptions, type RlPeerEvents } from './peer.ts'
export { rlTaskBook, type TaskBook } from './book.ts'
export { rlSwarmParams, RL_PEER } from './defaults.ts'
export {
  LIMITS,
  PROTOCOL,
  checkSapoParams,
  maxBlobBytes,
  sapoTopic,
  type SapoParams,
  type SapoPeerParams,
} from './params.ts'
export { decodeSapoMessage, encodeSapoMessage, MAX_SAPO_MESSAGE_BYTES, type SapoMessage } from './messages.ts'
export { acceptRollouts, type Accepted } from './accept.ts'
export { checkCount, drawChecks, selectExternal, selectionSeed } from './select.ts'
export { forgingCompute } from './cheat.ts'
export { SCORE, MAX_UNAVAILABLE } from './scores.ts'
export { claimReward, receiptsRoot, recheckClaim, type Recheck, type RewardClaim } from './claim.ts'
export {
  EVIDENCE_KIND,
  evidenceFileName,
  evidenceHash,
  evidenceText,
  makeEvidence,
  parseEvidence,
  recheckEvidence,
  type RewardEvidence,
} from './evidence.ts'
export {
  RewardAgent,
  roundWinners,
  WINNERS_PER_VOTE,
  type AttestationCall,
  type ClaimCall,
  type Position,
  type RewardAgentOptions,
  type RewardChain,
  type RewardEvent,
  type RewardWriter,
} from './rewards.ts'
