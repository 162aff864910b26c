// One peer's RoundContext without a peer or a network, on virtual time: a test fills the store and the
// members as a round would have, says who is connected, and calls a rule of decide.ts directly. What the
// peer publishes is recorded; blobs come from its own store only.
import { decodeCheckpoint } from '../protocol/codec.ts'
import type { SwarmCompute } from '../protocol/compute.ts'
import { emptyStats, type RoundContext } from '../protocol/context.ts'
import { Members } from '../protocol/members.ts'
import type { Message } from '../protocol/messages.ts'
import { maxCheckpointBytes, swarmTopic, type SwarmParams } from '../protocol/params.ts'
import { RoundStore } from '../protocol/store.ts'
import { Waits } from '../protocol/wait.ts'
import { VirtualClock } from './clock.ts'
import { testSigner } from './swarm.ts'
import { TestNetError } from '../../errors/swarm.ts'

export interface RoundBench {
  ctx: RoundContext
  clock: VirtualClock
  /** Who is connected on the topic: change it to make a peer arrive or leave. */
  connected: Set<string>
  /** What the peer published, in order. */
  published: Message[]
  /** Stops the peer: its waits end. */
  stop(): void
}

export function roundBench(
  params: SwarmParams,
  compute: SwarmCompute,
  {
    self = 'me',
    round = 0,
    clock = new VirtualClock(),
  }: { self?: string; round?: number; clock?: VirtualClock } = {},
): RoundBench {
  const store = new RoundStore()
  const stats = emptyStats()
  const connected = new Set<string>()
  const published: Message[] = []
  let running = true
  let seq = 0
  const waits = new Waits(
    clock,
    () => running,
    () => stats.timeouts++,
  )
  const ctx: RoundContext = {
    self,
    topic: swarmTopic(params),
    params,
    clock,
    compute,
    signer: testSigner(0),
    store,
    members: new Members(),
    stats,
    get running() {
      return running
    },
    connected: () => [...connected],
    publish: async (m) => void published.push(m),
    until: (cond, deadline) => waits.until(cond, deadline),
    notify: () => waits.notify(),
    nextSeq: () => (seq = Math.max(clock.now(), seq + 1)),
    async fetchCheckpoint(hash) {
      const bytes = store.blob(hash)
      if (!bytes) throw new TestNetError(`No blob ${hash} here.`)
      return decodeCheckpoint(bytes, maxCheckpointBytes(params))
    },
    keep: (c) => store.keep(c, round),
  }
  return {
    ctx,
    clock,
    connected,
    published,
    stop() {
      running = false
      waits.notify()
    },
  }
}
