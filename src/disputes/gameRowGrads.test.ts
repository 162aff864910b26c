// The dispute game over RefereeRows' ops (contracts/referee/RowGrads.sol): the cross-entropy's per-row
// loss and gradient, softmax's backward (causal and not) and layernorm's dx, dgamma and dbeta. A lie
// planted in each is found, DisputeGame derives the rows, prefixes and columns the element reads, and
// RefereeGrad (forwarding to RefereeRows) names the cheater.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { f32FromBits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { Phase } from './game.ts'
import { inputSlots, operandsOf, outputCount, runSlot, type Spec } from './gameOps.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import { WINDOW, openBetween, playOut, rowGradInitial, rowGradProgram, startGame } from './testing.ts'

let chain: Awaited<ReturnType<typeof startGame>>
beforeAll(async () => {
  chain = await startGame()
}, 120_000)
afterAll(() => chain?.stop())

const H = 4
const STEPS = 3
const program = rowGradProgram(H)

describe('the row-grad program on the CPU', () => {
  it('stays finite over the game steps', () => {
    const trace = runProgram(program, rowGradInitial(H, mulberry32(2)), STEPS)
    // (The targets slot holds uint32 ids, which read as tiny subnormals: finite too.)
    for (const slot of trace.slots[STEPS])
      for (const b of slot.bits) expect(Number.isFinite(f32FromBits(b))).toBe(true)
  })

  it('reads a causal row only up to its query position, and a dgamma element all of x', () => {
    const causal = program[10]
    expect(operandsOf(causal, 0).map((o) => o.indices)).toEqual([[0], [0]])
    expect(operandsOf(causal, 2 * H + 1).map((o) => o.indices.length)).toEqual([3, 3])
    expect(operandsOf(program[6], 1).map((o) => o.indices.length)).toEqual([4 * H, 4, 4])
    // A causal row's masked elements are exactly +0.
    const [x, dy] = rowGradInitial(H, mulberry32(3))
    expect(runSlot(causal, [x, dy], 1)[1]).toBe(0)
  })
})

describe('DisputeGame: RefereeRows ops', { timeout: 180_000 }, () => {
  const cases = [
    [5, "layernorm's dx", 'defender'],
    [6, "layernorm's dgamma", 'challenger'],
    [7, "layernorm's dbeta", 'defender'],
    [8, "a row's cross-entropy", 'challenger'],
    [9, "the cross-entropy's gradient", 'defender'],
    [10, "softmax's backward, causal", 'challenger'],
    [11, "softmax's backward", 'defender'],
  ] as const
  for (const [slot, name, cheater] of cases) {
    it(`names the cheating ${cheater} with the lie in ${name}`, async () => {
      const next = mulberry32(400 + slot)
      // In the last step: the lie is then in the final trace whichever slots read it.
      const lie: Lie = { step: STEPS, slot, element: next() % outputCount(program[slot]) }
      const initial = rowGradInitial(H, mulberry32(slot))
      const trees = new Map()
      const honest = runProgram(program, initial, STEPS, { trees })
      const liar = runProgram(program, initial, STEPS, { lie, trees })
      const { c, d } =
        cheater === 'defender'
          ? await openBetween(chain, honest, liar)
          : await openBetween(chain, liar, honest)
      const winner = cheater === 'defender' ? chain.alice.account.address : chain.bob.account.address
      const g = await playOut(c, d)
      expect([g.winner, g.hi, g.slot, g.element]).toEqual([winner, lie.step, lie.slot, lie.element])
    })
  }

  it('refuses a softmax backward whose causal flag is not 0 or 1: BadProgram, and the defender wins', async () => {
    const slot = 11
    const consts = [2]
    const bad = program.map((s, j) => (j === slot ? { ...s, consts } : s))
    const honestOf = (s: Spec) => (s.consts === consts ? program[slot] : s)
    const opts = {
      run: (s: Spec, ins: Uint32Array[], step: number) => runSlot(honestOf(s), ins, step),
      inputs: (s: Spec) => inputSlots(honestOf(s)),
    }
    const initial = rowGradInitial(H, mulberry32(60))
    const honest = runProgram(bad, initial, STEPS, opts)
    const lie = { step: STEPS, slot, element: 1 }
    const { c, d } = await openBetween(chain, honest, runProgram(bad, initial, STEPS, { ...opts, lie }))
    const g = await playOut(c, d, Phase.Resolve)
    expect(g.slot).toBe(slot)
    await expect(c.move()).rejects.toThrow(/BadProgram/)
    await chain.passTime(WINDOW + 1n)
    expect(await c.claimTimeout()).toBe(true)
    expect((await c.state()).winner).toBe(chain.bob.account.address)
  })
})
