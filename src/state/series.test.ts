import { describe, expect, it } from 'vitest'
import { TrainSeries } from './series.svelte.ts'

describe('TrainSeries', () => {
  it('appends, marks validation points, and samples evenly with the first and last step', () => {
    const s = new TrainSeries()
    for (let i = 1; i <= 95; i++) s.push({ step: i, loss: 10 - i / 10, lr: 1e-3 })
    s.setVal(50, 4.2)
    s.setVal(0, 5.5) // before any plotted step: remembered, not plotted
    expect(s.length).toBe(95)
    expect(s.val.filter((v) => v !== null)).toEqual([4.2])
    expect(s.lastVal).toEqual({ step: 0, loss: 5.5 })
    expect(s.gradNorm.every((g) => g === null)).toBe(true)

    const rows = s.sample(20)
    expect(rows.length).toBeLessThanOrEqual(21)
    expect(rows[0].step).toBe(1)
    expect(rows.at(-1)!.step).toBe(95)
    expect(new Set(rows.map((r) => r.step)).size).toBe(rows.length)
    expect(s.sample(200).length).toBe(95)

    const v = s.version
    s.clear()
    expect([s.length, s.lastVal, s.version > v]).toEqual([0, null, true])
    expect(s.sample(20)).toEqual([])
  })
})
