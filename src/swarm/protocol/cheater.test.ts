// A cheater that comes and goes, as the Join panel's switch makes one: it must be out in the round it
// lies, even when it is that round's leader, and back in once it stops. Page timings (8 s / 8 s / 4 s),
// four peers, each with a round time of its own, on virtual time: the test waits for nothing but compute.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import type { Hex } from 'viem'
import { stateHash } from '../../train/state.ts'
import { VirtualClock } from '../sim/clock.ts'
import { MemoryNetwork } from '../sim/memnet.ts'
import { addPeer, byzantineCompute, cpuCompute, paced, swarmParams, type SimPeer } from '../sim/swarm.ts'
import { batchSeed, leaderOrder } from './params.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
const MINUTES = 60_000
const ids = ['p1', 'p2', 'p3', 'p4']

async function swarm(seed: number, lie: (round: number, start: Hex, own: boolean) => boolean) {
  const params = await swarmParams(corpus, {
    stepsPerRound: 2,
    checkSteps: 2,
    timing: { commitMs: 8000, verifyMs: 8000, decideMs: 4000 },
  })
  const clock = new VirtualClock()
  const network = new MemoryNetwork({ latencyMs: 5, jitterMs: 10, seed, clock })
  /** The rounds of the runs it lied in (its own training, or a check of another's). */
  const lies: number[] = []
  const peers = ids.map((id, k) => {
    // A pause before each run, different per peer and run: tabs on one machine do not keep step.
    let compute = paced(
      cpuCompute(corpus, params, clock),
      (batch) => (((k + seed) * 13 + batch) % 5) * 150,
      clock,
    )
    if (id === 'p4')
      compute = byzantineCompute(compute, (start, batch) => {
        const round = start.step / params.stepsPerRound
        const own = batch === batchSeed(params, round, id)
        const now = lie(round, stateHash(start.step, start.tensors), own)
        if (now) lies.push(round)
        return now
      })
    return addPeer(network, id, params, compute)
  })
  const log: string[] = []
  for (const p of peers) {
    const self = p.peer.self
    p.peer.on('sync', (s) => log.push(`${self} adopts round ${s.round} from ${s.from.join(',')}`))
    p.peer.on('error', (e) => log.push(`${self} error: ${e.message}`))
    p.peer.on('round', (r) =>
      log.push(
        `${self} round ${r.round} ${r.model.slice(0, 10)} leader ${r.leader} in ${r.included} out ${r.excluded.map((e) => `${e.peer}:${e.reason}`)}`,
      ),
    )
  }
  await Promise.all(peers.map((p) => p.peer.start()))
  const until = (cond: () => boolean) =>
    clock.until(cond, 3 * MINUTES).catch((e) => {
      throw new Error(`${e.message} The swarm's log:\n${log.join('\n')}`)
    })
  return { peers, lies, log, until }
}

/** The row each peer kept for `round`: the last one (a peer that resynced dropped the chain it left). */
const row = (p: SimPeer, round: number) => p.rounds.findLast((r) => r.round === round)

/** Asserts every peer in `peers` ended each of `rounds` on one model, and returns the first's rows. */
function agreed(peers: SimPeer[], rounds: number[], log: string[]) {
  return rounds.map((r) => {
    const rows = peers.map((p) => row(p, r))
    expect(new Set(rows.map((x) => x?.model)).size, `round ${r}\n${log.join('\n')}`).toBe(1)
    return rows[0]!
  })
}

/**
 * Waits for the first round after `after` that averages p4 again, and the one after it on every peer;
 * asserts all four agree on both with everyone in, no honest peer erred, and none was ever excluded.
 */
async function backIn(
  { peers, log, until }: Awaited<ReturnType<typeof swarm>>,
  after: number,
): Promise<number> {
  const honest = peers.slice(0, 3)
  const back = () => honest[0].rounds.find((r) => r.round > after && r.included.includes('p4'))?.round
  await until(() => back() !== undefined)
  const b = back()!
  await until(() => peers.every((p) => (p.rounds.at(-1)?.round ?? -1) >= b + 1))
  await Promise.all(peers.map((p) => p.peer.stop()))
  for (const r of agreed(peers, [b, b + 1], log)) expect(r.included).toEqual(ids)
  for (const p of honest) expect(p.errors).toEqual([])
  // Nobody honest was ever excluded, in any round any honest peer kept.
  for (const p of honest)
    for (const r of p.rounds)
      expect(
        r.excluded.filter((e) => e.peer !== 'p4'),
        log.join('\n'),
      ).toEqual([])
  return b
}

describe('a cheater that comes and goes', () => {
  it(
    'leading the round it lies in (its checks lie, its update does not), it is refused and out that round, then back in',
    async () => {
      // p4 lies in its checks of the others in the first round from 2 on that it leads (leader order is
      // public: every peer computes it), and in no other run. As leader it calls every honest update a
      // fault and averages its own alone. The honest peers re-executed those updates equal, so they refuse
      // that decision; the next candidate decides and excludes p4 as a false accuser.
      let target = -1
      const s = await swarm(1, (round, start, own) => {
        if (target === -1 && round >= 2 && leaderOrder(start, ids)[0] === 'p4') target = round
        return round === target && !own
      })
      const { peers, lies, log, until } = s
      const honest = peers.slice(0, 3)
      await until(() => target !== -1 && honest.every((p) => row(p, target)))
      expect(lies.length).toBeGreaterThan(0)
      expect(new Set(lies)).toEqual(new Set([target]))
      const [round] = agreed(honest, [target], log)
      expect(round.excluded, log.join('\n')).toEqual([{ peer: 'p4', reason: 'false-accusation' }])
      expect(round.included).toEqual(['p1', 'p2', 'p3'])
      expect(round.leader).not.toBe('p4')
      // Honest from then on, it finds itself alone on its chain, rejoins the swarm's and is averaged again.
      const back = await backIn(s, target)
      expect(back, log.join('\n')).toBeLessThanOrEqual(target + 4)
    },
    MINUTES,
  )

  it.each([2, 3])(
    'switched on at a moment of its own and off two rounds later, it is out in the round it first lies and back in after (timing %i)',
    async (seed) => {
      // As the page's switch: on between any two runs (its own training or a check), so its first lie is
      // its update (a fault) or its checks (a false accusation).
      let on = false
      const s = await swarm(seed, () => on)
      const { peers, lies, log, until } = s
      const honest = peers.slice(0, 3)
      await until(() => honest[0].rounds.length >= 1 + seed)
      on = true
      await until(() => lies.length > 0)
      const first = lies[0]
      const caught = () => honest[0].rounds.find((r) => r.excluded.some((e) => e.peer === 'p4'))
      await until(() => !!caught())
      expect(caught()!.round, log.join('\n')).toBe(first)
      await until(() => (honest[0].rounds.at(-1)?.round ?? -1) >= first + 2)
      await until(() => honest.every((p) => row(p, first)))
      agreed(honest, [first], log)
      on = false
      await backIn(s, first + 2)
    },
    MINUTES,
  )
})
