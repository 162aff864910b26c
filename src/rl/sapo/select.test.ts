import { describe, expect, it } from 'vitest'
import { checkCount, drawChecks, selectExternal, selectionSeed, type Candidate } from './select.ts'
import { FAKE_SEED } from './testing.ts'

const H = `0x${'00'.repeat(32)}` as const
const cand = (from: string, taskId: string, rewards: number[]): Candidate => ({
  from,
  group: { taskId, state: H, completions: rewards.map(() => [10]), rewards },
})
const pool: Candidate[] = [
  ...['p1', 'p2', 'p3', 'p4', 'p5'].flatMap((p) => [
    cand(p, `add/1/${p}a`, [1000, 0, 0, 0]),
    cand(p, `add/1/${p}b`, [0, 0, 0, 0]),
  ]),
]
const ids = (cs: Candidate[]) => cs.map((c) => `${c.from}:${c.group.taskId}`)
const shuffled = <T>(xs: T[]) =>
  xs
    .map((x, i) => [x, (i * 7919) % 13] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([x]) => x)

describe('selection rule', () => {
  it('is a pure function of the seed and the candidates, whatever their order', () => {
    const seed = selectionSeed(FAKE_SEED, 4, 'p0')
    const a = selectExternal(seed, pool, 3)
    expect(ids(selectExternal(seed, shuffled(pool), 3))).toEqual(ids(a))
    expect(ids(selectExternal(seed, [...pool].reverse(), 3))).toEqual(ids(a))
  })

  it('differs between peers and rounds', () => {
    const pick = (round: number, peer: string) =>
      ids(selectExternal(selectionSeed(FAKE_SEED, round, peer), pool, 3))
    const picks = new Set([pick(1, 'p0'), pick(2, 'p0'), pick(1, 'p9'), pick(3, 'p7'), pick(9, 'p8')])
    expect(picks.size).toBeGreaterThan(2)
  })

  it('takes groups that teach something (rewards differ) before groups that cannot', () => {
    const seed = selectionSeed(FAKE_SEED, 0, 'p0')
    expect(selectExternal(seed, pool, 5).every((c) => c.group.taskId.endsWith('a'))).toBe(true)
    const seven = selectExternal(seed, pool, 7)
    expect(seven.filter((c) => c.group.taskId.endsWith('b'))).toHaveLength(2)
    expect(selectExternal(seed, pool, 50)).toHaveLength(pool.length)
    expect(selectExternal(seed, pool, 0)).toEqual([])
  })

  it('draws checks from a private seed, ⌈rate·E⌉ of them and at least one', () => {
    expect([
      checkCount(0, 4),
      checkCount(0.1, 4),
      checkCount(0.5, 4),
      checkCount(1, 4),
      checkCount(1, 0),
    ]).toEqual([0, 1, 2, 4, 0])
    const chosen = pool.slice(0, 6)
    const a = drawChecks(`0x${'11'.repeat(32)}`, 3, chosen, 2)
    expect(ids(drawChecks(`0x${'11'.repeat(32)}`, 3, shuffled(chosen), 2))).toEqual(ids(a))
    const others = new Set(
      Array.from({ length: 8 }, (_, i) => ids(drawChecks(`0x${String(i).repeat(64)}`, 3, chosen, 2)).join()),
    )
    expect(others.size).toBeGreaterThan(2)
  })
})
