// The Settle page's words for a dispute game's state: whose move, the deadline by the chain's clock, the
// narrowing so far and the verdict, phase by phase (the browser test checks them against a played game).
import { describe, expect, it } from 'vitest'
import { parseEther } from 'viem'
import { Phase } from './game.ts'
import { COPY, INPUT } from './gameOps.ts'
import { ONCHAIN_OPS } from './onchain.ts'
import { bitsText, duration, gameIdOf, gameView, opName, reasonOf, type GameState } from './gameView.ts'
import { demoPlan } from './gameDemo.ts'
import { mulberry32 } from '../util/random.ts'

const C = `0x${'c'.repeat(40)}` as const
const D = `0x${'d'.repeat(40)}` as const
const noSpec = { kind: 0, a: 0, b: 0, c: 0, d: 0, m: 0, k: 0, n: 0, consts: [] }

const state = (over: Partial<GameState>): GameState => ({
  challenger: C,
  defender: D,
  winner: `0x${'0'.repeat(40)}`,
  deadline: 1_000n,
  phase: Phase.Join,
  tensorLevel: false,
  depth: 4,
  bond: parseEther('0.01'),
  committed: false,
  slots: 10,
  lo: 0,
  hi: 6,
  pos: 0,
  count: 0,
  slot: 0,
  element: 0,
  dBits: 0,
  cBits: 0,
  spec: noSpec,
  ...over,
})

describe('gameView', () => {
  it('waits for the defender to join, one bond at stake, the deadline by the chain clock', () => {
    const v = gameView(state({}), 700n)
    expect(v).toMatchObject({
      stage: 'join',
      turn: 'defender',
      timeoutWinner: 'challenger',
      secondsLeft: 300,
    })
    expect([v.bond, v.pot]).toEqual(['0.01 ETH', '0.01 ETH'])
    expect([v.step, v.slot, v.element, v.op, v.descent, v.winner]).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ])
  })

  it('bisects over steps: the defender proposes the middle, the challenger answers', () => {
    const p = gameView(state({ phase: Phase.Propose, lo: 2, hi: 6 }), 1_001n)
    expect(p).toMatchObject({ stage: 'steps', turn: 'defender', steps: { lo: 2, hi: 6 }, secondsLeft: -1 })
    expect(p.waiting).toContain('after step 4')
    expect(p.pot).toBe('0.02 ETH')
    const a = gameView(state({ phase: Phase.Answer, lo: 2, hi: 6 }), 0n)
    expect(a).toMatchObject({ turn: 'challenger', timeoutWinner: 'defender' })
  })

  it('names the disputed step once one step is left, and the descent level over slots', () => {
    const v = gameView(state({ phase: Phase.RevealC, lo: 3, hi: 4, pos: 4 }), 0n)
    expect(v).toMatchObject({ stage: 'slots', turn: 'challenger', step: 4, slot: null })
    expect(v.descent).toEqual({ over: 'slots', level: 2, of: 4 })
  })

  it('names the slot at Spec, its op once proven, then the element and the descent over elements', () => {
    expect(gameView(state({ phase: Phase.Spec, lo: 3, hi: 4, pos: 20, slot: 5 }), 0n)).toMatchObject({
      stage: 'spec',
      turn: 'either',
      timeoutWinner: 'defender',
      slot: 5,
      op: null,
    })
    const spec = { ...noSpec, kind: ONCHAIN_OPS.geluTanh, a: 4, m: 2, n: 4 }
    const r = gameView(
      state({ phase: Phase.RevealD, lo: 3, hi: 4, slot: 5, tensorLevel: true, count: 8, pos: 2, spec }),
      0n,
    )
    expect(r).toMatchObject({ stage: 'elements', op: 'geluTanh', slot: 5, element: null })
    expect(r.descent).toEqual({ over: 'elements', level: 1, of: 3 })
    // At a leaf, position 9 of a tree of 8 leaves is element 2·8 − 2 − 9 = 5 (index-order layout).
    const e = gameView(
      state({ phase: Phase.ElementD, hi: 4, lo: 3, tensorLevel: true, count: 8, pos: 9, spec }),
      0n,
    )
    expect(e).toMatchObject({ element: 5, turn: 'defender', descent: null })
    expect(e.opened).toEqual({ defender: null, challenger: null })
    const one = 0x3f800000
    const c = gameView(
      state({ phase: Phase.ElementC, hi: 4, lo: 3, tensorLevel: true, count: 8, pos: 9, spec, dBits: one }),
      0n,
    )
    expect(c.opened).toEqual({ defender: one, challenger: null })
    const r2 = gameView(
      state({
        phase: Phase.Resolve,
        hi: 4,
        lo: 3,
        tensorLevel: true,
        count: 8,
        element: 5,
        spec,
        dBits: one,
        cBits: one ^ 0x400000,
      }),
      0n,
    )
    expect(r2.opened).toEqual({ defender: one, challenger: 0x3fc00000 })
    expect(bitsText(0x3fc00000)).toBe('1.5 (0x3fc00000)')
  })

  it('gives the verdict and its reason once settled', () => {
    const spec = { ...noSpec, kind: ONCHAIN_OPS.mul, a: 3, b: 6, m: 4, n: 4 }
    const done = state({
      phase: Phase.Done,
      lo: 1,
      hi: 2,
      slot: 7,
      element: 9,
      tensorLevel: true,
      count: 16,
      spec,
      winner: D,
    })
    const v = gameView(done, 5_000n, { byTimeout: false, pot: parseEther('0.02') })
    expect(v).toMatchObject({
      stage: 'done',
      turn: null,
      winner: 'defender',
      reason: 'recompute',
      secondsLeft: null,
    })
    expect(v.verdict).toBe(
      "The defender wins: the contract recomputed element 9 of slot 7 (mul) in step 2 itself, and the challenger's value is wrong.",
    )
    const t = gameView({ ...done, winner: C }, 5_000n, { byTimeout: true, pot: parseEther('0.01') })
    expect([t.winner, t.reason, t.pot]).toEqual(['challenger', 'timeout', '0.01 ETH'])
    expect(t.verdict).toContain('the defender let its deadline pass')
    const ended = (phase: number) =>
      gameView({ ...done, winner: D }, 5_000n, { byTimeout: true, pot: 1n, ended: phase }).verdict
    expect(ended(Phase.Resolve)).toContain('nobody handed the contract the inputs')
    expect(ended(Phase.Spec)).toContain("nobody proved the disputed slot's program entry")
    expect(ended(Phase.RevealC)).toContain('the challenger let its deadline pass')
    const unjoined = (committed: boolean) =>
      gameView({ ...done, winner: C, committed }, 0n, { byTimeout: true, pot: 1n, ended: Phase.Join }).verdict
    expect(unjoined(false)).toContain('never joined the game')
    expect(unjoined(false)).toContain('convicts nobody')
    expect(unjoined(true)).toContain('terms it had signed')
    expect(unjoined(true)).toContain('stands convicted')
  })

  it('tells a copy slot and a padding leaf from a recompute', () => {
    const copy = { ...noSpec, kind: COPY, a: 8, m: 4, n: 4 }
    expect(reasonOf(false, state({ phase: Phase.Done, spec: copy, slot: 0 }))).toBe('copy')
    expect(reasonOf(false, state({ phase: Phase.Done, slot: 12 }))).toBe('padding')
    const input = { ...noSpec, kind: INPUT, m: 4, n: 1, consts: [8, 1] }
    const ended = state({ phase: Phase.Done, spec: input, slot: 1, hi: 3 })
    expect(reasonOf(false, ended)).toBe('input')
    expect(gameView(ended, 0n, { byTimeout: false, pot: 0n }).verdict).toContain("slot 1 is step 3's data")
    expect(reasonOf(true, state({ phase: Phase.Done, slot: 12 }))).toBe('timeout')
  })
})

it('reads a game id from the URL, and nothing else', () => {
  expect(['?game=7', '?game=0&rpc=x', '?game=-1', '?game=1e3', '?game=', ''].map(gameIdOf)).toEqual([
    7n,
    0n,
    null,
    null,
    null,
    null,
  ])
})

it('reads durations and op names aloud', () => {
  expect([duration(0), duration(12.7), duration(65), duration(-3)]).toEqual([
    '0 s',
    '12 s',
    '1 min 05 s',
    '0 s',
  ])
  expect([
    opName(ONCHAIN_OPS.matmul),
    opName(COPY),
    opName(INPUT),
    opName(35),
    opName(36),
    opName(99),
  ]).toEqual([
    'matmul',
    'copy of the previous step’s state',
    'the step’s data',
    'embedding',
    'embeddingGrad',
    'op 99',
  ])
  // Every op the game covers has its name, whichever contract recomputes it.
  expect([20, 26, 28, 32, 34, 37, 38].map(opName)).toEqual([
    'crossEntropy',
    'matmulEpilogue',
    'softmaxGrad',
    'permute',
    'concat',
    'layernormMean',
    'layernormStd',
  ])
})

it('plans demo lies that reach the final state, in both roles', () => {
  const plans = Array.from({ length: 200 }, (_, i) => demoPlan(mulberry32(i)))
  for (const { lie } of plans) {
    expect(lie.slot).toBeGreaterThanOrEqual(4)
    expect(lie.slot).toBeLessThanOrEqual(9)
    if (lie.slot === 9) expect(lie.step).toBe(6)
    expect(lie.element).toBeLessThan(lie.slot < 6 ? 8 : 16)
  }
  expect(new Set(plans.map((p) => p.cheater))).toEqual(new Set(['challenger', 'defender']))
})
