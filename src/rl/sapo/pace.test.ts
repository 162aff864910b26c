// Pacing through a relay: a peer reaches the others through the relay's gossip alone, so none counts
// another as connected (net.peers is empty). A peer still waits for the peers it heard recently, and a
// peer that hears the swarm at later rounds catches up, so they run the same rounds and hear each other.
import { describe, expect, it } from 'vitest'
import { VirtualClock } from '../../swarm/sim/clock.ts'
import { MemoryNetwork } from '../../swarm/sim/memnet.ts'
import type { SwarmNet } from '../../swarm/types.ts'
import type { Clock } from '../../swarm/protocol/clock.ts'
import type { RlCompute, RoundReport } from '../types.ts'
import { RlPeer, type RlPeerEvents, type RlPeerOptions } from './peer.ts'
import { fakeBook, fakeCompute, fakeModel, fakeParams, fakePeerParams } from './testing.ts'

const collectMs = 2000
/** Virtual time a peer's rollouts take: messages (5 ms latency) arrive while others compute. */
const computeMs = 100

/** `net` as a peer behind a relay sees it: every message arrives, nobody is a connected subscriber. */
function relayed(net: SwarmNet): SwarmNet {
  return {
    self: net.self,
    publish: (t, d) => net.publish(t, d),
    subscribe: (t, h) => net.subscribe(t, h),
    fetchBlob: (p, h, m, s) => net.fetchBlob(p, h, m, s),
    provideBlobs: (get) => net.provideBlobs(get),
    peers: () => [],
  }
}

function slow(compute: RlCompute, clock: Clock): RlCompute {
  return {
    ...compute,
    rollouts: async (...a) => (await clock.sleep(computeMs), compute.rollouts(...a)),
  }
}

function setup() {
  const clock = new VirtualClock()
  const network = new MemoryNetwork({ clock, latencyMs: 5 })
  const make = (id: string, o: Partial<RlPeerOptions>) => {
    const peer = new RlPeer({
      net: relayed(network.join(id)),
      compute: slow(fakeCompute(), clock),
      book: fakeBook,
      params: fakeParams(),
      mine: fakePeerParams({ collectMs }),
      model: fakeModel(0.4),
      clock,
      ...o,
    })
    const reports: RoundReport[] = []
    const collected: RlPeerEvents['collected'][] = []
    peer.on('round', (r) => reports.push(r))
    peer.on('collected', (c) => collected.push(c))
    return { peer, reports, collected }
  }
  return { make }
}

describe('RL peers that reach each other only through a relay', () => {
  it('a peer hearing the swarm ahead catches up, and the one ahead waits for it', async () => {
    const { make } = setup()
    const ahead = make('ahead', { firstRound: 5, rounds: 5 })
    const behind = make('behind', { firstRound: 0, rounds: 5 })
    await Promise.all([ahead.peer.start(), behind.peer.start()])
    // The one behind ran a round or two before it heard the other at round 5 or later, and jumped there.
    expect(behind.reports[0].round).toBe(0)
    const caught = behind.reports.findIndex((r) => r.round >= 5)
    expect(caught).toBeGreaterThan(0)
    expect(caught).toBeLessThanOrEqual(2)
    // From then on both run the same rounds, and in each (but the first it caught up to, whose rollouts
    // from the other left before it got there) each receives the other's groups.
    const rounds = behind.reports.slice(caught).map((r) => r.round)
    expect(rounds.length).toBeGreaterThanOrEqual(3)
    expect(ahead.reports.map((r) => r.round)).toEqual(expect.arrayContaining(rounds.slice(1)))
    for (const round of rounds.slice(1)) {
      expect(behind.reports.find((r) => r.round === round)!.groupsReceived).toBe(2)
      expect(ahead.reports.find((r) => r.round === round)!.groupsReceived).toBe(2)
    }
    // The one ahead waited for the one it had heard (not connected, not a sender of its last round) and
    // got its rollouts before the deadline.
    const met = ahead.collected.find((c) => c.round === rounds[1])!
    expect(met.full).toBe(true)
    expect(met.ms).toBeGreaterThan(computeMs)
    expect(met.ms).toBeLessThan(collectMs)
    expect([...ahead.reports, ...behind.reports].every((r) => r.peers.every((p) => !p.dropped))).toBe(true)
  })

  it('a peer waits for a recently heard peer up to collectMs, then no longer', async () => {
    const { make } = setup()
    const stays = make('stays', { rounds: 4 })
    const leaves = make('leaves', { rounds: 1 })
    await Promise.all([stays.peer.start(), leaves.peer.start()])
    expect(stays.reports.map((r) => r.round)).toEqual([0, 1, 2, 3])
    // Round 1: it heard the other in round 0, which then left: the round waits out its deadline.
    expect(stays.collected[1]).toMatchObject({ round: 1, full: false, ms: computeMs + collectMs })
    // Later rounds: the other was last heard more than collectMs ago, so nobody is expected.
    for (const c of stays.collected.slice(2)) expect(c).toMatchObject({ full: true, ms: computeMs })
  })
})
