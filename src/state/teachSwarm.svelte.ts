// Teach mode's one-click swarm: the page side of workers/teachSwarm.worker.ts. It gathers every simulated
// peer's round results into one row per round (teachRounds.ts) and tracks the cheat switches and whether
// a cheater has been caught.
import { proxy } from 'comlink'
import type { TeachSwarmEvent } from '../swarm/sim/teach.ts'
import { RoundBook, type TeachRound } from './teachRounds.ts'
import { corpusUrl, startTeachSwarmWorker } from './workers.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'

/** Rounds kept (a class may leave it running for an hour). */
const MAX_ROUNDS = 300

export class TeachSwarmRun {
  status = $state<'idle' | 'starting' | 'running' | 'failed'>('idle')
  ids = $state<string[]>([])
  rounds = $state.raw<TeachRound[]>([])
  /** Each cheating peer and the first round its switch applies to (the round after the last one finished). */
  cheating = $state<Record<string, number>>({})
  /** The first round, after its switch was flipped, in which a cheater was excluded for a proven fault. */
  caught = $state<{ peer: string; round: number } | null>(null)
  /** Re-executions of others that found a wrong update, summed over peers. */
  faultsFound = $state(0)
  /** The last time a peer adopted the swarm's model (after falling off the others' chain). */
  lastSync = $state<{ peer: string; round: number } | null>(null)
  error = $state<ErrorInfo | null>(null)
  /** Bumped on every change of `rounds`, for the chart. */
  version = $state(0)
  #worker: Worker | null = null
  #api: ReturnType<typeof startTeachSwarmWorker>['api'] | null = null
  #book = new RoundBook()

  async start(options: { peers: number; cheat?: number }): Promise<void> {
    if (this.status === 'starting' || this.status === 'running') return
    this.stop()
    Object.assign(this, { status: 'starting', error: null, caught: null, lastSync: null, faultsFound: 0 })
    this.rounds = []
    this.cheating = {}
    this.#book = new RoundBook()
    const { worker, api } = startTeachSwarmWorker()
    this.#worker = worker
    this.#api = api
    try {
      const ids = await api.start(
        {
          corpus: KJV_PENTATEUCH,
          corpusUrl: corpusUrl(KJV_PENTATEUCH),
          peers: options.peers,
          stepsPerRound: 1,
          latencyMs: 20,
        },
        proxy((e: TeachSwarmEvent) => {
          if (this.#worker === worker) this.#event(e)
        }),
      )
      if (this.#worker !== worker) return // stopped meanwhile
      this.ids = ids
      this.status = 'running'
      if (options.cheat) await this.setCheat(ids[options.cheat - 1], true)
    } catch (e) {
      if (this.#worker !== worker) return
      const info = errorInfo(e)
      this.error = { ...info, shortMessage: `The teach swarm could not start: ${info.shortMessage}` }
      this.status = 'failed'
      this.stop(true)
    }
  }

  async setCheat(peer: string, on: boolean): Promise<void> {
    if (!this.#api) return
    await this.#api.setCheat(peer, on)
    const { [peer]: _, ...rest } = this.cheating
    this.cheating = on ? { ...rest, [peer]: (this.rounds.at(-1)?.round ?? -1) + 1 } : rest
  }

  /** Ends the swarm at once: the worker, and every peer in it, is discarded. */
  stop(keepStatus = false): void {
    this.#worker?.terminate()
    this.#worker = null
    this.#api = null
    if (!keepStatus) this.status = 'idle'
  }

  #event(e: TeachSwarmEvent): void {
    if (e.kind === 'error') {
      this.error = { name: 'Error', shortMessage: `Peer ${e.peer.slice(1)}: ${e.message}` }
      return
    }
    if (e.kind === 'sync') {
      this.lastSync = { peer: e.peer, round: e.round }
      return
    }
    const row = this.#book.add(e)
    this.faultsFound = this.#book.faultsFound()
    const rest = this.rounds.filter((r) => r.round !== e.round)
    this.rounds = [...rest, row].sort((a, b) => a.round - b.round).slice(-MAX_ROUNDS)
    this.#book.prune(this.rounds[0].round)
    this.version++
    for (const x of row.excluded) {
      const from = this.cheating[x.peer]
      if (!this.caught && x.reason === 'fault' && from !== undefined && row.round >= from)
        this.caught = { peer: x.peer, round: row.round }
    }
  }
}
