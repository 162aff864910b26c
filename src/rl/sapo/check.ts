// A spot check: regenerate one of a sender's groups from the model it named and compare every token.
// The sender's message names its model twice: `state`, the state hash (src/train/state.ts), and `blob`,
// the keccak256 of its checkpoint in the swarm's checkpoint codec (swarm/protocol/codec.ts), which it
// serves through provideBlobs. The checker fetches the blob by that hash (the net refuses bytes that
// hash otherwise), decodes it with the swarm's size bound, requires the swarm's model shape, recomputes
// the state hash itself from the decoded tensors and step, and regenerates the group with its own
// RlCompute: seeds are a function of (state, task, index), so every token must come out the same.
import canonicalize from 'canonicalize'
import type { Hex } from 'viem'
import { SwarmNetError } from '../../errors/network.ts'
import { decodeCheckpoint } from '../../swarm/protocol/codec.ts'
import type { Clock } from '../../swarm/protocol/clock.ts'
import type { SwarmNet } from '../../swarm/types.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { RlCompute, ScoredGroup, Task } from '../types.ts'
import type { Accepted } from './accept.ts'
import { maxBlobBytes, type SapoParams } from './params.ts'

/** ok; forged: the sender's own bytes contradict its message (proof enough to drop it); unavailable: no answer. */
export type CheckOutcome = { kind: 'ok' } | { kind: 'forged' | 'unavailable'; why: string }

/** Net failures that are the serving peer's lie rather than the network's weather. */
const LIES = new Set(['bad-hash', 'protocol', 'too-large'])

export interface CheckContext {
  net: SwarmNet
  compute: RlCompute
  params: SapoParams
  clock: Clock
  /** How long one blob fetch may take (clock ms). */
  fetchMs: number
  /** Bytes fetched, for the round's report. */
  fetched: (bytes: number) => void
  signal?: AbortSignal
}

/** Models fetched this round, by blob hash: several checks of one sender fetch its blob once. */
export type ModelCache = Map<Hex, Promise<Checkpoint | CheckOutcome>>

export async function spotCheck(
  ctx: CheckContext,
  cache: ModelCache,
  a: Accepted,
  group: ScoredGroup,
): Promise<CheckOutcome> {
  if (!cache.has(a.blob)) cache.set(a.blob, loadModel(ctx, a))
  const model = await cache.get(a.blob)!
  if ('kind' in model) return model
  const task = a.tasks[a.groups.findIndex((g) => g.taskId === group.taskId)] as Task | undefined
  if (!task) return { kind: 'forged', why: `no task ${group.taskId} in its message` }
  const [again] = await ctx.compute.rollouts(model, [task], ctx.params.G, ctx.params.rule)
  const problem = difference(group.completions, again.completions)
  return problem ? { kind: 'forged', why: `${group.taskId}: ${problem}` } : { kind: 'ok' }
}

async function loadModel(ctx: CheckContext, a: Accepted): Promise<Checkpoint | CheckOutcome> {
  const max = maxBlobBytes(ctx.params)
  const abort = new AbortController()
  const cancel = ctx.clock.after(ctx.fetchMs, () =>
    abort.abort(new DOMException('spot-check fetch timed out', 'TimeoutError')),
  )
  const stop = () => abort.abort(ctx.signal?.reason)
  ctx.signal?.addEventListener('abort', stop, { once: true })
  let bytes: Uint8Array
  try {
    bytes = await ctx.net.fetchBlob(a.from, a.blob, max, abort.signal)
  } catch (e) {
    if (ctx.signal?.aborted) throw e
    const code = e instanceof SwarmNetError ? e.code : 'unreachable'
    return { kind: LIES.has(code) ? 'forged' : 'unavailable', why: `blob ${a.blob}: ${code}` }
  } finally {
    cancel()
    ctx.signal?.removeEventListener('abort', stop)
  }
  ctx.fetched(bytes.length)
  let model: Checkpoint
  try {
    model = decodeCheckpoint(bytes, max)
  } catch (e) {
    return { kind: 'forged', why: `its blob is not a checkpoint (${(e as Error).message.split('\n')[0]})` }
  }
  if (canonicalize(model.config.model) !== canonicalize(ctx.params.config.model))
    return { kind: 'forged', why: "its blob is not the swarm's model shape" }
  const h = stateHash(model.step, model.tensors)
  if (h !== a.state) return { kind: 'forged', why: `its blob has state ${h}, not the ${a.state} it named` }
  // Regenerate under the swarm's config, not the sender's: the state hash covers the step and tensors
  // only, and a config is what sizes a trainer (a hostile batch or schedule must not reach it).
  return { ...model, config: ctx.params.config }
}

/** The first completion and token where two lists of completions differ, or null. */
export function difference(sent: readonly number[][], again: readonly number[][]): string | null {
  if (sent.length !== again.length) return `${sent.length} completions, regenerated ${again.length}`
  for (let i = 0; i < sent.length; i++) {
    const n = Math.max(sent[i].length, again[i].length)
    for (let t = 0; t < n; t++)
      if (sent[i][t] !== again[i][t])
        return `completion ${i} token ${t}: sent ${sent[i][t] ?? 'nothing'}, regenerated ${again[i][t] ?? 'nothing'}`
  }
  return null
}
