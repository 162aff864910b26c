// The dispute game over RefereeRows' ops (contracts/referee/RowGrads.sol): the cross-entropy's per-row
// loss and gradient, softmax's backward (causal and not) and layernorm's dx, dgamma and dbeta. A lie
// planted in each is found, DisputeGame derives the rows, prefixes and columns the element reads, and
// RefereeGrad (forwarding to RefereeRows) names the cheater.
import { describe, expect, it } from 'vitest'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { gameOperandsAbi } from '../chain/contracts/GameOperands.ts'
import { f32FromBits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { operandsOf, outputCount, runSlot } from './gameOps.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import { expectBadProgram, playLie, rowGradInitial, rowGradProgram, useGame } from './testing.ts'

const chain = useGame()

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
      const { got, want } = await playLie(chain, program, initial, STEPS, lie, cheater)
      expect(got).toEqual(want)
    })
  }

  it('refuses a softmax backward whose causal flag is not 0 or 1: BadProgram, and the defender wins', async () => {
    await expectBadProgram(chain, program, rowGradInitial(H, mulberry32(60)), STEPS, 11, [2])
  })

  it('refuses a causal softmax, forward or backward, whose rows are not [T, T] blocks, as the engine does', async () => {
    // A program whose shapes disagree with the tensors cannot be played to the resolve (the descent's
    // element count comes from the shape), so GameOperands' derivation is asked directly.
    const operands = await chain.client.readContract({
      address: chain.game,
      abi: disputeGameAbi,
      functionName: 'operands',
    })
    const zero = `0x${'00'.repeat(32)}` as const
    const place = { slot: 3, element: 1, step: 1, depth: 2, dRoot: zero, cRoot: zero }
    const none = {
      root: zero,
      ofChallenger: false,
      slotProof: [],
      proof: [],
      flags: [],
      indices: [],
      bits: [],
    }
    const ask = (kind: number, m: number, xs: number) =>
      chain.client.readContract({
        address: operands,
        abi: gameOperandsAbi,
        functionName: 'recomputeArgs',
        args: [place, { kind, a: 1, b: 2, c: 0, d: 0, m, k: 0, n: 4, consts: [1] }, Array(xs).fill(none)],
      })
    for (const [kind, xs] of [
      [19, 1],
      [28, 2],
    ])
      await expect(ask(kind, 6, xs), `op ${kind}, 6 rows of 4`).rejects.toThrow(/BadProgram/)
  })
})
