// Teach mode's swarm: a few real SwarmPeers in one process (a Web Worker on the page), over the in-memory
// network, each on the CPU reference — the same protocol a real swarm runs, small enough for a projector.
// Any peer can be switched to cheat while it runs; the events say what each peer saw, round by round.
import type { Hex } from 'viem'
import type { Clock } from '../protocol/clock.ts'
import type { SwarmCompute } from '../protocol/compute.ts'
import { batchSeed } from '../protocol/params.ts'
import { MemoryNetwork } from './memnet.ts'
import { addPeer, byzantineCompute, cpuCompute, swarmParams, type SimPeer } from './swarm.ts'

export interface TeachSwarmOptions {
  /** How many peers (2–6). */
  peers: number
  /** Local training steps per round. */
  stepsPerRound: number
  /** One-way message delay, so a round takes long enough to watch. */
  latencyMs: number
}

export type TeachSwarmEvent =
  | {
      kind: 'round'
      peer: string
      round: number
      model: Hex
      loss: number
      leader: string
      included: string[]
      excluded: { peer: string; reason: string }[]
      /** This peer's re-executions of others so far, and how many of them found a wrong update. */
      checks: number
      faultsFound: number
      ms: number
    }
  /** A peer adopted the swarm's model (it fell off, e.g. after cheating, and fetched where the others are). */
  | { kind: 'sync'; peer: string; round: number; model: Hex; from: string[] }
  | { kind: 'error'; peer: string; message: string }

/** Peer ids `p1` … `pN` (the digits pick each peer's deterministic test key). */
export const teachPeerIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i + 1}`)

export class TeachSwarm {
  readonly ids: string[]
  #peers: SimPeer[]
  #cheating = new Set<string>()

  private constructor(ids: string[], peers: SimPeer[]) {
    this.ids = ids
    this.#peers = peers
  }

  /** `clock`: the real one on the page; a VirtualClock (sim/clock.ts) in tests, where steps then take virtual time too. */
  static async create(
    corpus: Uint8Array,
    options: TeachSwarmOptions,
    onEvent: (e: TeachSwarmEvent) => void,
    clock?: Clock,
  ): Promise<TeachSwarm> {
    if (!Number.isInteger(options.peers) || options.peers < 2 || options.peers > 6)
      throw new RangeError(`A teach swarm has 2 to 6 peers, not ${options.peers}.`)
    const steps = options.stepsPerRound
    const params = await swarmParams(corpus, {
      stepsPerRound: steps,
      checkSteps: steps,
      // A page's deadlines (src/state/swarmParams.ts): a peer that falls silent holds a round up for
      // seconds, not the simulator's minutes, while the class watches.
      timing: { commitMs: 8000, verifyMs: 8000, decideMs: 4000 },
    })
    const network = new MemoryNetwork({ latencyMs: options.latencyMs, seed: 1, clock })
    const ids = teachPeerIds(options.peers)
    const peers: SimPeer[] = []
    const swarm = new TeachSwarm(ids, peers)
    for (const id of ids) {
      const honest = cpuCompute(corpus, params, clock)
      const liar = byzantineCompute(honest)
      // A cheater lies about its own update, the one thing it gains from: the first run of the round
      // with its own batch seed (its commit). It stays honest in its checks of others and when it replays
      // its own step to judge an accusation, so it accepts being caught and stays on the swarm's model.
      // (A peer that lied in every run, as byzantineCompute alone does, also rejects the proof against it,
      // accuses everyone and runs on alone; with the protocol as it is, the honest peers' round then waited
      // for minutes in a trial, which would stall a lesson.)
      let liedIn = -1
      const compute: SwarmCompute = {
        ...honest,
        train: (start, seed, n) => {
          const round = sim.peer.round
          const lie = swarm.#cheating.has(id) && liedIn !== round && seed === batchSeed(params, round, id)
          if (lie) liedIn = round
          return (lie ? liar : honest).train(start, seed, n)
        },
      }
      const sim = addPeer(network, id, params, compute)
      sim.peer.on('round', (r) =>
        onEvent({
          kind: 'round',
          peer: id,
          round: r.round,
          model: r.model,
          loss: r.loss,
          leader: r.leader,
          included: r.included,
          excluded: r.excluded,
          checks: sim.peer.stats.checks,
          faultsFound: sim.peer.stats.faultsFound,
          ms: r.ms,
        }),
      )
      sim.peer.on('sync', (s) => onEvent({ kind: 'sync', peer: id, ...s }))
      sim.peer.on('error', (e) => onEvent({ kind: 'error', peer: id, message: e.message }))
      peers.push(sim)
    }
    return swarm
  }

  /** Starts every peer; resolves once all have begun their first round. */
  async start(): Promise<void> {
    await Promise.all(this.#peers.map((p) => p.peer.start()))
  }

  /** From the peer's next run on, its updates (and its checks of others) are wrong; `false` makes it honest. */
  setCheat(id: string, on: boolean): void {
    if (!this.ids.includes(id)) throw new RangeError(`There is no peer ${id} in this swarm.`)
    if (on) this.#cheating.add(id)
    else this.#cheating.delete(id)
  }

  async stop(): Promise<void> {
    await Promise.all(this.#peers.map((p) => p.peer.stop()))
  }
}
