import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { keccak256, toHex, type Hex } from 'viem'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import { roundBench, type RoundBench } from '../sim/roundBench.ts'
import { cpuCompute, swarmParams } from '../sim/swarm.ts'
import type { SwarmCompute } from './compute.ts'
import { agree, close, forkChoice, messages, type RoundView } from './decide.ts'
import type { Commit, Decide, Verdict } from './messages.ts'
import { batchSeed, type SwarmParams } from './params.ts'
import { POLL_MS } from './wait.ts'

// The rules of decide.ts, called directly on one peer's RoundContext holding a round's messages: no
// network, no other peers, no rounds; deadlines on virtual time (sim/clock.ts), so a wait of seconds is
// measured exactly and costs nothing.
const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
const h = (s: string): Hex => keccak256(toHex(s))
let params: SwarmParams
let model: Checkpoint
let start: Hex

beforeAll(async () => {
  params = await swarmParams(corpus)
  model = await cpuCompute(corpus, params).initial(params.config)
  start = stateHash(model.step, model.tensors)
})

/** A peer whose re-executions of others always disagree with their commits, and which counts them. */
let bench: RoundBench | undefined
let reexecuted: number[]
const listen = (round = 0) => {
  reexecuted = []
  const compute: SwarmCompute = {
    ...cpuCompute(corpus, params),
    train: async (_start, seed) => {
      reexecuted.push(seed)
      return { stepHashes: [h('something else')], checkpoints: [], losses: [] }
    },
  }
  bench = roundBench(params, compute, { round })
  return bench
}
afterEach(() => {
  bench?.stop()
  bench = undefined
})

const view = (b: RoundBench, candidates = [b.ctx.self], round = 0, from = start): RoundView => ({
  ctx: b.ctx,
  round,
  start: from,
  model,
  member: true,
  own: new Map(),
  seed: h('draw'),
  candidates,
  judged: new Map(),
})
/** A commit of `x` whose update is `model` (held by the peer when `held`). */
function commit(b: RoundBench, x: string, held = true): Commit {
  const update = held ? b.ctx.store.keep(model, 0) : h(`${x} update nobody serves`)
  const receipt = { receiptHash: h(`${x} receipt`), body: { endStateHash: start } }
  const c = { type: 'commit', round: 0, start, receipt, checkpoints: [update], loss: 1, seq: 1 }
  messages(view(b)).commits.set(x, c as unknown as Commit)
  return c as unknown as Commit
}
const vouch = (b: RoundBench, from: string, target: string) =>
  b.ctx.store.addVerdict(messages(view(b)), 0, from, {
    type: 'verdict',
    round: 0,
    start,
    target,
    receiptHash: h(`${target} receipt`),
    ok: true,
    fault: null,
    seq: 1,
  } as Verdict)

describe('the leader re-executes an update', () => {
  it('that only one member vouched for; two independent vouchers spare it', async () => {
    const b = listen()
    for (const x of ['a', 'b', 'c']) commit(b, x)
    vouch(b, 'b', 'a') // one voucher for a
    for (const [from, target] of [
      ['a', 'b'],
      ['c', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ])
      vouch(b, from, target)
    const r = await agree(view(b))
    if (r === 'behind') throw new Error('no decision')
    expect(reexecuted).toEqual([batchSeed(params, 0, 'a')])
    expect(r.d.excluded).toEqual([{ peer: 'a', reason: 'fault', evidence: null }])
    expect(r.d.included.map((e) => e.peer)).toEqual(['b', 'c'])
  })
})

describe('a follower', () => {
  const decision = (excluded: string): Decide => ({
    type: 'decide',
    round: 0,
    start,
    included: [{ peer: 'l', receiptHash: h('l receipt'), update: h('l update'), state: start }],
    excluded: [{ peer: excluded, reason: 'unavailable', evidence: null }],
    model: h('model'),
    blob: h('blob'),
    seq: 1,
  })

  it('refuses a decision calling unavailable an update whose blob it holds (its own)', async () => {
    const b = listen()
    commit(b, 'me')
    const l = commit(b, 'l')
    const v = view(b, ['l', 'me'])
    v.own.set('l', { receiptHash: h('l receipt'), ok: true, fault: false })
    messages(v).decides.set('l', {
      ...decision('me'),
      included: [{ ...decision('me').included[0], update: l.checkpoints[0] }],
    })
    const r = await agree(v)
    if (r === 'behind') throw new Error('no decision')
    expect(r.from).toBe('me') // it refused l's and decided itself, including its own update
    expect(r.d.included.map((e) => e.peer)).toEqual(['l', 'me'])
  })

  it('follows one calling unavailable an update it does not hold', async () => {
    const b = listen()
    commit(b, 'x', false)
    const l = commit(b, 'l')
    const v = view(b, ['l', 'me'])
    v.own.set('l', { receiptHash: h('l receipt'), ok: true, fault: false })
    v.own.set('x', { receiptHash: h('x receipt'), ok: true, fault: false })
    messages(v).decides.set('l', {
      ...decision('x'),
      included: [{ ...decision('x').included[0], update: l.checkpoints[0] }],
    })
    const r = await agree(v)
    expect(r !== 'behind' && r.from).toBe('l')
  })
})

describe('a silent leader candidate', () => {
  /** This peer ranks second after `l`, which is connected and has not decided. */
  const second = () => {
    const b = listen()
    commit(b, 'me')
    commit(b, 'l')
    b.connected.add('l')
    return b
  }

  it('is waited for decideMs of virtual time after the round closed, then the next candidate decides', async () => {
    const b = second()
    const t0 = b.clock.now()
    const r = await agree(view(b, ['l', 'me']))
    if (r === 'behind') throw new Error('no decision')
    expect(b.clock.now() - t0).toBe(params.timing.decideMs)
    expect(r.from).toBe('me')
    expect(b.published).toEqual([r.d])
    expect(b.ctx.stats.timeouts).toBe(1)
  })

  it('that leaves is skipped at once (the next poll), not after its deadline', async () => {
    const b = second()
    const t0 = b.clock.now()
    b.clock.after(1000, () => b.connected.delete('l'))
    const r = await agree(view(b, ['l', 'me']))
    expect(r !== 'behind' && r.from).toBe('me')
    expect(b.clock.now() - t0).toBeGreaterThanOrEqual(1000)
    expect(b.clock.now() - t0).toBeLessThanOrEqual(1000 + POLL_MS)
    expect(b.ctx.stats.timeouts).toBe(0)
  })
})

describe('the fork choice', () => {
  const ROUND = 4
  const low: Hex = `0x${'00'.repeat(31)}01`
  const high: Hex = `0x${'ff'.repeat(32)}`
  /**
   * This peer is at round 4 on its chain; the only other connected peer, `b`, last spoke from round 3 of
   * another chain: an even split (one each) whose other side is one round behind.
   */
  const split = () => {
    const b = listen(ROUND)
    const { members } = b.ctx
    members.started(ROUND - 1, h('our round 3'))
    members.started(ROUND, start)
    members.locate('b', ROUND - 1, h('their round 3'), 1)
    b.connected.add('b')
    return { b, v: view(b, [], ROUND) }
  }
  /** `b` commits to round 4 from `from`, `ms` from now, as filing.ts records it. */
  const commitsLater = (b: RoundBench, from: Hex, ms: number) =>
    b.clock.after(ms, () => {
      b.ctx.members.locate('b', ROUND, from, 2)
      b.ctx.notify()
    })

  it('waits for an even split whose rival is one round behind, unless the rival resyncs', () => {
    const { b, v } = split()
    expect(forkChoice(v)).toBe('wait')
    b.ctx.members.joining.set('b', ROUND) // its hello was answered this round: it follows
    expect(forkChoice(v)).toBe('stay')
  })

  it('yields the moment the rival commits to this round from a smaller start', async () => {
    const { b, v } = split()
    commitsLater(b, low, 700)
    expect(await close(v, b.clock.now())).toBe('fork')
    expect(b.clock.now()).toBe(700)
    expect(b.ctx.stats.timeouts).toBe(0)
  })

  it('keeps its chain the moment the rival commits from a larger start', async () => {
    const { b, v } = split()
    commitsLater(b, high, 700)
    expect(await close(v, b.clock.now())).toBeUndefined()
    expect(b.clock.now()).toBe(700)
    expect(forkChoice(v)).toBe('stay')
  })

  it('waits out commitMs on a rival that stays silent, then keeps its chain', async () => {
    const { b, v } = split()
    expect(await close(v, b.clock.now())).toBeUndefined()
    expect(b.clock.now()).toBe(params.timing.commitMs)
    expect(b.ctx.stats.timeouts).toBe(1)
  })
})

describe('a peer that missed the decision', () => {
  it('resyncs (behind) as soon as most connected peers commit to the next round, without waiting out commitMs', async () => {
    const b = listen()
    for (const x of ['a', 'b', 'c']) b.connected.add(x)
    const v = view(b, [])
    b.clock.after(300, () => {
      for (const x of ['a', 'b'])
        b.ctx.store.at(1, 0)!.commits.set(x, { start: h('next') } as unknown as Commit)
      b.ctx.notify()
    })
    expect(await close(v, b.clock.now())).toBe('behind')
    expect(b.clock.now()).toBe(300)
    expect(b.ctx.stats.timeouts).toBe(0)
  })
})
