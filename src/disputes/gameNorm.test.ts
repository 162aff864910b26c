// The dispute game over the global gradient norm and its clip (gameNorm.ts, GameOperands._normArgs,
// RefereeNorm's ids 39 to 41): two gradients in chunks, the scale tree, the squares, the combine tree, the
// clip and the clipped gradients AdamW reads with gradScale 1. A lie planted in each kind of slot is found
// and settled on chain whichever party tells it; malformed entries are refused as BadProgram.
import { afterAll, describe, expect, it } from 'vitest'
import { decodeFunctionData } from 'viem'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { adamwRef, clipScale, globalGradNormRef } from '../kernels/adamw.ts'
import { f32Bits, f32FromBits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { COPY, operandsOf, outputCount, runSlot, type Spec } from './gameOps.ts'
import { normSlots } from './gameNorm.ts'
import { ONCHAIN_NORM_OPS as NORM, ONCHAIN_OPS as OP } from './onchain.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import { WINDOW, expectBadProgram, openBetween, playLie, playOut, useGame } from './testing.ts'
import { Phase } from './game.ts'

const chain = useGame()

const STEPS = 2
/** Chunks of four: the 12-element gradient is three, the 5-element one two (the last of one element). */
const CHUNK = 4
const MAX_NORM = 0.5
const ADAM_STEP = 10
const ADAM = [0.01, 0.9, 0.999, 1e-8, 0.1].map(f32Bits)
const spec = (kind: number, ins: number[], m: number, n: number, consts: number[] = []): Spec => {
  const [a = 0, b = 0, c = 0, d = 0] = ins
  return { kind, a, b, c, d, m, k: 0, n, consts }
}

/**
 * A step of two parameters W1 (2×6) and W2 (1×5) pulled towards targets T1, T2: their moments M and V,
 * the targets (each copying itself), the gradients G = W − T, the norm's slots from slot 10, then AdamW's
 * p, m and v of each parameter on its clipped gradient (the next step's state).
 */
function normProgram(
  shapes = [
    [2, 6],
    [1, 5],
  ],
  chunk = CHUNK,
) {
  const head = [
    ...[0, 1, 2].flatMap(() => shapes.map(([m, n]) => spec(COPY, [0], m, n))),
    ...shapes.map(([m, n], i) => spec(COPY, [6 + i], m, n)),
    ...shapes.map(([m, n], i) => spec(OP.sub, [i, 6 + i], m, n)),
  ]
  const grads = shapes.map(([m, n], i) => ({ slot: 8 + i, m, n }))
  const norm = normSlots(grads, head.length, MAX_NORM, chunk)
  const program = [...head, ...norm.specs]
  shapes.forEach(([m, n], i) => {
    for (const which of [0, 1, 2]) {
      head[which * 2 + i].a = program.length
      const consts = [which, ADAM_STEP, ...ADAM, f32Bits(1)]
      program.push(spec(OP.adamw, [i, norm.clipped[i], 2 + i, 4 + i], m, n, consts))
    }
  })
  return { program, norm, shapes }
}

const { program, norm, shapes } = normProgram()
/** Seeded W and T in [−1, 1] (a norm well past MAX_NORM: the clip scales), zero M and small V. */
function initial(seed: number, of = shapes): Uint32Array[] {
  const next = mulberry32(seed)
  const vals = (n: number, scale: number) =>
    Uint32Array.from({ length: n }, () => f32Bits(((next() % 2001) / 1000 - 1) * scale))
  const sizes = of.map(([m, n]) => m * n)
  return [
    ...sizes.map((n) => vals(n, 1)),
    ...sizes.map((n) => new Uint32Array(n)),
    ...sizes.map((n) => vals(n, 1e-3).map((b) => b & 0x7fffffff)),
    ...sizes.map((n) => vals(n, 1)),
  ]
}
const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)

describe('the norm program on the CPU', () => {
  it('lays out the chunks, the trees, the clip and the clipped gradients', () => {
    const chunks = program.filter((s) => s.kind === NORM.normSquares).map((s) => [s.a, ...s.consts])
    expect(chunks).toEqual([
      [8, 0, 4],
      [8, 4, 4],
      [8, 8, 4],
      [9, 0, 4],
      [9, 4, 1],
    ])
    // Five leaves: a node of four, then one of that node and the fifth leaf.
    expect(program.slice(15, 17).map((s) => [s.kind, s.a, s.b, ...s.consts])).toEqual([
      [NORM.normExponent, 10, 11, 4],
      [NORM.normExponent, 15, 14, 2],
    ])
    expect(norm.scale).toBe(16)
    expect(program[norm.clip]).toMatchObject({ kind: NORM.normClip, a: 23, b: 16, m: 1, n: 2 })
    expect(norm.clipped).toEqual([25, 26])
    expect(program).toHaveLength(33)
    expect(operandsOf(program[18], 3)).toEqual([
      { slot: 8, indices: [4, 5, 6, 7] },
      { slot: 16, indices: [0] },
    ])
    expect(operandsOf(program[22], 4).map((o) => o.indices)).toEqual(Array(4).fill([0, 1, 2, 3, 4]))
    expect(operandsOf(program[norm.clipped[1]], 3)).toEqual([
      { slot: 9, indices: [3] },
      { slot: norm.clip, indices: [1] },
    ])
  })

  it('ends in AdamW with the trainer’s gradScale, bit for bit, every step (and the clip scales)', () => {
    const trace = runProgram(program, initial(1), STEPS)
    for (let step = 1; step <= STEPS; step++) {
      const bits = trace.slots[step].map((s) => s.bits)
      const grads = [8, 9].map((j) => f32(bits[j].slice()))
      const normValue = globalGradNormRef(grads)
      expect(bits[norm.clip][0]).toBe(f32Bits(normValue))
      const scale = clipScale(normValue, MAX_NORM)
      expect(scale).toBeLessThan(1)
      expect(bits[norm.clip][1]).toBe(f32Bits(scale))
      shapes.forEach((_, i) => {
        const [p, m, v] = [i, 2 + i, 4 + i].map((j) => f32(bits[j].slice()))
        const h = ADAM.map(f32FromBits)
        const want = adamwRef(p, grads[i], m, v, {
          step: ADAM_STEP + step - 1,
          ...{ lr: h[0], beta1: h[1], beta2: h[2], eps: h[3], weightDecay: h[4] },
          gradScale: scale,
        })
        const adamw = program.length - 6 + 3 * i
        ;[want.p, want.m, want.v].forEach((x, which) =>
          expect(Array.from(bits[adamw + which])).toEqual(Array.from(new Uint32Array(x.buffer))),
        )
      })
    }
  })
})

describe('DisputeGame: the gradient norm and its clip', { timeout: 180_000 }, () => {
  const gas: string[] = []
  afterAll(() => console.log(`[gas] norm game, chunk ${CHUNK}: ${gas.join(', ')}`))
  const cases = [
    [10, 0, 'a chunk’s scale word', 'defender'],
    [14, 0, 'a one-element chunk’s scale word', 'challenger'],
    [15, 0, 'a node of the scale tree', 'challenger'],
    [18, 2, 'a chunk’s squares', 'defender'],
    [21, 0, 'a tail chunk’s squares', 'challenger'],
    [22, 0, 'a node combining four chunks', 'defender'],
    [23, 1, 'the combined words', 'challenger'],
    [norm.clip, 0, 'the norm', 'defender'],
    [norm.clip, 1, 'the clip scale', 'challenger'],
    [norm.clipped[0], 7, 'a clipped gradient', 'defender'],
    [program.length - 3, 2, 'AdamW on a clipped gradient', 'challenger'],
  ] as const
  for (const [slot, element, name, cheater] of cases) {
    it(`names the cheating ${cheater} with the lie in ${name}`, async () => {
      expect(element).toBeLessThan(outputCount(program[slot]))
      const lie: Lie = { step: STEPS, slot, element }
      const { got, want } = await playLie(chain, program, initial(slot), STEPS, lie, cheater)
      expect(got).toEqual(want)
      gas.push(`${name} (${program[slot].kind}) ${await resolveGas()}`)
    })
  }

  it('names a cheater whose lie is the global scale itself, which the squares then read', async () => {
    // A scale word with a mantissa bit is no scale: the liar's squares and clip go on at its exponent.
    const run = (s: Spec, ins: Uint32Array[], step: number) =>
      runSlot(
        s,
        s.kind !== OP.adamw && s.b === norm.scale ? [ins[0], ins[1].map((w) => w & 0x7f800000)] : ins,
        step,
      )
    const lie: Lie = { step: STEPS, slot: norm.scale, element: 0 }
    const trees = new Map()
    const honest = runProgram(program, initial(3), STEPS, { trees })
    const liar = runProgram(program, initial(3), STEPS, { trees, lie, run })
    const { c, d } = await openBetween(chain, liar, honest)
    const g = await playOut(c, d)
    expect([g.winner, g.hi, g.slot, g.element]).toEqual([chain.bob.account.address, STEPS, norm.scale, 0])
    gas.push(`the global scale (39) ${await resolveGas()}`)
  })

  const bad = [
    [17, [0, 0], 'an empty chunk'],
    [17, [0, 4, 1], 'a chunk with a third constant'],
    [22, [5], 'a combine of five slots'],
    [22, [0], 'a combine of none'],
    [norm.clip, [], 'a clip with no maxNorm'],
    [norm.clip, [f32Bits(MAX_NORM), 1], 'a clip with a second constant'],
    [norm.clipped[1], [1, 0], 'a broadcast multiply with two constants'],
  ] as const
  for (const [slot, consts, name] of bad)
    it(`refuses ${name}: BadProgram, and the defender wins`, async () => {
      await expectBadProgram(chain, program, initial(40 + slot), STEPS, slot, [...consts])
    })

  it('resolves a real step’s chunk: 1,024 gradients (the gas docs/benchmarks.md records)', async () => {
    // Two gradients of 1,024 and 5 elements, chunks of 1,024: a lie in the big chunk's scale word and
    // in its squares, and in a combine of two chunks.
    const big = [
      [1, 1024],
      [1, 5],
    ]
    const p = normProgram(big, 1024).program
    expect(p.slice(10, 17).map((s) => s.kind)).toEqual([39, 39, 39, 40, 40, 41, 41])
    for (const [slot, element, name] of [
      [10, 0, 'a 1,024-element chunk’s scale word'],
      [13, 1, 'a 1,024-element chunk’s squares'],
      [15, 0, 'a node combining two chunks'],
    ] as const) {
      const lie: Lie = { step: STEPS, slot, element }
      const { got, want } = await playLie(chain, p, initial(slot, big), STEPS, lie, 'defender')
      expect(got).toEqual(want)
      gas.push(`${name} (${p[slot].kind}) ${await resolveGas()}`)
    }
  })

  /** The entry with `edit`, played to the resolve (lie in element 1 of its last step): BadProgram. */
  async function refuse(slot: number, edit: Partial<Spec>) {
    const bad = program.map((s, j) => (j === slot ? { ...s, ...edit } : s))
    // Both traces are computed as the well-formed program says; only the program leaf is malformed.
    const run = (s: Spec, ins: Uint32Array[], step: number) =>
      runSlot(program[bad.indexOf(s)] ?? s, ins, step)
    const lie = { step: STEPS, slot, element: 1 }
    const trees = new Map()
    const honest = runProgram(bad, initial(60 + slot), STEPS, { run, trees })
    const { c, d } = await openBetween(
      chain,
      honest,
      runProgram(bad, initial(60 + slot), STEPS, { run, trees, lie }),
    )
    const g = await playOut(c, d, Phase.Resolve)
    expect([g.hi, g.slot]).toEqual([STEPS, slot])
    await expect(c.move()).rejects.toThrow(/BadProgram/)
    await chain.passTime(WINDOW + 1n)
    expect(await c.claimTimeout()).toBe(true)
    expect((await c.state()).winner).toBe(chain.bob.account.address)
  }

  it('refuses a chunk past the end its entry gives its tensor (k): BadProgram, and the defender wins', async () => {
    await refuse(18, { k: 7 }) // elements 4..7 of a tensor the entry says is 7 long
    await refuse(21, { k: 4 }) // the one-element tail chunk at 4 of a tensor said to be 4 long
  })

  /** The gas of the last resolve sent on the chain. */
  async function resolveGas() {
    const block = await chain.client.getBlock({ includeTransactions: true })
    const tx = block.transactions.at(-1)!
    if (typeof tx === 'string') throw new Error('no transaction')
    expect(decodeFunctionData({ abi: disputeGameAbi, data: tx.input }).functionName).toBe('resolve')
    return (await chain.client.getTransactionReceipt({ hash: tx.hash })).gasUsed
  }
})
