import { describe, expect, it } from 'vitest'
import type { Hex } from 'viem'
import { keptOnSync } from './swarmHistory.ts'

const h = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
// Rows whose round r ended on model h(r + 1): the chain 0 → 1 → 2 → …
const chain = (from: number, to: number, fork = 0) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ round: from + i, model: h(from + i + 1 + fork) }))

describe('keptOnSync', () => {
  it('keeps the rows before the adopted round when they end on its chain', () => {
    expect(keptOnSync(chain(0, 4), { round: 3, model: h(3), parent: h(2) })).toEqual(chain(0, 2))
  })

  it('drops a last row that ended on another model (a round the tab decided alone) and all after it', () => {
    const rows = [...chain(0, 1), ...chain(2, 3, 100)]
    expect(keptOnSync(rows, { round: 4, model: h(4), parent: h(3) })).toEqual(chain(0, 1))
    expect(keptOnSync(chain(0, 0, 100), { round: 1, model: h(1), parent: null })).toEqual([])
  })

  it('checks the row before against the head`s parent, and keeps older rows it cannot check', () => {
    const rows = [...chain(0, 1), ...chain(2, 2, 100), ...chain(3, 3)]
    expect(keptOnSync(rows, { round: 4, model: h(4), parent: h(3) })).toEqual(chain(0, 1))
    // Without a parent only the last row can be checked.
    expect(keptOnSync(rows, { round: 4, model: h(4), parent: null })).toEqual(rows)
    // A missing row (a round the tab skipped) does not hide a wrong one before it.
    expect(
      keptOnSync([...chain(0, 1), ...chain(2, 2, 100)], { round: 4, model: h(4), parent: h(3) }),
    ).toEqual(chain(0, 1))
  })
})
