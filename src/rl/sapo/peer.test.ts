import { describe, expect, it } from 'vitest'
import { VirtualClock } from '../../swarm/sim/clock.ts'
import { MemoryNetwork } from '../../swarm/sim/memnet.ts'
import type { RoundReport } from '../types.ts'
import { RlPeer } from './peer.ts'
import { runRlSwarm, type RlSwarmOptions } from '../sim.ts'
import { forgingCompute } from './cheat.ts'
import { fakeBook, fakeCompute, fakeModel, fakeParams, fakePeerParams } from './testing.ts'

const swarm = (o: Partial<RlSwarmOptions> = {}) =>
  runRlSwarm({
    peers: 4,
    rounds: 3,
    params: fakeParams(),
    mine: () => fakePeerParams({ external: 3 }),
    compute: () => fakeCompute(),
    book: fakeBook,
    model: fakeModel(0.4),
    ...o,
  })

describe('a 4-peer SAPO swarm on the in-memory net and virtual time', () => {
  it('runs rounds where every peer hears everyone, recomputes the same rewards, and replays exactly', async () => {
    const a = await swarm()
    expect(a.errors.flat()).toEqual([])
    for (const reports of a.reports) {
      expect(reports.map((r) => r.round)).toEqual([0, 1, 2])
      for (const r of reports) {
        expect(r.groupsSent).toBe(2)
        expect(r.groupsReceived).toBe(6)
        expect(r.peers.map((p) => p.peer).sort()).toHaveLength(3)
        expect(r.peers.every((p) => !p.dropped && p.failed === 0 && p.reward !== null)).toBe(true)
        expect(Object.values(r.accuracy).reduce((n, x) => n + x!.total, 0)).toBe(8)
        expect(r.bytesSent).toBeGreaterThan(0)
      }
    }
    // Every peer computed the same reward for every peer's rollouts: one swarm median per round.
    for (let r = 0; r < 3; r++) {
      const means = a.reports.map((p) => p[r].meanReward)
      const sorted = [...means].sort((x, y) => x - y)
      expect(new Set(a.reports.map((p) => p[r].swarmMedian))).toEqual(new Set([(sorted[1] + sorted[2]) / 2]))
      for (const p of a.reports)
        for (const s of p[r].peers) expect(s.reward).toBe(means[a.ids.indexOf(s.peer)])
    }
    // With checkRate 1 every chosen group was regenerated, and all matched.
    expect(a.reports[0][2].peers.every((p) => p.verified > 0)).toBe(true)
    // Each round's update moved each model.
    for (const p of a.reports) expect(new Set(p.map((r) => r.state)).size).toBe(3)
    const b = await swarm()
    expect(b.reports.map((p) => p.map((r) => r.state))).toEqual(a.reports.map((p) => p.map((r) => r.state)))
  })

  it('detects a forger and drops it on every honest peer within 2 rounds', async () => {
    const forger = 3
    const s = await swarm({
      rounds: 4,
      compute: (i) => (i === forger ? forgingCompute(fakeCompute()) : fakeCompute()),
      mine: () => fakePeerParams({ external: 3, checkRate: 0.5 }),
    })
    for (let i = 0; i < 3; i++) {
      const standing = (round: number) => s.reports[i][round].peers.find((p) => p.peer === 'peer4')!
      expect(standing(1).dropped).toBe(true)
      expect(standing(1).score).toBeLessThan(0)
      // No honest peer is ever dropped or accused wrongly.
      expect(
        s.reports[i][3].peers.filter((p) => p.peer !== 'peer4').every((p) => !p.dropped && p.failed === 0),
      ).toBe(true)
      // From then on the forger's rollouts are not received, let alone trained on.
      expect(s.reports[i][2].groupsReceived).toBe(4)
    }
    // At least one peer caught it by regenerating a chosen group itself.
    expect(s.reports.slice(0, 3).some((p) => p[0].peers.find((x) => x.peer === 'peer4')!.dropped)).toBe(true)
  })

  it('does not stall on a silent peer: the round ends at its deadline', async () => {
    const collectMs = 5000
    const s = await swarm({ silent: [2], mine: () => fakePeerParams({ external: 3, collectMs }) })
    const live = [0, 1, 3]
    for (const i of live) {
      expect(s.reports[i].map((r) => r.round)).toEqual([0, 1, 2])
      expect(s.reports[i].every((r) => r.groupsReceived === 4)).toBe(true)
    }
    expect(s.reports[2]).toEqual([])
    // Each round waits out its deadline once, then goes on: about collectMs per round.
    expect(s.virtualMs).toBeGreaterThanOrEqual(3 * collectMs)
    expect(s.virtualMs).toBeLessThan(4 * collectMs)
  })

  it('stops when its signal aborts, and leaves the topic', async () => {
    const clock = new VirtualClock()
    const network = new MemoryNetwork({ clock })
    const net = network.join('alone')
    const peer = new RlPeer({
      net,
      compute: fakeCompute(),
      book: fakeBook,
      params: fakeParams(),
      mine: fakePeerParams(),
      model: fakeModel(0.4),
      clock,
    })
    const stop = new AbortController()
    const reports: RoundReport[] = []
    peer.on('round', (r) => {
      reports.push(r)
      if (r.round === 1) stop.abort()
    })
    await peer.start(stop.signal)
    expect(reports.map((r) => r.round)).toEqual([0, 1])
    expect(reports[1].swarmMedian).toBe(reports[1].meanReward)
    expect(network.join('other').peers(peer.topic)).toEqual([])
  })

  it('lets a peer join a running swarm at its current round', async () => {
    const clock = new VirtualClock()
    const network = new MemoryNetwork({ clock, latencyMs: 5 })
    const make = (id: string, o: Partial<ConstructorParameters<typeof RlPeer>[0]> = {}) => {
      const peer = new RlPeer({
        net: network.join(id),
        compute: fakeCompute(),
        book: fakeBook,
        params: fakeParams(),
        mine: fakePeerParams({ collectMs: 2000 }),
        model: fakeModel(0.4),
        clock,
        ...o,
      })
      const reports: RoundReport[] = []
      peer.on('round', (r) => reports.push(r))
      return { peer, reports }
    }
    const first = ['a', 'b', 'c'].map((id) => make(id, { rounds: 8 }))
    const running = Promise.all(first.map((p) => p.peer.start()))
    await clock.until(() => first[0].reports.length >= 3)
    const late = make('late', { join: true, rounds: 2 })
    await Promise.all([running, late.peer.start()])
    const joinedAt = late.reports[0].round
    expect(joinedAt).toBeGreaterThanOrEqual(3)
    expect(joinedAt).toBeLessThanOrEqual(first[0].reports.length)
    // It hears the others in its own rounds, and they hear it. A peer already a round ahead when it joined
    // published the joined round's rollouts before it listened: from the next round on, everyone's.
    expect(late.reports[0].groupsReceived).toBeGreaterThanOrEqual(4)
    expect(late.reports[1].groupsReceived).toBe(6)
    const seen = first[0].reports.find((r) => r.round === joinedAt)!
    expect(seen.peers.find((p) => p.peer === 'late')?.reward).not.toBeNull()
  })
})
