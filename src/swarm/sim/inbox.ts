// A SwarmPeer for tests that call it directly: its network is a stub that hands the test the gossip
// handler and records what the peer publishes, and its own training in round 0 never finishes, so it
// stays in round 0 and only listens. Nothing runs underneath the test: no rounds, no network timers.
import type { Clock } from '../protocol/clock.ts'
import { batchSeed, swarmTopic, type SwarmParams } from '../protocol/params.ts'
import type { SwarmCompute } from '../protocol/compute.ts'
import { SwarmPeer } from '../protocol/peer.ts'
import type { SwarmMessage, SwarmNet } from '../types.ts'
import { testSigner } from './swarm.ts'
import { TestNetError } from '../../errors/swarm.ts'

export interface Inbox {
  peer: SwarmPeer
  /** Hands the peer one gossip message, as the network would (`from` is the authenticated sender). */
  deliver(from: string, data: Uint8Array): void
  /** What the peer published, in order. */
  published: Uint8Array[]
  stop(): Promise<void>
}

export async function inboxPeer(
  params: SwarmParams,
  compute: SwarmCompute,
  { self = 'me', clock }: { self?: string; clock?: Clock } = {},
): Promise<Inbox> {
  let handler: (m: SwarmMessage) => void = () => {}
  const published: Uint8Array[] = []
  const net: SwarmNet = {
    self,
    publish: async (_topic, data) => void published.push(data),
    subscribe: (topic, h) => {
      if (topic === swarmTopic(params)) handler = h
      return () => {}
    },
    fetchBlob: async () => {
      throw new TestNetError('This test network serves no blobs.')
    },
    provideBlobs: () => {},
    peers: () => [],
  }
  let release: (e: Error) => void = () => {}
  const stuck = new Promise<never>((_, reject) => (release = reject))
  stuck.catch(() => {})
  const own = batchSeed(params, 0, self)
  const peer = new SwarmPeer({
    net,
    params,
    clock,
    signer: testSigner(0),
    compute: {
      ...compute,
      train: (start, seed, steps) => (seed === own ? stuck : compute.train(start, seed, steps)),
    },
  })
  await peer.start()
  return {
    peer,
    deliver: (from, data) => handler({ from, data }),
    published,
    async stop() {
      const done = peer.stop()
      release(new Error('stopped'))
      await done
    },
  }
}
