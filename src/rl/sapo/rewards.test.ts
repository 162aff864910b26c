import { describe, expect, it } from 'vitest'
import { VirtualClock } from '../../swarm/sim/clock.ts'
import { MemoryNetwork } from '../../swarm/sim/memnet.ts'
import { RlPeer } from './peer.ts'
import { recheckEvidence } from './evidence.ts'
import { RewardAgent, roundWinners, type ClaimCall, type RewardChain, type RewardEvent } from './rewards.ts'
import { fakeBook, fakeCompute, fakeModel, fakeParams, fakePeerParams } from './testing.ts'

const params = fakeParams()
const compute = fakeCompute()
const COORDINATOR = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0'

/**
 * Three peers on the in-memory net, each with a reward agent, over a fake coordinator that keeps the
 * contract's rules the agent meets: one claim per (round, stage, peer), only in the current round.
 */
async function swarm(rounds: number, inflater: number, o: { silentClaimant?: number } = {}) {
  const clock = new VirtualClock()
  const network = new MemoryNetwork({ clock, latencyMs: 5, jitterMs: 2, seed: 1 })
  const chain = { round: 0 }
  const claims = new Map<string, ClaimCall>()
  const missed: ClaimCall[] = []
  const votes: { round: number; winners: string[]; peerId: string; voter: string }[] = []
  const fake = (): RewardChain => ({
    chainId: 31337,
    coordinator: COORDINATOR,
    position: async () => ({ round: chain.round, stage: 0, stageCount: 1 }),
    claim: async (round, stage, peerId) => claims.get(`${round}:${stage}:${peerId}`) ?? null,
    // Every peer of the test is registered but peer1, whom a vote must therefore leave out.
    registered: async (ids) => ids.map((id) => id !== 'peer1'),
  })
  const events: RewardEvent[][] = []
  const agents: RewardAgent[] = []
  const passes: Promise<void>[] = []
  const ids = ['peer1', 'peer2', 'peer3']
  const peers = ids.map((id, i) => {
    const net = network.join(id)
    events.push([])
    const agent = new RewardAgent({
      self: id,
      address: `0x${String(i + 1).padStart(40, '0')}`,
      swarm: 'test',
      params,
      book: fakeBook,
      compute,
      net,
      clock,
      chain: fake(),
      inflating: () => i === inflater,
      writer: {
        async claim(call) {
          if (call.round !== chain.round) missed.push(call)
          else claims.set(`${call.round}:${call.stage}:${call.peerId}`, call)
        },
        async attest() {},
        async vote(call) {
          votes.push({ ...call, voter: id })
        },
      },
    })
    agent.on((e) => events[i].push(e))
    agents.push(agent)
    const peer = new RlPeer({
      net,
      compute,
      book: fakeBook,
      params,
      mine: fakePeerParams({ external: 2 }),
      model: fakeModel(0.4),
      clock,
      rounds,
      // A claimant that does not serve what it claims: its bytes are gone when attesters ask.
      serve: i === o.silentClaimant ? () => undefined : agent.serve,
    })
    peer.on('published', (p) => agent.published(p))
    peer.on('round', (r) => {
      // The coordinator's round moves on with the first peer's RL rounds (the stage manager's timer).
      if (i === 0 && r.round % 2 === 1) chain.round++
      passes.push(
        agent.tick(
          r.peers.map((p) => p.peer),
          roundWinners(r),
        ),
      )
    })
    return peer
  })
  await Promise.all(peers.map((p) => p.start()))
  await Promise.all(passes)
  // One more pass each, as the next round's would be: claims made in the others' last passes get seen.
  await Promise.all(agents.map((a) => a.tick(ids)))
  return { ids, events, claims, missed, chain, agents, votes }
}

const of = <T extends RewardEvent['type']>(events: RewardEvent[], type: T) =>
  events.filter((e): e is Extract<RewardEvent, { type: T }> => e.type === type)

describe('reward agents', () => {
  it('claim once per coordinator round, confirm honest claims and refute an inflated one with evidence', async () => {
    const s = await swarm(5, 2)
    for (const [i, id] of s.ids.entries()) {
      const claimed = of(s.events[i], 'claimed')
      expect(claimed.length).toBeGreaterThanOrEqual(2)
      expect(new Set(claimed.map((c) => c.call.round)).size).toBe(claimed.length)
      for (const c of claimed) {
        expect(c.call.peerId).toBe(id)
        expect(c.call.reward).toBe(i === 2 ? c.honest * 2n + 1000n : c.honest)
      }
    }
    expect(of(s.events.flat(), 'error')).toEqual([])
    // Every claim the chain holds was re-checked by both other peers, with the right verdict.
    for (const [key, claim] of s.claims) {
      const attested = s.events.flatMap((e) =>
        of(e, 'attested').filter((a) => `${a.call.round}:${a.call.stage}:${a.call.claimant}` === key),
      )
      expect(attested.map((a) => a.call.attester).sort()).toEqual(s.ids.filter((p) => p !== claim.peerId))
      for (const a of attested) {
        expect(a.call.confirmed).toBe(claim.peerId !== 'peer3')
        expect(a.evidence.claim.reward).toBe(claim.reward.toString())
        const again = await recheckEvidence(a.evidence, { compute, params, book: fakeBook })
        expect(again.holds).toBe(true)
        if (claim.peerId === 'peer3')
          expect(a.verdict.why).toMatch(/^it claimed \d+; its rollouts regenerate and earn \d+$/)
      }
    }
    expect([...s.claims.values()].some((c) => c.peerId === 'peer3')).toBe(true)
    // One vote per peer per ended coordinator round, naming registered peers only, as its voter.
    expect(s.votes.length).toBeGreaterThan(0)
    for (const id of s.ids) {
      const mine = s.votes.filter((v) => v.voter === id)
      expect(mine.every((v) => v.peerId === id && !v.winners.includes('peer1') && v.winners.length > 0)).toBe(
        true,
      )
      expect(new Set(mine.map((v) => v.round)).size).toBe(mine.length)
    }
  })

  it('refute a claim that names rollouts an earlier claim of its peer already named (a replay)', async () => {
    const s = await swarm(3, -1)
    const mine = [...s.claims.values()].filter((c) => c.peerId === 'peer1').sort((a, b) => a.round - b.round)
    const last = mine.at(-1)!
    // peer1 claims its last rollouts again in the next coordinator round.
    s.chain.round = last.round + 1
    s.claims.set(`${s.chain.round}:0:peer1`, { ...last, round: s.chain.round })
    await Promise.all(s.agents.slice(1).map((a) => a.tick(s.ids)))
    for (const i of [1, 2]) {
      const replayed = of(s.events[i], 'attested').find(
        (a) => a.call.claimant === 'peer1' && a.call.round === s.chain.round,
      )
      expect(replayed?.call.confirmed).toBe(false)
      expect(replayed?.verdict.why).toMatch(
        /^it replays: its rollouts are of RL round \d+, and its claim in coordinator round \d+ stage 0 already named RL round \d+$/,
      )
      expect(replayed?.evidence.earlier?.round).toBe(last.round)
      expect(await recheckEvidence(replayed!.evidence, { compute, params, book: fakeBook })).toMatchObject({
        confirmed: false,
        holds: true,
      })
    }
  })

  it('leave a claim unattested when its claimant does not serve its bytes', async () => {
    const s = await swarm(3, -1, { silentClaimant: 1 })
    const attestedPeer2 = s.events
      .flatMap((e) => of(e, 'attested'))
      .filter((a) => a.call.claimant === 'peer2')
    expect(attestedPeer2).toEqual([])
    const unavailable = s.events.flatMap((e) => of(e, 'unavailable'))
    expect(unavailable.length).toBeGreaterThan(0)
    expect(unavailable.every((u) => u.claimant === 'peer2')).toBe(true)
  })
})
