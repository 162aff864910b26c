// The dispute game over the shapes a real training step's attention has: batched matmuls with a
// transposed operand and a shared one, and the index maps (permute, split, concat) that move elements
// without arithmetic. A lie planted in each is found and settled on chain (contracts/referee/DisputeGame.sol).
import { describe, expect, it } from 'vitest'
import { f32FromBits } from '../kernels/softfloat.ts'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { matmulRef } from '../kernels/matmul.ts'
import { permuteRef } from '../kernels/permute.ts'
import { mulberry32 } from '../util/random.ts'
import { Phase } from './game.ts'
import { MOVE, outputCount, permutedIndex, runSlot } from './gameOps.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import {
  expectBadProgram,
  moveInitial,
  moveProgram,
  openBetween,
  playLie,
  playOut,
  useGame,
} from './testing.ts'

const chain = useGame()

const H = 4
const STEPS = 4
const program = moveProgram(H)
const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)

describe('the move program on the CPU', () => {
  it('computes what the kernels compute: a batched Q·Kᵀ, a shared-B Sᵀ·W, a permute, a split and a concat', () => {
    const [q, k, w] = moveInitial(H, mulberry32(1))
    const s = runSlot(program[3], [q, k], 1)
    expect(s).toEqual(
      new Uint32Array(matmulRef(f32(q), [2, 2, H], f32(k), [2, 2, H], { transB: true }).buffer),
    )
    const t = runSlot(program[4], [s, w], 1)
    expect(t).toEqual(
      new Uint32Array(matmulRef(f32(s), [2, 2, 2], f32(w), [1, 2, H], { transA: true }).buffer),
    )
    const p = runSlot(program[5], [t], 1)
    expect(p).toEqual(permuteRef(t, [2, 2, H], [1, 0, 2]))
    const [lo, hi] = [runSlot(program[6], [p], 1), runSlot(program[7], [p], 1)]
    expect([lo, hi]).toEqual([p.slice(0, 2 * H), p.slice(2 * H)])
    expect(runSlot(program[8], [hi, lo], 1)).toEqual(Uint32Array.from([...hi, ...lo]))
  })

  it('maps every output element of a permute to the input element permuteRef moves there', () => {
    const dims = [2, 3, 2, 4]
    const order = [2, 0, 3, 1]
    const ids = Uint32Array.from({ length: 48 }, (_, i) => i)
    const moved = permuteRef(ids, dims, order)
    for (let e = 0; e < 48; e++) expect(permutedIndex([4, ...dims, ...order], e)).toBe(moved[e])
  })

  it('stays finite over the game steps (a lie must not round away in an overflow)', () => {
    const trace = runProgram(program, moveInitial(H, mulberry32(2)), STEPS)
    for (const slot of trace.slots[STEPS])
      for (const b of slot.bits) expect(Number.isFinite(f32FromBits(b))).toBe(true)
  })
})

describe('DisputeGame: batched matmuls and index maps', { timeout: 180_000 }, () => {
  const cases = [
    [3, 'a batched matmul with B transposed', 'defender'],
    [4, 'a batched matmul with A transposed and B shared', 'challenger'],
    [5, 'a permute', 'defender'],
    [6, 'the first output of a split', 'challenger'],
    [7, 'the second output of a split', 'defender'],
    [8, 'a concat', 'challenger'],
  ] as const
  for (const [slot, name, cheater] of cases) {
    it(`names the cheating ${cheater} with the lie in ${name}`, async () => {
      const next = mulberry32(200 + slot)
      const lie: Lie = { step: 1 + (next() % STEPS), slot, element: next() % outputCount(program[slot]) }
      const { got, want } = await playLie(
        chain,
        program,
        moveInitial(H, mulberry32(slot)),
        STEPS,
        lie,
        cheater,
      )
      expect(got).toEqual(want)
    })
  }

  for (const [slot, consts, why] of [
    [5, [3, 2, 2, H, 1, 1, 2], 'a permute whose order repeats a dimension'],
    [5, [3, 2, 2, H + 1, 1, 0, 2], 'a permute whose dimensions are not the output size'],
    [8, [2 * H, H], 'a concat whose lengths do not add up to its output'],
    [4, [2, 1, 2, 0], 'a batched matmul whose transpose flag is not 0 or 1'],
  ] as const) {
    it(`refuses a program entry that does not fit its op (${why}): BadProgram, and the defender wins`, async () => {
      await expectBadProgram(chain, program, moveInitial(H, mulberry32(40 + slot)), STEPS, slot, [...consts])
    })
  }

  it('refuses a concat operand taken from the input that does not hold the element', async () => {
    const lie = { step: 2, slot: 8, element: 1 } // in the first input (slot 7)
    const initial = moveInitial(H, mulberry32(77))
    const honest = runProgram(program, initial, STEPS)
    const { c, d } = await openBetween(chain, runProgram(program, initial, STEPS, { lie }), honest)
    const g = await playOut(c, d, Phase.Resolve)
    expect([g.slot, g.element]).toEqual([8, 1])
    // The operand from the concat's second input (slot 6), at the same offset: not what element 1 is.
    const wrong = { ...g, spec: { ...g.spec, kind: MOVE.slice, a: 6, consts: [0] } }
    const forged = chain.client.simulateContract({
      account: chain.alice.account,
      address: chain.game,
      abi: disputeGameAbi,
      functionName: 'resolve',
      args: [c.id, c.operands(wrong)],
    })
    await expect(forged).rejects.toThrow(/BadSlotProof/)
    await c.move()
    expect((await c.state()).winner).toBe(chain.bob.account.address)
  })
})
