// The dispute game over the token embedding: a step that reads its batch of token ids from the initial
// tree (INPUT, a new leaf each step), gathers rows of the table by id (embedding, an index map through the
// proven id) and scatters a gradient back (embeddingGrad, Referee's exact sum of the terms with that id).
// A lie planted in each is found and settled on chain (contracts/referee/GameOperands.sol, DisputeGame.sol).
import { afterAll, describe, expect, it } from 'vitest'
import { embeddingBackwardRef, embeddingRef } from '../kernels/embedding.ts'
import { f32FromBits } from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { Phase } from './game.ts'
import { EMBED, inputLeaf, operandsOf, runSlot, type Spec } from './gameOps.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import {
  EMBED_IDS,
  WINDOW,
  embedInitial,
  embedProgram,
  openBetween,
  operand,
  playOut,
  useGame,
} from './testing.ts'

const chain = useGame()

const [V, D, T] = [6, 3, 5]
const STEPS = 4
const program = embedProgram(V, D, T)
const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)
const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)

/**
 * The liar's runs: a lie in an ids slot can push an id past the vocabulary, which runSlot refuses; a
 * cheater computes on regardless (here with the id wrapped), and the game must still stop at the lie.
 */
const wrapIds = (s: Spec, ins: Uint32Array[], step: number) =>
  runSlot(
    s,
    s.kind === EMBED.embedding || s.kind === EMBED.embeddingGrad ? [ins[0].map((id) => id % V), ins[1]] : ins,
    step,
  )

describe('the embedding ops on the CPU', () => {
  it('equal embeddingRef and embeddingBackwardRef bit for bit (random shapes, repeated and absent ids)', () => {
    const next = mulberry32(35)
    for (let c = 0; c < 300; c++) {
      const [v, d, t] = [1 + (next() % 9), 1 + (next() % 6), 1 + (next() % 14)]
      const ids = Uint32Array.from({ length: t }, () => next() % v)
      const table = Uint32Array.from({ length: v * d }, () => operand(next))
      const dy = Uint32Array.from({ length: t * d }, () => operand(next))
      const fwd = { kind: EMBED.embedding, a: 0, b: 1, c: 0, d: 0, m: t, k: v, n: d, consts: [] }
      const bwd = { ...fwd, kind: EMBED.embeddingGrad, m: v, k: t }
      expect(runSlot(fwd, [ids, table], 1)).toEqual(
        u32(embeddingRef(f32(table), [v, d], Int32Array.from(ids))),
      )
      expect(runSlot(bwd, [ids, dy], 1)).toEqual(
        u32(embeddingBackwardRef(f32(dy), [t, d], Int32Array.from(ids), v)),
      )
    }
  })

  it('reads the id, then the table element it picks; a gradient element reads every id and a column', () => {
    const ids = Uint32Array.from([4, 0, 4, 2, 1])
    const read = (slot: number, i: number) => (slot === 1 ? ids[i] : NaN)
    expect(operandsOf(program[3], 2 * D + 1, read)).toEqual([
      { slot: 1, indices: [2] },
      { slot: 0, indices: [4 * D + 1] },
    ])
    expect(operandsOf(program[5], 4 * D + 2).map((o) => o.indices)).toEqual([
      [0, 1, 2, 3, 4],
      [2, 2 + D, 2 + 2 * D, 2 + 3 * D, 2 + 4 * D],
    ])
    expect(() => operandsOf(program[3], 0)).toThrow(/reader/)
    expect(() => runSlot(program[3], [Uint32Array.from([0, 0, V, 0, 0]), new Uint32Array(V * D)], 1)).toThrow(
      /past the vocabulary/,
    )
  })

  it('reads each step its own ids, and the same scale every step', () => {
    const { initial, data } = embedInitial(V, D, T, STEPS, mulberry32(1))
    const trace = runProgram(program, initial, STEPS, { data })
    expect(inputLeaf(program[1], 3)).toBe(EMBED_IDS + 2)
    for (let s = 1; s <= STEPS; s++) {
      expect(trace.slots[s][1].bits).toEqual(data[EMBED_IDS + s - 1])
      expect(trace.slots[s][2].bits).toEqual(trace.slots[1][2].bits)
      for (const slot of trace.slots[s])
        for (const b of slot.bits) expect(Number.isFinite(f32FromBits(b))).toBe(true)
    }
    // The initial tree holds the data past the program's slots: a deeper tree than a step's trace.
    expect([trace.commits[0].depth, trace.commits[1].depth]).toEqual([4, 3])
  })
})

describe('DisputeGame: step data and the embedding', { timeout: 180_000 }, () => {
  const gas: string[] = []
  afterAll(() => console.log(`[gas] embedding game, v ${V}, d ${D}, t ${T}: ${gas.join(', ')}`))

  // The gradient's lies sit in a row with a repeated id and in an absent id's row (+0).
  const { data } = embedInitial(V, D, T, STEPS, mulberry32(7))
  const repeated = data[EMBED_IDS + STEPS - 1][0]
  const cases = [
    [1, "the step's token ids", 'defender', 2, 3],
    [1, "the step's token ids", 'challenger', 3, 0],
    [2, 'data the same every step', 'challenger', 1, 5],
    [3, 'an embedding', 'defender', STEPS, 7],
    [3, 'an embedding', 'challenger', STEPS, 13],
    [5, "the embedding's gradient, a repeated id", 'defender', STEPS, repeated * D + 1],
    [5, "the embedding's gradient, an absent id", 'challenger', STEPS, (V - 1) * D + 2],
  ] as const
  for (const [slot, name, cheater, step, element] of cases) {
    it(`names the cheating ${cheater} with the lie in ${name} (step ${step})`, async () => {
      const lie: Lie = { step, slot, element }
      const { initial, data } = embedInitial(V, D, T, STEPS, mulberry32(7))
      const trees = new Map()
      const honest = runProgram(program, initial, STEPS, { data, trees })
      const liar = runProgram(program, initial, STEPS, { data, trees, lie, run: wrapIds })
      const { c, d } =
        cheater === 'defender'
          ? await openBetween(chain, honest, liar)
          : await openBetween(chain, liar, honest)
      const winner = cheater === 'defender' ? chain.alice.account.address : chain.bob.account.address
      const g = await playOut(c, d)
      // A data slot is settled from the initial tree, with no descent into its elements.
      const at = program[slot].kind === EMBED.embedding || program[slot].kind === EMBED.embeddingGrad
      expect([g.winner, g.hi, g.slot, at ? g.element : lie.element]).toEqual([winner, step, slot, element])
      const [resolved] = [...c.sent, ...d.sent].filter((t) => t.move.startsWith('resolve'))
      gas.push(`${name} ${resolved.move} ${resolved.gas}`)
    })
  }

  const refuse = async (bad: Spec[], lie: Lie, error: RegExp, edit = (_: Uint32Array[]) => {}) => {
    // Both traces are computed as the well-formed program says; only the program leaf is malformed.
    const run = (s: Spec, ins: Uint32Array[], step: number) =>
      runSlot(program[bad.indexOf(s)] ?? s, ins, step)
    const { initial, data } = embedInitial(V, D, T, STEPS, mulberry32(9))
    edit(data)
    const honest = runProgram(bad, initial, STEPS, { data, run })
    const { c, d } = await openBetween(chain, honest, runProgram(bad, initial, STEPS, { data, run, lie }))
    const g = await playOut(c, d, Phase.Resolve)
    expect([g.hi, g.slot]).toEqual([lie.step, lie.slot])
    await expect(c.move()).rejects.toThrow(error)
    await chain.passTime(WINDOW + 1n)
    expect(await c.claimTimeout()).toBe(true)
    expect((await c.state()).winner).toBe(chain.bob.account.address)
  }

  it('refuses an embedding entry whose vocabulary an id is past (TokenOutOfRange), and the defender wins', async () => {
    // The entry says V − 2 tokens; the last step's first id is V − 2 (the table holds V rows, so the
    // element that id picks can be proven: only the contract's own check refuses it).
    const bad = program.map((s, j) => (j === 3 ? { ...s, k: V - 2 } : s))
    const lie = { step: STEPS, slot: 3, element: 1 }
    await refuse(bad, lie, /TokenOutOfRange/, (data) => (data[EMBED_IDS + STEPS - 1][0] = V - 2))
  })

  it('refuses an embedding entry with constants (BadProgram), and the defender wins', async () => {
    const bad = program.map((s, j) => (j === 3 ? { ...s, consts: [1] } : s))
    await refuse(bad, { step: 2, slot: 3, element: 4 }, /BadProgram/)
  })

  it('refuses an INPUT entry with no stride (BadProgram), and the defender wins', async () => {
    // Read as stride 0 off chain (the same leaf every step); the contract wants both constants.
    const bad = program.map((s, j) => (j === 2 ? { ...s, consts: [s.consts[0]] } : s))
    await refuse(bad, { step: 3, slot: 2, element: 0 }, /BadProgram/)
  })
})
