// The RL swarm's gossip messages (docs/rl.md, Messages): JSON on the swarm's topic, parsed by
// decodeSapoMessage, which throws a SchemaError for anything that is not exactly one of these shapes
// within the size bounds. Whether a well-formed message fits the swarm (its tasks, its G, its round)
// is accept.ts's question.
import { MAX_GOSSIP_BYTES } from '../../swarm/net/config.ts'
import { SchemaError, array, hash, int, literal, object, str } from '../../swarm/protocol/schema.ts'
import { LIMITS } from './params.ts'

/** Every message fits one gossip message; an honest one is a few KB (tokens, not weights). */
export const MAX_SAPO_MESSAGE_BYTES = MAX_GOSSIP_BYTES
/** Groups a peer says it trained on last round: at most the E any peer may take. */
export const MAX_TRAINED_ON = LIMITS.external
const PEER = str(128)
const TASK_ID = str(64)
const ROUND = int(0, 2 ** 31)
const TOKEN = int(0, 255)

/** One group on the wire: the task and its G completions; the model is the message's `state`. */
const group = object({
  taskId: TASK_ID,
  completions: array(array(TOKEN, LIMITS.maxNewTokens), LIMITS.G),
})

/**
 * A peer's rollouts for a round. `state` is the state hash of the model that generated every group
 * (src/train/state.ts); `blob` the keccak256 of that checkpoint's encoding (swarm/protocol/codec.ts),
 * which the peer serves so that anyone can regenerate its groups. `trainedOn` names the groups it took
 * from others last round (accountability: anyone can see whose rollouts spread).
 */
const rollouts = object({
  type: literal('rollouts'),
  round: ROUND,
  state: hash,
  blob: hash,
  groups: array(group, LIMITS.local),
  trainedOn: array(object({ peer: PEER, taskId: TASK_ID }), MAX_TRAINED_ON),
})

/**
 * "This group of `peer` in `round` does not regenerate." Only a pointer: a receiver regenerates that
 * group itself before it drops anyone (check.ts), and an accuser whose group regenerates loses score.
 */
const fault = object({ type: literal('fault'), round: ROUND, peer: PEER, taskId: TASK_ID })

export type WireGroup = ReturnType<typeof group>
export type Rollouts = ReturnType<typeof rollouts>
export type Fault = ReturnType<typeof fault>
export type SapoMessage = Rollouts | Fault

const schemas = { rollouts, fault } as const

export function encodeSapoMessage(m: SapoMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m))
}

/** Bytes off the wire → one well-formed message, or a SchemaError saying what was wrong. */
export function decodeSapoMessage(data: Uint8Array): SapoMessage {
  if (!(data instanceof Uint8Array)) throw new SchemaError('message: not bytes')
  if (data.length > MAX_SAPO_MESSAGE_BYTES)
    throw new SchemaError(`message: ${data.length} bytes is over the limit of ${MAX_SAPO_MESSAGE_BYTES}`)
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data))
  } catch {
    throw new SchemaError('message: not UTF-8 JSON')
  }
  const type = (value as { type?: unknown } | null)?.type
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type))
    throw new SchemaError('message.type: unknown')
  return schemas[type as keyof typeof schemas](value, 'message') as SapoMessage
}
