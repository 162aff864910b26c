import { describe, expect, it } from 'vitest'
import type { Decide } from './messages.ts'
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
