import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { mulberry32 } from '../../util/random.ts'
import { VirtualClock } from '../sim/clock.ts'
import { MemoryNetwork } from '../sim/memnet.ts'
import { addPeer, cpuCompute, swarmParams } from '../sim/swarm.ts'
import { SchemaError } from './schema.ts'
import { decodeMessage, encodeMessage, type Message } from './messages.ts'
import { swarmTopic } from './params.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))

/** Malformed variants of real messages: flipped bytes, truncations, wrong types, huge and odd values. */
function mutants(seeds: Uint8Array[], count: number, seed: number): Uint8Array[] {
  const next = mulberry32(seed)
  const pick = <T>(xs: T[]) => xs[next() % xs.length]
  const weird = [null, -1, 1e308, NaN, '', 'x'.repeat(300), [], {}, true, '0x' + 'zz'.repeat(32), 2 ** 53, -0]
  const out: Uint8Array[] = []
  while (out.length < count) {
    const base = pick(seeds)
    const kind = next() % 6
    if (kind === 0) {
      const b = base.slice()
      for (let i = 0; i < 1 + (next() % 4); i++) b[next() % b.length] = next() & 0xff
      out.push(b)
    } else if (kind === 1) out.push(base.subarray(0, next() % base.length))
    else if (kind === 2) out.push(Uint8Array.from({ length: next() % 200 }, () => next() & 0xff))
    else {
      // Structurally plausible JSON with one field replaced, removed or added, at any depth.
      const v = JSON.parse(new TextDecoder().decode(base))
      let node = v
      for (let d = 0; d < 3 && typeof node === 'object' && node; d++) {
        const keys = Object.keys(node)
        if (!keys.length) break
        const k = pick(keys)
        if (d === 2 || typeof node[k] !== 'object' || node[k] === null || next() % 2) {
          if (kind === 3) node[k] = pick(weird)
          else if (kind === 4) delete node[k]
          else node[`extra${next() % 9}`] = pick(weird)
          break
        }
        node = node[k]
      }
      out.push(new TextEncoder().encode(JSON.stringify(v)))
    }
  }
  return out
}

describe('hostile input', () => {
  it('the decoder accepts only well-formed messages and throws nothing but SchemaError', async () => {
    const params = await swarmParams(corpus)
    const seeds = await realMessages(params)
    for (const data of [
      ...mutants(seeds, 5000, 1),
      new Uint8Array(600_000),
      new TextEncoder().encode('['.repeat(100_000)),
    ]) {
      try {
        const m = decodeMessage(data)
        expect(decodeMessage(encodeMessage(m))).toEqual(m) // whatever passes is a clean message
      } catch (e) {
        expect(e).toBeInstanceOf(SchemaError)
      }
    }
  }, 60_000)

  it('a swarm under a flood of 3,000 malformed messages from 30 senders still agrees every round', async () => {
    const params = await swarmParams(corpus)
    const clock = new VirtualClock()
    const network = new MemoryNetwork({ latencyMs: 1, seed: 11, clock })
    // Steps that take time: the flood arrives during live rounds.
    const peers = ['p1', 'p2', 'p3'].map((id) =>
      addPeer(network, id, params, cpuCompute(corpus, params, clock), { until: 1 }),
    )
    const attackers = Array.from({ length: 30 }, (_, i) => network.join(`x${i}`))
    const junk = mutants(await realMessages(params), 3000, 2)
    const topic = swarmTopic(params)
    for (const a of attackers) a.subscribe(topic, () => {})
    await Promise.all(peers.map((p) => p.peer.start()))
    // 100 messages every 5 ms of the swarm's time, until the junk runs out or the rounds are done.
    let i = 0
    const flood = (): (() => void) =>
      clock.after(5, () => {
        for (let k = 0; k < 100 && i < junk.length; k++, i++) void attackers[i % 30].publish(topic, junk[i])
        if (i < junk.length) stopFlood = flood()
      })
    let stopFlood = flood()
    await Promise.all(peers.map((p) => p.peer.finished()))
    stopFlood()
    for (const p of peers) {
      expect(p.errors).toEqual([])
      expect(p.rounds.map((r) => r.included)).toEqual([
        ['p1', 'p2', 'p3'],
        ['p1', 'p2', 'p3'],
      ])
      const dropped = Object.values(p.peer.stats.dropped).reduce((a, b) => a + b, 0)
      expect(dropped).toBeGreaterThan(0)
      expect(attackers.some((a) => p.peer.score(a.self) < 0)).toBe(true)
    }
    expect(new Set(peers.map((p) => p.rounds[1].model)).size).toBe(1)
  }, 60_000)
})

/** One of every message kind, as a real round produces them. */
async function realMessages(params: Awaited<ReturnType<typeof swarmParams>>): Promise<Uint8Array[]> {
  const network = new MemoryNetwork({ clock: new VirtualClock() })
  const seen: Uint8Array[] = []
  network.tap = (_from, _topic, data) => seen.push(data)
  const peers = ['p1', 'p2'].map((id) =>
    addPeer(network, id, params, cpuCompute(corpus, params), { until: 0 }),
  )
  await Promise.all(peers.map((p) => p.peer.start()))
  await Promise.all(peers.map((p) => p.peer.finished()))
  const fault = {
    type: 'verdict',
    round: 0,
    start: '0x' + '11'.repeat(32),
    target: 'p1',
    receiptHash: '0x' + '22'.repeat(32),
    ok: false,
  }
  const extra: Message[] = [
    { type: 'hello' },
    { type: 'joined', round: 0, start: fault.start } as Message,
    { ...fault, fault: null } as Message,
  ]
  return [...seen, ...extra.map(encodeMessage)]
}
