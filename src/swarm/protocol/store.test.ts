import { describe, expect, it } from 'vitest'
import type { Decide, Verdict } from './messages.ts'
import { RoundStore } from './store.ts'

const blob = (i: number) => new Uint8Array([1, 2, 3, i])

describe('RoundStore blobs', () => {
  it('forgets a blob two rounds on, unless it is pinned as an announced head (until the pin expires)', () => {
    const store = new RoundStore()
    const plain = store.keepBytes(blob(0), 5)
    const head = store.keepBytes(blob(1), 5)
    store.pin(head, 10_000)
    store.prune(9, 5_000)
    expect(store.blob(plain)).toBeUndefined()
    expect(store.blob(head)).toEqual(blob(1))
    store.prune(9, 10_000)
    expect(store.blob(head)).toBeUndefined()
  })

  it('holds at most four pins: the newest win', () => {
    const store = new RoundStore()
    const hashes = [0, 1, 2, 3, 4].map((i) => store.keepBytes(blob(i), 0))
    for (const h of hashes) store.pin(h, Infinity)
    store.prune(10, 0)
    expect(hashes.map((h) => store.blob(h) !== undefined)).toEqual([false, true, true, true, true])
  })
})

describe('RoundStore held messages', () => {
  const decide = (round: number) =>
    ({ type: 'decide', round, start: '0x00', included: [], excluded: [], model: '0x00' }) as unknown as Decide

  it('releases the messages of the rounds a sync lands on, keeps later ones, forgets earlier ones', () => {
    const store = new RoundStore()
    for (const r of [5, 9, 10, 11, 12]) store.hold(`p${r}`, decide(r))
    expect(store.release(9).map((x) => x.m.round)).toEqual([9, 10, 11])
    expect(store.release(9)).toEqual([]) // released once
    expect(store.release(12).map((x) => x.from)).toEqual(['p12'])
    expect(store.release(5)).toEqual([]) // round 5 was forgotten when round 9 was released
  })

  it('holds at most 256 messages: the newest win', () => {
    const store = new RoundStore()
    for (let i = 0; i < 300; i++) store.hold(`p${i}`, decide(7))
    const out = store.release(7)
    expect(out).toHaveLength(256)
    expect(out[0].from).toBe('p44')
  })
})

describe('RoundStore verdicts', () => {
  const verdict = (target: string, pad: number) =>
    ({
      type: 'verdict',
      round: 0,
      start: '0x00',
      target,
      ok: false,
      fault: { pad: 'x'.repeat(pad) },
    }) as unknown as Verdict

  it('hold at most 8 MiB per round: a flood of large verdicts is evicted before peers with a few small ones', () => {
    const store = new RoundStore()
    const m = store.at(0, 0)!
    const bytes = () => [...m.verdicts.values()].reduce((a, x) => a + JSON.stringify(x.v).length, 0)
    // 20 senders with 60 verdicts of 10 KB each: 12 MB offered, each sender under its own cap of 64.
    for (let s = 0; s < 20; s++)
      for (let i = 0; i < 60; i++) store.addVerdict(m, 0, `flood${s}`, verdict(`t${i}`, 10_000))
    expect(bytes()).toBeLessThanOrEqual(8 * 1024 * 1024)
    // Then 100 peers with 8 checks each still get every verdict in.
    for (let s = 0; s < 100; s++)
      for (let i = 0; i < 8; i++)
        expect(store.addVerdict(m, 0, `honest${s}`, verdict(`t${i}`, 100))).toBeFalsy()
    expect([...m.verdicts.values()].filter((x) => x.from.startsWith('honest'))).toHaveLength(800)
    expect(bytes()).toBeLessThanOrEqual(8 * 1024 * 1024)
  })
})
