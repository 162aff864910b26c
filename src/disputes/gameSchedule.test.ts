// The dispute game over AdamW steps whose learning rate follows the trainer's schedule
// (contracts/referee/Schedule.sol): the program names the schedule, the game derives each step's rate from
// the step it reached, and a lie in a scheduled update is found and settled on chain.
import { describe, expect, it } from 'vitest'
import { f32Bits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_OPS as OP } from './onchain.ts'
import { outputCount, type Spec } from './gameOps.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import { expectBadProgram, playLie, rowInitial, rowProgram, useGame } from './testing.ts'

const chain = useGame()

const H = 4
const STEPS = 6
/** Warmup over the first 2 steps, cosine decay to step 5, then the floor: every branch of lrSchedule. */
const SCHEDULE = [2, 5, f32Bits(0.001)]
/** The row program with its AdamW slots (12, 13, 14) scheduled from step 1, peak = the program's lr. */
const scheduled = (warmupTotalMin = SCHEDULE): Spec[] =>
  rowProgram(H).map((s) =>
    s.kind === OP.adamw ? { ...s, consts: [s.consts[0], 1, ...s.consts.slice(2), ...warmupTotalMin] } : s,
  )

describe('the scheduled program on the CPU', () => {
  it('runs each step at its own rate: the states part from the constant-rate run at once', () => {
    const initial = rowInitial(H, mulberry32(3))
    const constant = rowProgram(H).map((s) =>
      s.kind === OP.adamw ? { ...s, consts: [s.consts[0], 1, ...s.consts.slice(2)] } : s,
    )
    const a = runProgram(scheduled(), initial, STEPS)
    const b = runProgram(constant, initial, STEPS)
    // Warmup's first rate is peak/2, not peak: the first update already differs.
    expect(a.slots[1][12].bits).not.toEqual(b.slots[1][12].bits)
  })
})

describe('DisputeGame: AdamW on a learning-rate schedule', { timeout: 180_000 }, () => {
  // Slot 12 is the new W, the one output the rate reaches (13 and 14 are the moments). With the challenger
  // lying there, the honest defender wins only if the contract's rate for that step is the trainer's.
  for (const [step, slot, cheater] of [
    [1, 12, 'challenger'], // in warmup
    [4, 12, 'challenger'], // in the cosine decay, past r = 1/2
    [5, 12, 'defender'], // the decay's last step
    [6, 12, 'challenger'], // past the end: the floor
    [3, 13, 'defender'], // a moment, which the rate does not reach
  ] as const) {
    it(`names the cheating ${cheater} with the lie in AdamW slot ${slot} at step ${step}`, async () => {
      const program = scheduled()
      const lie: Lie = { step, slot, element: mulberry32(step)() % outputCount(program[slot]) }
      const { got, want } = await playLie(
        chain,
        program,
        rowInitial(H, mulberry32(step)),
        STEPS,
        lie,
        cheater,
      )
      expect(got).toEqual(want)
    })
  }

  it('refuses a schedule whose total comes before its warmup: BadProgram, and the defender wins', async () => {
    const program = scheduled()
    const consts = [...program[12].consts.slice(0, 8), 5, 2, f32Bits(0.001)]
    await expectBadProgram(chain, program, rowInitial(H, mulberry32(9)), STEPS, 12, consts)
  })
})
