// No answer is not proof: a sender whose blob cannot be fetched loses its groups' use and score while it
// cannot, never its standing for good — not after many unanswered fetches, not on an accusation.
import { describe, expect, it } from 'vitest'
import type { Hex } from 'viem'
import { checkpointHash, encodeCheckpoint } from '../../swarm/protocol/codec.ts'
import { VirtualClock } from '../../swarm/sim/clock.ts'
import { MemoryNetwork } from '../../swarm/sim/memnet.ts'
import { acceptRollouts } from './accept.ts'
import { chooseExternal, type ChooseContext } from './choose.ts'
import { RoundPool } from './pool.ts'
import { MAX_UNAVAILABLE, SCORE, Standings } from './scores.ts'
import { fakeBook, fakeCompute, fakeModel, fakeParams, fakePeerParams } from './testing.ts'

const params = fakeParams()
const compute = fakeCompute()

async function setup() {
  const clock = new VirtualClock()
  const network = new MemoryNetwork({ clock, latencyMs: 3 })
  const sender = network.join('sender')
  const checker = network.join('checker')
  const blobs = new Map<Hex, Uint8Array>()
  sender.provideBlobs((h) => blobs.get(h))
  const model = fakeModel(0.5)
  const bytes = encodeCheckpoint(model)
  const blob = checkpointHash(bytes)
  const tasks = fakeBook.tasksFor(params.seed, 0, 'sender', params.local)
  const groups = await compute.rollouts(model, tasks, params.G, params.rule)
  const state = await compute.stateHash(model)
  const m = {
    type: 'rollouts' as const,
    round: 0,
    state,
    blob,
    groups: groups.map(({ taskId, completions }) => ({ taskId, completions })),
    trainedOn: [],
  }
  const pool = new RoundPool()
  pool.add(acceptRollouts(m, 'sender', params, fakeBook), 0)
  const standings = new Standings()
  const ctx = (checkRate: number): ChooseContext => ({
    self: 'checker',
    params,
    mine: fakePeerParams({ external: 2, checkRate }),
    secret: `0x${'77'.repeat(32)}`,
    pool,
    standings,
    check: { net: checker, compute, params, clock, fetchMs: 1000, fetched: () => {} },
    accuse: async () => {},
  })
  const standing = () => standings.standings(() => null).find((s) => s.peer === 'sender')!
  return { ctx, standings, standing, serve: () => blobs.set(blob, bytes), taskId: m.groups[0].taskId }
}

describe('an unanswered blob', () => {
  it('skips the sender’s groups and lowers its score, but never drops it or counts a failed check', async () => {
    const s = await setup()
    const times = MAX_UNAVAILABLE + 2
    for (let i = 0; i < times; i++) expect(await chooseExternal(s.ctx(1), 0, [])).toEqual([])
    expect(s.standing()).toMatchObject({ dropped: false, failed: 0, unavailable: times, verified: 0 })
    expect(s.standings.score('sender')).toBe(times * SCORE.unavailable)
  })

  it('does not turn an accusation into a drop; the accused stays untrained-on until its blob comes', async () => {
    const s = await setup()
    const accusation = { from: 'liar', round: 0, peer: 'sender', taskId: s.taskId }
    expect(await chooseExternal(s.ctx(0), 0, [accusation])).toEqual([])
    expect(s.standing()).toMatchObject({ dropped: false, failed: 0, unavailable: 1 })
    expect(s.standings.score('liar')).toBe(0) // not shown false either: the group could not be regenerated
    // With no checks drawn (checkRate 0), a sender left unanswered still has its chosen groups checked.
    expect(await chooseExternal(s.ctx(0), 0, [])).toEqual([])
    expect(s.standing()).toMatchObject({ dropped: false, failed: 0, unavailable: 2 })
    s.serve()
    const chosen = await chooseExternal(s.ctx(0), 0, [])
    expect(chosen.map((c) => c.from)).toEqual(['sender', 'sender'])
    expect(s.standing()).toMatchObject({ dropped: false, failed: 0, verified: 2 })
    // Answered again: back to the drawn rate (none here), so nothing more is fetched.
    await chooseExternal(s.ctx(0), 0, [])
    expect(s.standing().verified).toBe(2)
  })
})
