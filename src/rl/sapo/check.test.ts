import { describe, expect, it } from 'vitest'
import { checkpointHash, encodeCheckpoint } from '../../swarm/protocol/codec.ts'
import { VirtualClock } from '../../swarm/sim/clock.ts'
import { MemoryNetwork } from '../../swarm/sim/memnet.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { Hex } from 'viem'
import { acceptRollouts, type Accepted } from './accept.ts'
import { spotCheck, type CheckContext } from './check.ts'
import { chooseExternal, type ChooseContext } from './choose.ts'
import { RoundPool } from './pool.ts'
import { SCORE, Standings } from './scores.ts'
import { fakeBook, fakeCompute, fakeModel, fakeParams, fakePeerParams } from './testing.ts'

const params = fakeParams()
const compute = fakeCompute()

async function bench(serve: (blobs: Map<Hex, Uint8Array>) => void = () => {}) {
  const clock = new VirtualClock()
  const network = new MemoryNetwork({ clock, latencyMs: 3 })
  const sender = network.join('sender')
  const checker = network.join('checker')
  const blobs = new Map<Hex, Uint8Array>()
  sender.provideBlobs((h) => blobs.get(h))
  serve(blobs)
  const keep = (c: Checkpoint) => {
    const bytes = encodeCheckpoint(c)
    blobs.set(checkpointHash(bytes), bytes)
    return checkpointHash(bytes)
  }
  const ctx: CheckContext = { net: checker, compute, params, clock, fetchMs: 1000, fetched: () => {} }
  /** What `model` generates for the sender's round-0 tasks, as the sender's message names it. */
  const rollouts = async (model: Checkpoint, blob: Hex, state = stateHash(model.step, model.tensors)) => {
    const tasks = fakeBook.tasksFor(params.seed, 0, 'sender', params.local)
    const groups = await compute.rollouts(model, tasks, params.G, params.rule)
    const m = { type: 'rollouts' as const, round: 0, state, blob, groups, trainedOn: [] }
    return acceptRollouts(
      { ...m, groups: groups.map(({ taskId, completions }) => ({ taskId, completions })) },
      'sender',
      params,
      fakeBook,
    )
  }
  return { ctx, keep, rollouts, blobs }
}

const check = (ctx: CheckContext, a: Accepted, i = 0) => spotCheck(ctx, new Map(), a, a.groups[i])

describe('spot checks', () => {
  it('accept a group that regenerates from the blob the sender named', async () => {
    const b = await bench()
    const model = fakeModel(0.5)
    const a = await b.rollouts(model, b.keep(model))
    expect(await check(b.ctx, a, 0)).toEqual({ kind: 'ok' })
    expect(await check(b.ctx, a, 1)).toEqual({ kind: 'ok' })
  })

  it('catch a completion the model did not produce, naming the first differing token', async () => {
    const b = await bench()
    const model = fakeModel(0.5)
    const a = await b.rollouts(model, b.keep(model))
    a.groups[1].completions[2] = [0x39, 0x39, 10]
    expect(await check(b.ctx, a, 1)).toEqual({
      kind: 'forged',
      why: expect.stringMatching(/completion 2 token 0/),
    })
  })

  it('catch a blob of another model than the state it named', async () => {
    const b = await bench()
    const a = await b.rollouts(fakeModel(0.5), b.keep(fakeModel(0.6)))
    expect(await check(b.ctx, a)).toEqual({ kind: 'forged', why: expect.stringMatching(/has state 0x/) })
  })

  it("catch a blob that is not a checkpoint, or not the swarm's model shape", async () => {
    const b = await bench()
    const junk = new Uint8Array([1, 2, 3])
    b.blobs.set(checkpointHash(junk), junk)
    const a = await b.rollouts(fakeModel(0.5), checkpointHash(junk))
    expect(await check(b.ctx, a)).toEqual({ kind: 'forged', why: expect.stringMatching(/not a checkpoint/) })
    const wide = fakeModel(0.5, { ...params.config, model: { ...params.config.model, dModel: 4 } })
    const c = await b.rollouts(wide, b.keep(wide))
    expect(await check(b.ctx, c)).toEqual({
      kind: 'forged',
      why: expect.stringMatching(/model shape|not a checkpoint/),
    })
  })

  it('call a blob that is not served unavailable, not forged', async () => {
    const b = await bench()
    const a = await b.rollouts(fakeModel(0.5), `0x${'12'.repeat(32)}`)
    expect(await check(b.ctx, a)).toEqual({ kind: 'unavailable', why: expect.stringMatching(/not-found/) })
  })
})

describe('accusations', () => {
  it('are checked by the receiver itself: a false one costs the accuser, a true one drops the sender', async () => {
    const b = await bench()
    const model = fakeModel(0.5)
    const honest = await b.rollouts(model, b.keep(model))
    const pool = new RoundPool()
    pool.add(honest, 0)
    const standings = new Standings()
    const accused: string[] = []
    const ctx: ChooseContext = {
      self: 'checker',
      params,
      mine: fakePeerParams({ external: 0, checkRate: 0 }),
      secret: `0x${'77'.repeat(32)}`,
      pool,
      standings,
      check: b.ctx,
      accuse: async (_r, peer) => void accused.push(peer),
    }
    const taskId = honest.groups[1].taskId
    expect(await chooseExternal(ctx, 0, [{ from: 'liar', round: 0, peer: 'sender', taskId }])).toEqual([])
    expect(standings.score('liar')).toBe(SCORE.falseAccusation)
    expect(standings.dropped('sender')).toBe(false)
    honest.groups[1].completions[0] = [0x30, 10]
    await chooseExternal(ctx, 0, [{ from: 'witness', round: 0, peer: 'sender', taskId }])
    expect(standings.dropped('sender')).toBe(true)
    expect(standings.score('witness')).toBe(0)
    expect(accused).toEqual([]) // an accusation it confirmed is not repeated
  })
})
