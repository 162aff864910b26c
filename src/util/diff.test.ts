import { describe, expect, it } from 'vitest'
import { describeDifference, firstDifference } from './diff.ts'

describe('firstDifference', () => {
  it('names the first differing path', () => {
    const d = firstDifference({ a: [1, { lr: 0.003 }] }, { a: [1, { lr: 0.006 }] })
    expect(d && describeDifference(d)).toBe('a[1].lr: 0.006, expected 0.003')
    expect(firstDifference([1, 2], [1])).toMatchObject({ path: '.length' })
    expect(firstDifference({ a: 1 }, { a: 1, b: 0 })).toMatchObject({ path: 'b', got: 0 })
  })

  // A referee's own record may hold { scale: undefined }; the same record read from a party's JSON file
  // has no scale key. They are the same record: convicting on it would convict the honest.
  it('reads a key set to undefined as the absent key, as JSON does', () => {
    const derived = { scale: undefined, bias: true }
    expect(firstDifference(derived, JSON.parse(JSON.stringify(derived)))).toBeNull()
    expect(firstDifference(derived, { scale: 0, bias: true })).toMatchObject({ path: 'scale', got: 0 })
    expect(firstDifference({ bias: true }, { scale: null, bias: true })).toMatchObject({ path: 'scale' })
  })
})
