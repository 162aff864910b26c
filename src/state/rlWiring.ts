// The one place the app meets the RL swarm's peer (src/rl/sapo/, RlPeer) and its engine
// (src/rl/compute.ts, backendRlCompute). This file was written before either landed: the store
// (rlSwarm.svelte.ts), the worker (workers/rlSwarm.worker.ts) and the dashboard are finished against
// the contract in src/rl/types.ts, and only the three bodies marked MERGE below stand in for the real
// calls. Until then joining the RL swarm fails at once with RlUnavailableError, in words, on the panel.
import type { Backend } from '../train/backend.ts'
import type { RlCompute, RoundReport } from '../rl/types.ts'
import type { SwarmNet } from '../swarm/types.ts'
import { BaseError } from '../errors/base.ts'

/** What the page hands the peer: everything else (params, warm start, clock) the peer derives itself. */
export interface RlPeerStart {
  net: SwarmNet
  /** The worker's compute (rollouts, GRPO update, state hash), possibly wrapped to forge (rlForge.ts). */
  compute: RlCompute
  /** The swarm's name: tabs with one name meet (the RL swarm's topic differs from the averaging one's). */
  name: string
  onRound(report: RoundReport): void
  onError(error: unknown): void
}

export interface RlPeerRunning {
  stop(): Promise<void>
}

/** Until the merge: the RL peer or engine is not in this build. */
export class RlUnavailableError extends BaseError {
  override name = 'RlUnavailableError'
}

const unavailable = (what: string) =>
  new RlUnavailableError(`The RL swarm's ${what} is not in this build yet.`, {
    metaMessages: ['Pick the averaging swarm, or use a build that includes src/rl/.'],
    docsPath: 'docs/rl.md',
  })

/** The gossip topic of RL swarm `name`, for counting who is there before the first round. */
export function rlTopic(name: string): string {
  // MERGE: the RlPeer's own topic for these params (H3), so the count matches what the peer hears.
  return `lockstep/rl/${name}`
}

/** Starts this tab's RL peer; its reports arrive through `onRound`, once per round, until stop(). */
export async function startRlPeer(o: RlPeerStart): Promise<RlPeerRunning> {
  // MERGE (H3, expected API; the warm start checkpoint of public/rl/ (H2) is fetched here or by the peer):
  //   const peer = new RlPeer({ net: o.net, compute: o.compute, clock: realClock,
  //     params: pageRlParams(o.name), onRound: o.onRound })
  //   const run = new AbortController()
  //   void peer.run(run.signal).catch((e) => run.signal.aborted || o.onError(e))
  //   return { stop: async () => run.abort() }
  void o
  throw unavailable('peer (src/rl/sapo/)')
}

/** The RL compute on `backend` (in the worker): rollouts, GRPO update and state hash. */
export function rlComputeOn(backend: Backend<unknown>): RlCompute {
  // MERGE (H1): return backendRlCompute(backend)
  void backend
  throw unavailable('engine (src/rl/compute.ts)')
}
