import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { MemoryNetwork } from '../sim/memnet.ts'
import { addPeer, byzantineCompute, cpuCompute, swarmParams } from '../sim/swarm.ts'
import { batchSeed, leaderOrder } from './params.ts'
import type { SwarmCompute } from './compute.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
const run = async (peers: { peer: { start(): Promise<void>; finished(): Promise<void> } }[]) => {
  await Promise.all(peers.map((p) => p.peer.start()))
  await Promise.all(peers.map((p) => p.peer.finished()))
}

describe('faults', () => {
  it('20 honest rounds: every peer agrees every round, no check ever finds a fault, nobody is excluded', async () => {
    const params = await swarmParams(corpus, { stepsPerRound: 1, checkSteps: 1 })
    const network = new MemoryNetwork({ latencyMs: 1, jitterMs: 2, seed: 7 })
    const peers = ['h1', 'h2', 'h3'].map((id) =>
      addPeer(network, id, params, cpuCompute(corpus, params), { until: 19 }),
    )
    await run(peers)
    for (const p of peers) {
      expect(p.errors).toEqual([])
      expect(p.rounds).toHaveLength(20)
      expect(p.peer.stats.faultsFound).toBe(0)
      expect(p.peer.stats.checks).toBe(2 * 20) // everyone re-executed both others, every round
    }
    for (let r = 0; r < 20; r++) {
      expect(new Set(peers.map((p) => p.rounds[r].model)).size).toBe(1)
      expect(peers[0].rounds[r].included).toEqual(['h1', 'h2', 'h3'])
      expect(peers[0].rounds[r].excluded).toEqual([])
    }
  }, 180_000)

  it('a peer whose updates are wrong is caught and excluded in the first round it lies, with evidence', async () => {
    const params = await swarmParams(corpus)
    const network = new MemoryNetwork({ latencyMs: 2, jitterMs: 2, seed: 3 })
    const honest = ['p1', 'p2', 'p3'].map((id) =>
      addPeer(network, id, params, cpuCompute(corpus, params), { until: 1 }),
    )
    const liar = addPeer(network, 'p4', params, byzantineCompute(cpuCompute(corpus, params)), { until: 1 })
    await run([...honest, liar])
    for (const p of honest) expect(p.errors).toEqual([])
    // A peer may stop checking once the leader has decided; the leader itself never decides unchecked.
    expect(honest.reduce((n, p) => n + p.peer.stats.faultsFound, 0)).toBeGreaterThanOrEqual(2)
    for (let r = 0; r < 2; r++) {
      const results = honest.map((p) => p.rounds[r])
      expect(new Set(results.map((x) => x.model)).size).toBe(1)
      expect(results[0].included).toEqual(['p1', 'p2', 'p3'])
      // Its own false accusations are judged too, but it is already out for its fault.
      expect(results[0].excluded).toEqual([{ peer: 'p4', reason: 'fault' }])
    }
  }, 180_000)

  it('a peer that leaves mid-round (the round leader, after committing) does not stop the others', async () => {
    const params = await swarmParams(corpus, { timing: { commitMs: 8000, verifyMs: 3000, decideMs: 1500 } })
    const network = new MemoryNetwork({ latencyMs: 2, seed: 5 })
    const ids = ['p1', 'p2', 'p3', 'p4']
    // Round 1's leader is known once round 0's model is: it trains, commits, and its tab closes.
    let leaver = ''
    const leaving = (id: string, inner: SwarmCompute): SwarmCompute => ({
      ...inner,
      async train(start, seed, steps) {
        const out = await inner.train(start, seed, steps)
        if (start.step === params.stepsPerRound && seed === batchSeed(params, 1, id) && id === leaver)
          setTimeout(() => {
            network.leave(id) // the tab closes: its network and its code stop together
            void peers.find((p) => p.peer.self === id)!.peer.stop()
          }, 20)
        return out
      },
    })
    const peers = ids.map((id) =>
      addPeer(network, id, params, leaving(id, cpuCompute(corpus, params)), { until: 2 }),
    )
    peers[0].peer.on('round', (r) => {
      if (r.round === 0) leaver = leaderOrder(r.model, ids)[0]
    })
    await Promise.all(peers.map((p) => p.peer.start()))
    await Promise.all(peers.map((p) => p.peer.finished()))
    const stayed = peers.filter((p) => p.peer.self !== leaver)
    expect(stayed).toHaveLength(3)
    for (let r = 1; r < 3; r++) {
      expect(new Set(stayed.map((p) => p.rounds[r].model)).size).toBe(1)
      expect(stayed[0].rounds[r].included).toEqual(ids.filter((x) => x !== leaver))
    }
    // It had committed, so it ranked first; the next in order decided, without its update.
    expect(stayed[0].rounds[1].leader).toBe(leaderOrder(stayed[0].rounds[0].model, ids)[1])
    expect(stayed[0].rounds[1].excluded).toEqual([{ peer: leaver, reason: 'unavailable' }])
    for (const p of stayed) expect(p.errors).toEqual([])
  }, 180_000)

  it('a late joiner fetches the current model by hash, then trains in the next rounds with everyone', async () => {
    const params = await swarmParams(corpus)
    const network = new MemoryNetwork({ latencyMs: 2, seed: 9 })
    const first = ['p1', 'p2', 'p3'].map((id) =>
      addPeer(network, id, params, cpuCompute(corpus, params), { until: 3 }),
    )
    await Promise.all(first.map((p) => p.peer.start()))
    await new Promise<void>((resolve) => first[0].peer.on('round', (r) => r.round === 0 && resolve()))
    const late = addPeer(network, 'p5', params, cpuCompute(corpus, params), { until: 3, join: true })
    const synced = new Promise<{ round: number }>((resolve) => late.peer.on('sync', resolve))
    await late.peer.start()
    expect((await synced).round).toBeGreaterThanOrEqual(1)
    await Promise.all([...first, late].map((p) => p.peer.finished()))
    const last = late.rounds.at(-1)!
    expect(last.round).toBe(3)
    expect(last.included).toContain('p5')
    for (const r of late.rounds) {
      const theirs = first[0].rounds.find((x) => x.round === r.round)!
      expect(r.model).toBe(theirs.model)
    }
  }, 180_000)
})
