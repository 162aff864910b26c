import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { readFileSync } from 'node:fs'
import { VirtualClock } from '../sim/clock.ts'
import { inboxPeer, type Inbox } from '../sim/inbox.ts'
import { MemoryNetwork } from '../sim/memnet.ts'
import { addPeer, cpuCompute, swarmParams } from '../sim/swarm.ts'
import { decodeMessage, encodeMessage, type Message } from './messages.ts'
import type { SwarmParams } from './params.ts'

// What a peer holds for the senders it hears from is bounded, whoever sends (docs/swarm.md, Limits).
// Each test hands messages straight to one listening peer: no rounds run underneath it.
const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
let params: SwarmParams
/** Everything p2 published in a real two-peer run of rounds 0 and 1, in order. */
let sent: { data: Uint8Array; m: Message }[]
const find = (type: string, round: number) =>
  sent.find(({ m }) => m.type === type && 'round' in m && m.round === round)!

beforeAll(async () => {
  params = await swarmParams(corpus)
  const network = new MemoryNetwork({ seed: 5, clock: new VirtualClock() })
  sent = []
  network.tap = (from, _topic, data) => void (from === 'p2' && sent.push({ data, m: decodeMessage(data) }))
  const peers = ['p1', 'p2'].map((id) =>
    addPeer(network, id, params, cpuCompute(corpus, params), { until: 1 }),
  )
  await Promise.all(peers.map((p) => p.peer.start()))
  await Promise.all(peers.map((p) => p.peer.finished()))
}, 60_000)

let inbox: Inbox | undefined
let clock: VirtualClock
const listen = async () => {
  clock = new VirtualClock(1_000_000)
  return (inbox = await inboxPeer(params, cpuCompute(corpus, params), { clock }))
}
afterEach(async () => {
  await inbox?.stop()
  inbox = undefined
})

describe('positions', () => {
  it('a replayed older signed message never moves its sender back', async () => {
    const { peer, deliver } = await listen()
    deliver('p2', find('commit', 1).data)
    await vi.waitFor(() => expect(peer.members.positions.get('p2')?.round).toBe(1))
    // Its round-0 commit and verdict, replayed after its round-1 commit (their signatures still hold).
    deliver('p2', find('commit', 0).data)
    await vi.waitFor(() => expect(peer.store.at(0, peer.round)?.commits.has('p2')).toBe(true))
    deliver('p2', find('verdict', 0).data)
    expect(peer.members.positions.get('p2')?.round).toBe(1)
  })
})

describe('verdicts', () => {
  it('are stored only from peers taking part in the round: held until the sender commits', async () => {
    const { peer, deliver } = await listen()
    const round0 = peer.store.at(0, peer.round)!
    deliver('p2', find('verdict', 0).data)
    expect(round0.verdicts.size).toBe(0)
    deliver('p2', find('commit', 0).data)
    await vi.waitFor(() => expect(round0.verdicts.size).toBe(1))
  })
})

describe('per-sender state', () => {
  it('a flood of 5,000 new senders: the oldest scores and positions are forgotten, the newest kept', async () => {
    const { peer, deliver } = await listen()
    const junk = new TextEncoder().encode('{"type":"nonsense"}')
    const verdict = find('verdict', 0).data
    for (let i = 0; i < 5000; i++) {
      deliver(`s${i}`, junk)
      deliver(`v${i}`, verdict)
    }
    expect(peer.score('s0')).toBe(0)
    expect(peer.score('s4999')).toBe(-1)
    expect(peer.members.positions.size).toBeLessThanOrEqual(4096)
    expect(peer.members.positions.has('v4999')).toBe(true)
  })

  it('answers the hellos of at most 256 new senders a second', async () => {
    const { deliver, published } = await listen()
    const hello = encodeMessage({ type: 'hello' })
    for (let i = 0; i < 1000; i++) deliver(`h${i}`, hello)
    const heads = () => published.filter((d) => decodeMessage(d).type === 'head').length
    expect(heads()).toBe(256)
    await clock.sleep(1001)
    deliver('late', hello)
    expect(heads()).toBe(257)
  })
})
