// Layernorm's dgamma as the game resolves it at real shapes: the backward's dyXhat as a slot (op 43, an
// element reads one row of x, its dy and its row's std) and dgamma as sum 5 of that slot by columns. The sum
// is columnSums' exact fixed-point sum rounded once, bit for bit; a lie in either slot is found and its
// liar named, as defender and as challenger.
import { describe, expect, it } from 'vitest'
import { columnSums } from '../kernels/norm.ts'
import { reduceRef } from '../kernels/reduce.ts'
import { f32Bits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { COPY, operandsOf, outputCount, runSlot, type Spec } from './gameOps.ts'
import { ONCHAIN_OPS as OP, ONCHAIN_ROW_OPS as ROW } from './onchain.ts'
import { SPECIALS, operand, playLie, useGame, withExponent } from './testing.ts'

const f32s = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)
const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)

describe('dgamma as a column sum: reduce sum by columns is columnSums, bit for bit', () => {
  const next = mulberry32(0xd9a)
  /** Columns that stress one rounding of an exact sum: specials, subnormals, cancellation, both ends. */
  function column(rows: number): number[] {
    const kind = next() % 7
    const any = () => operand(next)
    if (kind === 0) return Array.from({ length: rows }, () => (next() & 0x807fffff) >>> 0) // subnormal or zero
    if (kind === 1) {
      // x, −x pairs around a small remainder: the sum cancels to the last term, or to a signed zero
      const half = Array.from({ length: rows >> 1 }, any)
      const tail = rows % 2 ? [withExponent(next, next() % 254)] : []
      return [...half, ...half.map((b) => (b ^ 0x80000000) >>> 0), ...tail]
    }
    if (kind === 2) return Array.from({ length: rows }, () => withExponent(next, 254 - (next() % 3))) // overflow
    if (kind === 3) return Array.from({ length: rows }, () => withExponent(next, next() % 2 ? 254 : 0))
    if (kind === 4) return Array.from({ length: rows }, () => SPECIALS[next() % SPECIALS.length])
    // ties: small odd integers at two scales, so the exact sum lands halfway between two f32s
    if (kind === 5)
      return Array.from({ length: rows }, (_, i) => f32Bits((1 + 2 * (next() % 8)) * 2 ** (i % 2 ? -24 : 0)))
    return Array.from({ length: rows }, any)
  }

  it('over 20,000 awkward columns of 1 to 600 rows', () => {
    let columns = 0
    while (columns < 20_000) {
      const rows = next() % 8 === 0 ? 300 + (next() % 300) : 1 + (next() % 40)
      const n = 1 + (next() % 24)
      const cols = Array.from({ length: n }, () => column(rows))
      const x = Uint32Array.from({ length: rows * n }, (_, i) => cols[i % n][Math.floor(i / n)])
      const want = Array.from(u32(columnSums(x, rows, n)))
      expect(Array.from(u32(reduceRef(f32s(x), [rows, n], 'sum', 0)))).toEqual(want)
      // and the game's sum slot, as gameOfStep emits dgamma: 1×n from a rows×n slot, consts [0]
      const s: Spec = { kind: OP.sum, a: 0, b: 0, c: 0, d: 0, m: 1, k: rows, n, consts: [0] }
      expect(Array.from(runSlot(s, [x], 1))).toEqual(want)
      columns += n
    }
  })
})

/**
 * x (4×H, updated each step by x − dyXhat), dy and std copied in; dyXhat (43) of them, dgamma as the
 * column sum of dyXhat (5, consts [0]). Slots 3 and 4 are the ones a trace-built program emits for a
 * layernorm backward's dgamma.
 */
const H = 64 // the demo preset's dModel: a dyXhat resolve carries its 64 + 2 elements
const spec = (kind: number, ins: number[], m: number, k: number, n: number, consts: number[] = []): Spec => {
  const [a = 0, b = 0, c = 0, d = 0] = ins
  return { kind, a, b, c, d, m, k, n, consts }
}
const program: Spec[] = [
  spec(COPY, [5], 4, 0, H),
  spec(COPY, [1], 4, 0, H),
  spec(COPY, [2], 4, 0, 1),
  spec(ROW.layernormDyXhat, [0, 1, 2], 4, 0, H),
  spec(OP.sum, [3], 1, 4, H, [0]),
  spec(OP.sub, [0, 3], 4, 0, H),
]
const initial = (next: () => number) => {
  const vals = (n: number, centre: number, scale: number) =>
    Uint32Array.from({ length: n }, () => f32Bits(centre + ((next() % 2001) / 1000 - 1) * scale))
  return [vals(4 * H, 0, 1), vals(4 * H, 0, 1), vals(4, 1, 0.5)]
}
const STEPS = 3

describe('the dyXhat and column-sum slots', () => {
  it('read a row of x, one dy and one std; the sum a column of dyXhat', () => {
    const e = 2 * H + 3
    expect(operandsOf(program[3], e)).toEqual([
      { slot: 0, indices: Array.from({ length: H }, (_, k) => 2 * H + k) },
      { slot: 1, indices: [e] },
      { slot: 2, indices: [2] },
    ])
    expect(operandsOf(program[4], 3)).toEqual([{ slot: 3, indices: [3, H + 3, 2 * H + 3, 3 * H + 3] }])
  })
})

describe('DisputeGame: a lie in dyXhat or in dgamma (its column sum)', { timeout: 180_000 }, () => {
  const chain = useGame()
  for (const [slot, name] of [
    [3, 'dyXhat (op 43)'],
    [4, 'dgamma, the column sum of dyXhat (op 5)'],
  ] as const)
    for (const cheater of ['defender', 'challenger'] as const)
      it(`names the cheating ${cheater} with the lie in ${name}`, async () => {
        const next = mulberry32(900 + slot * 2 + (cheater === 'defender' ? 0 : 1))
        const lie = { step: STEPS, slot, element: next() % outputCount(program[slot]) }
        const { got, want, resolveGas } = await playLie(
          chain,
          program,
          initial(mulberry32(slot)),
          STEPS,
          lie,
          cheater,
        )
        console.log(`[game] lie in slot ${slot} (${name}), ${cheater}: resolve ${resolveGas} gas`)
        expect(got).toEqual(want)
      })
})
