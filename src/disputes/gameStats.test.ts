// The dispute game over layernorm's saved statistics (its mean and std of each row: RefereeNorm's 37 and 38,
// reached through RefereeGrad) and the attention's causal softmax (softmax 19 with consts [1]: a row sees
// its prefix up to its query position, and the engine writes exactly +0 past it). A lie planted in each,
// at a visible and at a masked element of the causal softmax, is found and settled on chain
// (contracts/referee/GameOperands.sol, DisputeGame.sol).
import { afterAll, describe, expect, it } from 'vitest'
import { layernormRef } from '../kernels/layernorm.ts'
import { softmaxRef } from '../kernels/softmax.ts'
import { f32Bits, f32FromBits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { COPY, operandsOf, runSlot, type Spec } from './gameOps.ts'
import { ONCHAIN_NORM_OPS as NORM, ONCHAIN_OPS as OP } from './onchain.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import { expectBadProgram, operand, playLie, useGame } from './testing.ts'

const chain = useGame()

/** Rows of H: two [T, T] attention blocks (T = H) for the causal softmax. */
const H = 4
const ROWS = 2 * H
const STEPS = 3
const EPS = f32Bits(1e-5)

const spec = (kind: number, ins: number[], m: number, k: number, n: number, consts: number[] = []): Spec => {
  const [a = 0, b = 0, c = 0, d = 0] = ins
  return { kind, a, b, c, d, m, k, n, consts }
}

/**
 * A step through layernorm and the attention's softmax: the state (X ROWS×H, gamma and beta 1×H) copied in,
 * N = layernorm(X) with its saved mean and std per row, P = causal softmax(N), Q = softmax(N) with the flag
 * 0 (the plain softmax), and X + P: the next step's X.
 */
const program: Spec[] = [
  spec(COPY, [8], ROWS, 0, H),
  spec(COPY, [1], 1, 0, H),
  spec(COPY, [2], 1, 0, H),
  spec(OP.layernorm, [0, 1, 2], ROWS, 0, H, [EPS]),
  spec(NORM.layernormMean, [0], ROWS, H, 1, [EPS]),
  spec(NORM.layernormStd, [0], ROWS, H, 1, [EPS]),
  spec(OP.softmax, [3], ROWS, 0, H, [1]),
  spec(OP.softmax, [3], ROWS, 0, H, [0]),
  spec(OP.add, [0, 6], ROWS, 0, H),
]

/** X in [−1, 1], gamma near 1, beta near 0. */
function initial(next: () => number): Uint32Array[] {
  const vals = (n: number, centre: number, scale: number) =>
    Uint32Array.from({ length: n }, () => f32Bits(centre + ((next() % 2001) / 1000 - 1) * scale))
  return [vals(ROWS * H, 0, 1), vals(H, 1, 0.2), vals(H, 0, 0.2)]
}

const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)
const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)

describe('the statistics and the causal softmax on the CPU', () => {
  it('equal layernormRef’s mean and std and softmaxRef’s causal rows bit for bit (seeded shapes)', () => {
    const next = mulberry32(37)
    for (let c = 0; c < 300; c++) {
      const [t, blocks, k] = [1 + (next() % 12), 1 + (next() % 3), 1 + (next() % 24)]
      const x = Uint32Array.from({ length: blocks * t * t }, () => operand(next))
      const want = u32(softmaxRef(f32(x), [blocks * t, t], { causal: true }))
      expect(runSlot(spec(OP.softmax, [0], blocks * t, 0, t, [1]), [x], 1)).toEqual(want)
      // The flag 0 and no flag are the plain softmax.
      const plain = u32(softmaxRef(f32(x), [blocks * t, t]))
      expect(runSlot(spec(OP.softmax, [0], blocks * t, 0, t, [0]), [x], 1)).toEqual(plain)
      expect(runSlot(spec(OP.softmax, [0], blocks * t, 0, t), [x], 1)).toEqual(plain)
      const rows = Uint32Array.from({ length: blocks * k }, () => operand(next))
      const eps = f32Bits([0, 1e-5, 1e-12, 0.5, 3e38][c % 5])
      const ref = layernormRef(f32(rows), new Float32Array(k), new Float32Array(k), [blocks, k], {
        eps: f32FromBits(eps),
      })
      const stat = (kind: number) => runSlot(spec(kind, [0], blocks, k, 1, [eps]), [rows], 1)
      expect(stat(NORM.layernormMean)).toEqual(u32(ref.mean))
      expect(stat(NORM.layernormStd)).toEqual(u32(ref.std))
    }
  })

  it('reads a causal row up to its query position, nothing at a masked element, and a statistic its row', () => {
    const causal = program[6]
    // Row 5 is query position 1 of the second block: it sees 2 elements.
    expect(operandsOf(causal, 5 * H + 1)).toEqual([{ slot: 3, indices: [5 * H, 5 * H + 1] }])
    expect(operandsOf(causal, 5 * H + 2)).toEqual([])
    expect(operandsOf(program[7], 5 * H + 2)).toEqual([{ slot: 3, indices: [20, 21, 22, 23] }])
    expect(operandsOf(program[4], 3)).toEqual([{ slot: 0, indices: [12, 13, 14, 15] }])
    expect(() => runSlot({ ...causal, consts: [2] }, [new Uint32Array(ROWS * H)], 1)).toThrow(/consts/)
    const trace = runProgram(program, initial(mulberry32(1)), STEPS)
    for (const slot of trace.slots[STEPS])
      for (const b of slot.bits) expect(Number.isFinite(f32FromBits(b))).toBe(true)
    // Masked elements are exactly +0.
    expect(trace.slots[STEPS][6].bits[5 * H + 2]).toBe(0)
  })
})

describe('DisputeGame: layernorm’s statistics and the causal softmax', { timeout: 180_000 }, () => {
  const gas: string[] = []
  afterAll(() => console.log(`[gas] stats game, rows of ${H}: ${gas.join(', ')}`))

  const cases = [
    [4, "layernorm's mean", 'defender', 3],
    [4, "layernorm's mean", 'challenger', 6],
    [5, "layernorm's std", 'defender', 7],
    [5, "layernorm's std", 'challenger', 0],
    [6, 'the causal softmax, visible', 'defender', 5 * H + 1],
    [6, 'the causal softmax, visible (a full row)', 'challenger', 3 * H + 2],
    [6, 'the causal softmax, masked', 'defender', 5 * H + 2],
    [6, 'the causal softmax, masked', 'challenger', H + 3],
    [7, 'the softmax with flag 0', 'defender', 2 * H + 3],
  ] as const
  for (const [slot, name, cheater, element] of cases) {
    it(`names the cheating ${cheater} with the lie in ${name} (element ${element})`, async () => {
      // In the last step: the lie is then in the final trace whichever slots read it.
      const lie: Lie = { step: STEPS, slot, element }
      const { got, want, resolveGas } = await playLie(
        chain,
        program,
        initial(mulberry32(slot)),
        STEPS,
        lie,
        cheater,
      )
      expect(got).toEqual(want)
      gas.push(`${name} ${resolveGas}`)
    })
  }

  it('refuses a softmax whose causal flag is not 0 or 1: BadProgram, and the defender wins', async () => {
    await expectBadProgram(chain, program, initial(mulberry32(60)), STEPS, 6, [2])
  })

  it('refuses a softmax with two constants: BadProgram', async () => {
    await expectBadProgram(chain, program, initial(mulberry32(61)), STEPS, 6, [1, 1])
  })

  it('refuses a mean without its eps and a std with an extra constant: BadProgram', async () => {
    await expectBadProgram(chain, program, initial(mulberry32(62)), STEPS, 4, [])
    await expectBadProgram(chain, program, initial(mulberry32(63)), STEPS, 5, [EPS, 0])
  })
})
