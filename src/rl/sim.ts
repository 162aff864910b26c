// An RL swarm in one process: N RlPeers over a MemoryNetwork on a VirtualClock, each with its own
// compute (the CPU reference in the simulator and the experiment, a fake in the protocol's tests).
// On virtual time compute costs nothing, so a round's length is its latencies and deadlines only
// (src/swarm/sim/clock.ts); the wall time is the compute's.
import { keccak256, numberToBytes, toBytes, concat, type Hex } from 'viem'
import { VirtualClock } from '../swarm/sim/clock.ts'
import { MemoryNetwork } from '../swarm/sim/memnet.ts'
import { cpuBackend } from '../train/cpu.ts'
import type { Checkpoint } from '../train/trainer.ts'
import { backendRlCompute } from './compute.ts'
import { generateGroups } from './rollout.ts'
import { taskFromId } from './tasks.ts'
import type { TaskBook } from './sapo/book.ts'
import type { SapoParams, SapoPeerParams } from './sapo/params.ts'
import { sapoTopic } from './sapo/params.ts'
import { RlPeer, type RlPeerEvents } from './sapo/peer.ts'
import type { RlCompute, RoundReport } from './types.ts'

export interface RlSwarmOptions {
  peers: number
  rounds: number
  params: SapoParams
  /** Each peer's own choices (E, GRPO, check rate, deadline); peer i is `peer${i + 1}`. */
  mine: (i: number) => SapoPeerParams
  compute: (i: number) => RlCompute
  book: TaskBook
  /** The warm start every peer begins from. */
  model: Checkpoint
  /** Peers (by index) that join the topic and never publish: the round must not wait on them for ever. */
  silent?: number[]
  /** Virtual ms one group's rollouts take on peer i (a machine of its own speed); none unless given. */
  groupMs?: (i: number) => number
  latencyMs?: number
  jitterMs?: number
  seed?: number
}

export interface RlSwarmResult {
  ids: string[]
  /** Per peer (silent ones included, with none), its reports in round order. */
  reports: RoundReport[][]
  errors: Error[][]
  /** Per peer, per round: virtual ms from its round's start until its pool was full or its deadline passed. */
  collected: RlPeerEvents['collected'][][]
  /** Virtual ms from the start to the last peer's last report. */
  virtualMs: number
  /** Bytes each node put on and took off the network (memnet's count, every copy of a message). */
  traffic: { sent: number; received: number }[]
  /** The size of every ROLLOUTS message published, in bytes. */
  rolloutBytes: number[]
  /** Per peer, its model after its last round (null for a silent one). */
  models: (Checkpoint | null)[]
}

/** The RL engine on the CPU reference: what Node peers, the simulator and the experiment run. */
export const cpuRlCompute = (): RlCompute =>
  backendRlCompute(cpuBackend, { tasks: taskFromId, generate: generateGroups })

/** Peer i's spot-check secret: private in a real swarm, reproducible here. */
export const simSecret = (i: number): Hex =>
  keccak256(concat([toBytes('lockstep sapo sim secret'), numberToBytes(i, { size: 4 })]))

export async function runRlSwarm(o: RlSwarmOptions): Promise<RlSwarmResult> {
  const clock = new VirtualClock()
  const network = new MemoryNetwork({
    clock,
    latencyMs: o.latencyMs ?? 5,
    jitterMs: o.jitterMs ?? 2,
    seed: o.seed ?? 1,
  })
  const rolloutBytes: number[] = []
  network.tap = (_from, _topic, data) => {
    if (new TextDecoder().decode(data.subarray(0, 18)) === '{"type":"rollouts"')
      rolloutBytes.push(data.length)
  }
  const ids = Array.from({ length: o.peers }, (_, i) => `peer${i + 1}`)
  const silent = new Set(o.silent ?? [])
  const reports: RoundReport[][] = ids.map(() => [])
  const errors: Error[][] = ids.map(() => [])
  const collected: RlPeerEvents['collected'][][] = ids.map(() => [])
  const runs = ids.map((id, i) => {
    const net = network.join(id)
    if (silent.has(i)) {
      net.subscribe(sapoTopic(o.params), () => {})
      return null
    }
    const peer = new RlPeer({
      net,
      compute: paced(o.compute(i), o.groupMs?.(i) ?? 0, clock),
      book: o.book,
      params: o.params,
      mine: o.mine(i),
      model: o.model,
      clock,
      secret: simSecret(i),
      rounds: o.rounds,
    })
    peer.on('round', (r) => reports[i].push(r))
    peer.on('error', (e) => errors[i].push(e))
    peer.on('collected', (c) => collected[i].push(c))
    return peer
  })
  await Promise.all(runs.map((p) => p?.start()))
  return {
    ids,
    reports,
    errors,
    collected,
    virtualMs: clock.now(),
    traffic: ids.map((id) => network.traffic(id)),
    rolloutBytes,
    models: runs.map((p) => p?.model ?? null),
  }
}

/** `inner`, whose rollouts take `ms` of `clock`'s time per group: on virtual time compute is otherwise free. */
function paced(inner: RlCompute, ms: number, clock: VirtualClock): RlCompute {
  if (!(ms > 0)) return inner
  return {
    ...inner,
    async rollouts(model, tasks, G, rule) {
      const out = await inner.rollouts(model, tasks, G, rule)
      await clock.sleep(ms * tasks.length)
      return out
    },
  }
}
