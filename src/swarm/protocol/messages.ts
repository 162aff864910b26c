// The gossip messages of the round protocol (docs/swarm.md has the schemas and the flow). Each is JSON
// on the swarm's one topic, at most MAX_MESSAGE_BYTES, and parsed by decodeMessage, which throws a
// SchemaError for anything that is not exactly one of these shapes.
import { structureProblem } from '../../receipts/validate.ts'
import type { TrainingReceipt } from '../../receipts/training.ts'
import {
  SchemaError,
  array,
  bool,
  checked,
  finite,
  hash,
  int,
  literal,
  nullable,
  object,
  oneOf,
  str,
} from './schema.ts'

export const MAX_MESSAGE_BYTES = 512 * 1024
/** The most peers one round can include: bounds a decide message. */
export const MAX_PEERS = 1024
const PEER = str(128)
const ROUND = int(0, 2 ** 31)
/**
 * The sender's message counter (its clock in ms, kept increasing): signed with the rest by gossipsub, so
 * a replayed old message is older than the sender's newest and cannot move where it says it is.
 */
const SEQ = int(0, Number.MAX_SAFE_INTEGER)
const receipt = checked<TrainingReceipt>(structureProblem)

/** A peer's update for a round: its signed receipt and the blob hashes of its checkpoint after each step. */
const commit = object({
  type: literal('commit'),
  round: ROUND,
  start: hash,
  receipt,
  checkpoints: array(hash, 1024),
  loss: finite,
  seq: SEQ,
})

/**
 * A check's outcome. A fault carries the checker's signed one-step receipt from the producer's
 * committed state before `step` (blob `before`, null = the round's start) to what it replayed.
 */
const fault = object({ step: int(1, 2 ** 40), before: nullable(hash), receipt, checker: receipt })
const verdict = object({
  type: literal('verdict'),
  round: ROUND,
  start: hash,
  target: PEER,
  receiptHash: hash,
  ok: bool,
  fault: nullable(fault),
  seq: SEQ,
})

export const EXCLUDE_REASONS = ['fault', 'false-accusation', 'unavailable'] as const
/** The leader's decision: exactly which updates are averaged, and who was excluded and why. */
const decide = object({
  type: literal('decide'),
  round: ROUND,
  start: hash,
  included: array(object({ peer: PEER, receiptHash: hash, update: hash, state: hash }), MAX_PEERS),
  excluded: array(
    object({ peer: PEER, reason: oneOf(EXCLUDE_REASONS), evidence: nullable(hash) }),
    MAX_PEERS,
  ),
  model: hash,
  blob: hash,
  seq: SEQ,
})

/** A newcomer asks where the swarm is; peers answer with a head. */
const hello = object({ type: literal('hello') })
const head = object({
  type: literal('head'),
  round: ROUND,
  model: hash,
  blob: hash,
  /** The start model of the round before (null when unknown): lets a newcomer tell one chain from two. */
  parent: nullable(hash),
})

/**
 * A newcomer says which head it adopted: it follows `round` from `start` and commits from the next round.
 * Peers that answered its hello wait for it from then on, not from the round they answered in.
 */
const joined = object({ type: literal('joined'), round: ROUND, start: hash })

export type Commit = ReturnType<typeof commit>
export type Fault = ReturnType<typeof fault>
export type Verdict = ReturnType<typeof verdict>
export type Decide = ReturnType<typeof decide>
export type Hello = ReturnType<typeof hello>
export type Head = ReturnType<typeof head>
export type Joined = ReturnType<typeof joined>
export type Message = Commit | Verdict | Decide | Hello | Head | Joined

const schemas = { commit, verdict, decide, hello, head, joined } as const

export function encodeMessage(m: Message): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m))
}

/** Bytes off the wire → one valid message, or a SchemaError saying what was wrong. */
export function decodeMessage(data: Uint8Array): Message {
  if (!(data instanceof Uint8Array)) throw new SchemaError('message: not bytes')
  if (data.length > MAX_MESSAGE_BYTES)
    throw new SchemaError(`message: ${data.length} bytes is over the limit`)
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data))
  } catch {
    throw new SchemaError('message: not UTF-8 JSON')
  }
  const type = (value as { type?: unknown } | null)?.type
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type))
    throw new SchemaError('message.type: unknown')
  return schemas[type as keyof typeof schemas](value, 'message') as Message
}
