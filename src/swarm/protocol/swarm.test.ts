import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { VirtualClock } from '../sim/clock.ts'
import { MemoryNetwork } from '../sim/memnet.ts'
import { addPeer, cpuCompute, swarmParams } from '../sim/swarm.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))

describe('a swarm over the in-memory net', () => {
  it('4 peers run 3 rounds, agree on the model hash every round, and the loss goes down', async () => {
    const params = await swarmParams(corpus)
    const clock = new VirtualClock()
    const network = new MemoryNetwork({ latencyMs: 2, jitterMs: 3, clock })
    const peers = ['p1', 'p2', 'p3', 'p4'].map((id) =>
      addPeer(network, id, params, cpuCompute(corpus, params, clock), { until: 2 }),
    )
    await Promise.all(peers.map((p) => p.peer.start()))
    await Promise.all(peers.map((p) => p.peer.finished()))
    for (const p of peers) expect(p.errors).toEqual([])
    for (let r = 0; r < 3; r++) {
      const results = peers.map((p) => p.rounds[r])
      expect(new Set(results.map((x) => x.model)).size).toBe(1)
      expect(results[0].included).toEqual(['p1', 'p2', 'p3', 'p4'])
      expect(results[0].excluded).toEqual([])
    }
    const losses = peers[0].rounds.map((r) => r.loss)
    expect(losses[2]).toBeLessThan(losses[0])
  }, 60_000) // on virtual time: its compute alone (seconds), however long the waits
})
