import { describe, expect, it } from 'vitest'
import type { Accepted } from './accept.ts'
import { LOOKAHEAD, RoundPool } from './pool.ts'

const msg = (from: string, round: number): Accepted => ({
  from,
  round,
  state: `0x${'00'.repeat(32)}`,
  blob: `0x${'00'.repeat(32)}`,
  tasks: [],
  groups: [],
  meanReward: 0,
  trainedOn: [],
})

describe('round pool', () => {
  it('holds one message per sender per round, the first one', () => {
    const pool = new RoundPool()
    const first = msg('a', 5)
    expect(pool.add(first, 5)).toBeNull()
    expect(pool.add({ ...msg('a', 5), meanReward: 1000 }, 5)).toBe('duplicate')
    expect(pool.at(5).get('a')).toBe(first)
  })

  it('holds the round before and LOOKAHEAD rounds ahead, and forgets older ones', () => {
    const pool = new RoundPool()
    expect(pool.add(msg('a', 3), 5)).toBe('outside window')
    expect(pool.add(msg('a', 4), 5)).toBeNull()
    expect(pool.add(msg('a', 5 + LOOKAHEAD), 5)).toBeNull()
    expect(pool.add(msg('a', 6 + LOOKAHEAD), 5)).toBe('outside window')
    pool.prune(6)
    expect(pool.at(4).size).toBe(0)
    expect(pool.at(5 + LOOKAHEAD).size).toBe(1)
  })

  it('refuses senders past its cap, and rounds past its round cap, instead of evicting', () => {
    const pool = new RoundPool(3)
    for (const p of ['a', 'b', 'c']) expect(pool.add(msg(p, 0), 0)).toBeNull()
    expect(pool.add(msg('sybil', 0), 0)).toBe('full')
    expect([...pool.at(0).keys()]).toEqual(['a', 'b', 'c'])
    const joining = new RoundPool()
    for (let r = 0; r < 8; r++) expect(joining.add(msg('x', 100 * r), 100 * r)).toBeNull()
    expect(joining.add(msg('x', 900), 900)).toBe('full')
  })
})
