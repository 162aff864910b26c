// The dispute game over RefereeGrad's ops (contracts/referee/RefereeGrad.sol): the matmul epilogue
// (bias, residual, scale, a transposed operand), the GELU gradients and scale. A lie planted in each is
// found, and DisputeGame routes its recompute to RefereeGrad, which names the cheater.
import { describe, expect, it } from 'vitest'
import { cpuBackend } from '../train/cpu.ts'
import { gradRef, scaleRef } from '../kernels/elementwise.ts'
import { f32FromBits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { outputCount, runSlot } from './gameOps.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import { expectBadProgram, gradInitial, gradProgram, playLie, useGame } from './testing.ts'

const chain = useGame()

const H = 4
const STEPS = 4
const program = gradProgram(H)
const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)
const bitsOf = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)

describe('the grad program on the CPU', () => {
  it('computes what the engine computes: its epilogues, the GELU gradients and scale', async () => {
    const [x, w, bias, dy] = gradInitial(H, mulberry32(1))
    const t = (bits: Uint32Array, shape: number[]) => ({ data: f32(bits), shape })
    const y = runSlot(program[4], [x, w, bias, x], 1)
    const want = await cpuBackend.matmulEpilogue(
      t(x, [2, H]),
      t(w, [H, H]),
      {},
      { bias: t(bias, [H]), residual: t(x, [2, H]) },
    )
    expect(y).toEqual(bitsOf(want.data))
    const g = runSlot(program[5], [y, dy], 1)
    expect(g).toEqual(bitsOf(gradRef('geluTanh', f32(y), f32(dy))))
    const s = runSlot(program[6], [g], 1)
    expect(s).toEqual(bitsOf(scaleRef(f32(g), 0.25)))
    const next = runSlot(program[7], [s, w], 1)
    const scaled = await cpuBackend.matmulEpilogue(
      t(s, [2, H]),
      t(w, [H, H]),
      { transB: true },
      { scale: 0.5 },
    )
    expect(next).toEqual(bitsOf(scaled.data))
    expect(runSlot(program[8], [next, dy], 1)).toEqual(bitsOf(gradRef('geluErf', f32(next), f32(dy))))
  })

  it('stays finite over the game steps', () => {
    const trace = runProgram(program, gradInitial(H, mulberry32(2)), STEPS)
    for (const slot of trace.slots[STEPS])
      for (const b of slot.bits) expect(Number.isFinite(f32FromBits(b))).toBe(true)
  })
})

describe('DisputeGame: RefereeGrad ops', { timeout: 180_000 }, () => {
  const cases = [
    [4, 'an epilogue with bias and residual', 'defender'],
    [5, "gelu'·dy (tanh form)", 'challenger'],
    [6, 'scale', 'defender'],
    [7, 'an epilogue with scale and B transposed', 'challenger'],
    [8, "gelu'·dy (erf form)", 'defender'],
  ] as const
  for (const [slot, name, cheater] of cases) {
    it(`names the cheating ${cheater} with the lie in ${name}`, async () => {
      const next = mulberry32(300 + slot)
      // Slot 8 is read by no later step: its lie must be in the last one to reach the final state.
      const step = slot === 8 ? STEPS : 1 + (next() % STEPS)
      const lie: Lie = { step, slot, element: next() % outputCount(program[slot]) }
      const { got, want } = await playLie(
        chain,
        program,
        gradInitial(H, mulberry32(slot)),
        STEPS,
        lie,
        cheater,
      )
      expect(got).toEqual(want)
    })
  }

  for (const [slot, consts, why] of [
    [4, [8, 0, 1, 1, 0, 0], 'an epilogue flag word above 7'],
    [4, [6, 0x3f800000, 1, 1, 0, 0], 'an epilogue scale given with its flag clear'],
    [6, [], 'a scale with no factor'],
  ] as const) {
    it(`refuses a program entry that does not fit its op (${why}): BadProgram, and the defender wins`, async () => {
      await expectBadProgram(chain, program, gradInitial(H, mulberry32(50 + slot)), STEPS, slot, [...consts])
    })
  }
})
