// The evidence file behind an attestation (docs/chain.md#verified-rewards): the claim as the chain holds
// it, the exact bytes it commits to (the claimant's ROLLOUTS message and the checkpoint that message
// names), and the attester's verdict. Its keccak256 (of the canonical JSON) is the `evidenceHash` the
// attestation carries on chain, so the file cannot be swapped after the fact; anyone re-checks it with
// `lockstep evidence FILE`, which re-executes the claim with its own rules and says whether the
// attester's verdict holds.
import canonicalize from 'canonicalize'
import { isAddress, keccak256, toBytes, type Address, type Hex } from 'viem'
import { SchemaError, bool, hash, int, literal, nullable, object, str } from '../../swarm/protocol/schema.ts'
import { MAX_SAPO_MESSAGE_BYTES } from './messages.ts'
import {
  recheckClaim,
  type EarlierClaim,
  type Recheck,
  type RecheckContext,
  type RewardClaim,
} from './claim.ts'

export const EVIDENCE_KIND = 'lockstep/reward-evidence'

/** Bound on the file a verifier reads before parsing: the message, a base64 checkpoint and slack. */
export const MAX_EVIDENCE_BYTES = 16 * 1024 * 1024

export interface RewardEvidence {
  kind: typeof EVIDENCE_KIND
  version: 1
  /** The swarm's name: the verifier derives its parameters from it (rlSwarmParams). */
  swarm: string
  chainId: number
  coordinator: Address
  claim: { round: number; stage: number; peerId: string; reward: string; receiptsRoot: Hex }
  /** The claimant's message, as the exact UTF-8 text whose keccak256 is the receipts root. */
  rollouts: string
  /** The checkpoint the message names, base64. */
  checkpoint: string
  verdict: { confirmed: boolean; reward: string | null; why: string }
  attester: { peerId: string; address: Address }
  /** For a replay: the claimant's earlier claim whose rollouts were of the same or a later RL round. */
  earlier: { round: number; stage: number; receiptsRoot: Hex; rollouts: string } | null
}

const decimal = (v: unknown, path: string): string =>
  typeof v === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(v)
    ? v
    : fail(path, 'expected a decimal integer string')
const address = (v: unknown, path: string): Address =>
  typeof v === 'string' && isAddress(v, { strict: false })
    ? (v as Address)
    : fail(path, 'expected an address')
const fail = (path: string, why: string): never => {
  throw new SchemaError(`${path}: ${why}`)
}

const schema = object({
  kind: literal(EVIDENCE_KIND),
  version: literal(1),
  swarm: str(64),
  chainId: int(1, 2 ** 53 - 1),
  coordinator: address,
  claim: object({
    round: int(0, 2 ** 53 - 1),
    stage: int(0, 255),
    peerId: str(128),
    reward: decimal,
    receiptsRoot: hash,
  }),
  rollouts: str(MAX_SAPO_MESSAGE_BYTES),
  checkpoint: str(MAX_EVIDENCE_BYTES),
  verdict: object({ confirmed: bool, reward: nullable(decimal), why: str(1024) }),
  attester: object({ peerId: str(128), address }),
  earlier: nullable(
    object({
      round: int(0, 2 ** 53 - 1),
      stage: int(0, 255),
      receiptsRoot: hash,
      rollouts: str(MAX_SAPO_MESSAGE_BYTES),
    }),
  ),
})

/** Text of an evidence file → the file, or a SchemaError naming the first field that does not fit. */
export function parseEvidence(text: string): RewardEvidence {
  if (text.length > MAX_EVIDENCE_BYTES)
    throw new SchemaError(`evidence: ${text.length} characters is over ${MAX_EVIDENCE_BYTES}`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SchemaError('evidence: not JSON')
  }
  return schema(value, 'evidence') as RewardEvidence
}

/** A file name for an attestation's evidence: its claim and its hash's head. */
export const evidenceFileName = (a: { round: number; stage: number; claimant: string; evidenceHash: Hex }) =>
  `evidence-r${a.round}s${a.stage}-${a.claimant.slice(-8)}-${a.evidenceHash.slice(2, 10)}.json`

/** The file's text as it is saved and hashed: canonical JSON. */
export const evidenceText = (e: RewardEvidence): string => canonicalize(e)!

/** The `evidenceHash` an attestation carries: keccak256 of the canonical JSON. */
export const evidenceHash = (e: RewardEvidence): Hex => keccak256(toBytes(evidenceText(e)))

export function makeEvidence(o: {
  swarm: string
  chainId: number
  coordinator: Address
  claim: RewardClaim & { round: number; stage: number }
  message: Uint8Array
  checkpoint: Uint8Array
  verdict: Recheck
  attester: { peerId: string; address: Address }
  earlier?: EarlierClaim
}): RewardEvidence {
  const { claim, verdict } = o
  return {
    kind: EVIDENCE_KIND,
    version: 1,
    swarm: o.swarm,
    chainId: o.chainId,
    coordinator: o.coordinator,
    claim: {
      round: claim.round,
      stage: claim.stage,
      peerId: claim.peerId,
      reward: claim.reward.toString(),
      receiptsRoot: claim.receiptsRoot,
    },
    rollouts: new TextDecoder('utf-8', { fatal: true }).decode(o.message),
    checkpoint: toBase64(o.checkpoint),
    verdict: { confirmed: verdict.confirmed, reward: verdict.reward?.toString() ?? null, why: verdict.why },
    attester: o.attester,
    earlier: o.earlier
      ? {
          round: o.earlier.round,
          stage: o.earlier.stage,
          receiptsRoot: o.earlier.receiptsRoot,
          rollouts: new TextDecoder('utf-8', { fatal: true }).decode(o.earlier.message),
        }
      : null,
  }
}

/** The file's claim as the coordinator's terms. */
export const evidenceClaim = (e: RewardEvidence): RewardClaim => ({
  peerId: e.claim.peerId,
  reward: BigInt(e.claim.reward),
  receiptsRoot: e.claim.receiptsRoot,
})

/**
 * Re-executes the file's claim from the bytes it carries (recheckClaim) and says whether the
 * attester's verdict holds: `holds` is true when this re-execution reaches the same verdict.
 */
export async function recheckEvidence(
  e: RewardEvidence,
  ctx: RecheckContext,
): Promise<Recheck & { holds: boolean }> {
  let checkpoint: Uint8Array
  try {
    checkpoint = fromBase64(e.checkpoint)
  } catch {
    throw new SchemaError('evidence.checkpoint: not base64')
  }
  const replay = e.earlier && {
    at: { round: e.claim.round, stage: e.claim.stage },
    earlier: { ...e.earlier, message: toBytes(e.earlier.rollouts) },
  }
  const r = await recheckClaim(evidenceClaim(e), toBytes(e.rollouts), checkpoint, ctx, replay ?? undefined)
  return { ...r, holds: r.confirmed === e.verdict.confirmed }
}

function toBase64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
