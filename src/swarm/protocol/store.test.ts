import { describe, expect, it } from 'vitest'
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
