import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { keccak256, toHex, type Hex } from 'viem'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import { inboxPeer, type Inbox } from '../sim/inbox.ts'
import { cpuCompute, swarmParams } from '../sim/swarm.ts'
import type { SwarmCompute } from './compute.ts'
import { agree, messages, type RoundView } from './decide.ts'
import type { Commit, Decide, Verdict } from './messages.ts'
import { batchSeed, type SwarmParams } from './params.ts'

// The inclusion rule, called directly on one peer holding a round's messages (no network, no rounds).
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
let inbox: Inbox | undefined
let reexecuted: number[]
const listen = async () => {
  reexecuted = []
  const compute: SwarmCompute = {
    ...cpuCompute(corpus, params),
    train: async (_start, seed) => {
      reexecuted.push(seed)
      return { stepHashes: [h('something else')], checkpoints: [], losses: [] }
    },
  }
  inbox = await inboxPeer(params, compute)
  return inbox.peer
}
afterEach(async () => {
  await inbox?.stop()
  inbox = undefined
})

type Peer = Awaited<ReturnType<typeof listen>>
/** A commit of `x` whose update is `model` (held by the peer when `held`). */
function commit(peer: Peer, x: string, held = true): Commit {
  const update = held ? peer.store.keep(model, 0) : h(`${x} update nobody serves`)
  const receipt = { receiptHash: h(`${x} receipt`), body: { endStateHash: start } }
  const c = { type: 'commit', round: 0, start, receipt, checkpoints: [update], loss: 1, seq: 1 }
  messages(view(peer)).commits.set(x, c as unknown as Commit)
  return c as unknown as Commit
}
const vouch = (peer: Peer, from: string, target: string) =>
  peer.store.addVerdict(messages(view(peer)), 0, from, {
    type: 'verdict',
    round: 0,
    start,
    target,
    receiptHash: h(`${target} receipt`),
    ok: true,
    fault: null,
    seq: 1,
  } as Verdict)
const view = (peer: Peer, candidates = [peer.self]): RoundView => ({
  peer,
  round: 0,
  start,
  model,
  member: true,
  own: new Map(),
  seed: h('draw'),
  candidates,
  judged: new Map(),
})

describe('the leader re-executes an update', () => {
  it('that only one member vouched for; two independent vouchers spare it', async () => {
    const peer = await listen()
    for (const x of ['a', 'b', 'c']) commit(peer, x)
    vouch(peer, 'b', 'a') // one voucher for a
    for (const [from, target] of [
      ['a', 'b'],
      ['c', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ])
      vouch(peer, from, target)
    const r = await agree(view(peer))
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
    const peer = await listen()
    commit(peer, 'me')
    const l = commit(peer, 'l')
    const v = view(peer, ['l', 'me'])
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
    const peer = await listen()
    commit(peer, 'x', false)
    const l = commit(peer, 'l')
    const v = view(peer, ['l', 'me'])
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
