// What the Settle page says about one on-chain dispute game (contracts/referee/DisputeGame.sol): its
// phase, whose move it is, the deadline by the chain's clock, how far the narrowing has come and, once
// over, who won and why — plain sentences from the contract's state, nothing the page decides itself.
import { formatEther, type Address } from 'viem'
import { f32FromBits } from '../kernels/softfloat.ts'
import { ONCHAIN_GRAD_OPS, ONCHAIN_NORM_OPS, ONCHAIN_OPS, ONCHAIN_ROW_OPS, REFUSED_OPS } from './onchain.ts'
import { COPY, EMBED, INPUT, MOVE, type Spec } from './gameOps.ts'
import { Phase, type Role } from './game.ts'

/** The fields of DisputeGame.gameOf the view reads. */
export interface GameState {
  challenger: Address
  defender: Address
  winner: Address
  deadline: bigint
  phase: number
  tensorLevel: boolean
  depth: number
  bond: bigint
  /** Opened with the defender's signed commitment to the terms (DisputeGame.openCommitted). */
  committed: boolean
  slots: number
  lo: number
  hi: number
  pos: number
  count: number
  slot: number
  element: number
  dBits: number
  cBits: number
  spec: Spec
}

/** How a settled game ended: by a missed deadline, or by the contract's own check. */
export type Reason = 'timeout' | 'recompute' | 'copy' | 'input' | 'padding'

export type Stage = 'join' | 'steps' | 'slots' | 'elements' | 'spec' | 'resolve' | 'done'

export interface GameView {
  stage: Stage
  /** Who must move now: a role, 'either' (proveSpec and resolve, the challenger's burden) or none. */
  turn: Role | 'either' | null
  /** What the game waits for, in words. */
  waiting: string
  /** Seconds until the deadline by the chain's clock (negative: passed); null once settled. */
  secondsLeft: number | null
  /** Who wins if the deadline passes with no move. */
  timeoutWinner: Role | null
  steps: { lo: number; hi: number }
  /** Depth of the descent over the slots (trace tree) or elements (output tensor tree), when there. */
  descent: { over: 'slots' | 'elements'; level: number; of: number } | null
  step: number | null
  slot: number | null
  element: number | null
  op: string | null
  /** The values each party opened for the disputed element (f32 bit patterns), once opened. */
  opened: { defender: number | null; challenger: number | null }
  bond: string
  pot: string
  winner: Role | null
  reason: Reason | null
  /** Why the winner won, in words. */
  verdict: string | null
}

const OP_NAMES = new Map<number, string>([
  ...[ONCHAIN_OPS, ONCHAIN_GRAD_OPS, ONCHAIN_ROW_OPS, ONCHAIN_NORM_OPS, MOVE, EMBED, REFUSED_OPS].flatMap(
    (ids) => Object.entries(ids).map(([k, v]) => [v, k] as [number, string]),
  ),
  [COPY, 'copy of the previous step’s state'],
  [INPUT, 'the step’s data'],
])

export const opName = (kind: number) => OP_NAMES.get(kind) ?? `op ${kind}`

/** ⌊log₂(pos + 1)⌋: the level of heap position `pos` (the root is level 0). */
const level = (pos: number) => Math.floor(Math.log2(pos + 1))

/** The level an index-order OpenZeppelin tree of n leaves reaches at its deepest: ⌈log₂ n⌉. */
const treeDepth = (n: number) => (n <= 1 ? 0 : Math.ceil(Math.log2(n)))

/** Ether with trailing zeros trimmed, as a person reads it. */
export const ether = (wei: bigint) => `${formatEther(wei)} ETH`

/** An f32 bit pattern as a number a person reads, with its bits (a lie may be one bit). */
export function bitsText(bits: number): string {
  return `${f32FromBits(bits)} (0x${(bits >>> 0).toString(16).padStart(8, '0')})`
}

/** "4 min 05 s", "12 s": a countdown read aloud. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`
}

/** What the game's Settled event says. */
export interface Settled {
  byTimeout: boolean
  pot: bigint
  /** The phase the game ended in (Phase): after a timeout, whose move was never made. */
  ended?: number
}

/**
 * The view of game state `g` at chain time `now` (the latest block's timestamp: a deadline passes by the
 * chain's clock, which is the one `timeout` checks), with its Settled event once over.
 */
export function gameView(g: GameState, now: bigint, settled: Settled | null = null): GameView {
  const done = g.phase === Phase.Done
  const reason = done && settled ? reasonOf(settled.byTimeout, g) : null
  const stepsKnown = g.hi - g.lo === 1 && g.phase >= Phase.RevealD
  const specKnown = g.spec.m > 0 // proveSpec stores it; a program entry never has an empty output
  const slotKnown = g.phase >= Phase.Spec || (g.phase >= Phase.RevealD && g.tensorLevel) || specKnown
  const elementPhase = g.phase === Phase.ElementD || g.phase === Phase.ElementC
  const element = elementPhase
    ? 2 * g.count - 2 - g.pos
    : g.tensorLevel && (g.phase === Phase.Resolve || done)
      ? g.element
      : null
  // openElement stores the defender's value, then the challenger's (ElementD → ElementC → Resolve).
  const pastElements = g.tensorLevel && (g.phase === Phase.Resolve || (done && reason === 'recompute'))
  const openedD = g.tensorLevel && (g.phase === Phase.ElementC || pastElements)
  const openedC = pastElements
  const [turn, waiting, timeoutWinner] = moveOf(g)
  const descent =
    g.phase === Phase.RevealD || g.phase === Phase.RevealC
      ? g.tensorLevel
        ? { over: 'elements' as const, level: level(g.pos), of: treeDepth(g.count) }
        : { over: 'slots' as const, level: level(g.pos), of: g.depth }
      : null
  const winner = done ? (g.winner === g.challenger ? 'challenger' : 'defender') : null
  return {
    stage: stageOf(g),
    turn,
    waiting,
    secondsLeft: done ? null : Number(g.deadline - now),
    timeoutWinner,
    steps: { lo: g.lo, hi: g.hi },
    descent,
    step: stepsKnown ? g.hi : null,
    slot: slotKnown && !(done && reason === 'padding') ? g.slot : null,
    element,
    op: specKnown ? opName(g.spec.kind) : null,
    opened: {
      defender: openedD ? g.dBits : null,
      challenger: openedC ? g.cBits : null,
    },
    bond: ether(g.bond),
    pot: ether(settled ? settled.pot : g.phase === Phase.Join ? g.bond : 2n * g.bond),
    winner,
    reason,
    verdict: winner ? verdictOf(winner, reason, g, settled?.ended) : null,
  }
}

function stageOf(g: GameState): Stage {
  switch (g.phase) {
    case Phase.Join:
      return 'join'
    case Phase.Propose:
    case Phase.Answer:
      return 'steps'
    case Phase.RevealD:
    case Phase.RevealC:
      return g.tensorLevel ? 'elements' : 'slots'
    case Phase.Spec:
      return 'spec'
    case Phase.ElementD:
    case Phase.ElementC:
      return 'elements'
    case Phase.Resolve:
      return 'resolve'
    default:
      return 'done'
  }
}

/** Whose move it is, what it is, and who wins by timeout (DisputeGame.timeout's rule). */
function moveOf(g: GameState): [Role | 'either' | null, string, Role | null] {
  const mid = (g.lo + g.hi) >> 1
  switch (g.phase) {
    case Phase.Join:
      return ['defender', 'The defender must join, matching the bond.', 'challenger']
    case Phase.Propose:
      return ['defender', `The defender must post its state after step ${mid}.`, 'challenger']
    case Phase.Answer:
      return [
        'challenger',
        `The challenger must say whether it agrees on the state after step ${mid}.`,
        'defender',
      ]
    case Phase.RevealD:
    case Phase.RevealC: {
      const who = g.phase === Phase.RevealD ? 'defender' : 'challenger'
      const what = g.tensorLevel ? 'output tensor' : 'trace'
      return [
        who,
        `The ${who} must show the two halves of its ${what} below the point they disagree.`,
        other(who),
      ]
    }
    case Phase.Spec:
      return [
        'either',
        `Someone must prove what slot ${g.slot} computes, from the agreed program.`,
        'defender',
      ]
    case Phase.ElementD:
    case Phase.ElementC: {
      const who = g.phase === Phase.ElementD ? 'defender' : 'challenger'
      return [who, `The ${who} must open its value of the disputed element.`, other(who)]
    }
    case Phase.Resolve:
      return [
        'either',
        'Someone must hand the contract the inputs, so that it recomputes the element.',
        'defender',
      ]
    default:
      return [null, 'The game is over.', null]
  }
}

const other = (r: Role): Role => (r === 'challenger' ? 'defender' : 'challenger')

function verdictOf(winner: Role, reason: Reason | null, g: GameState, ended?: number): string {
  const loser = other(winner)
  switch (reason) {
    case 'timeout':
      return timeoutVerdict(winner, loser, ended, g.committed)
    case 'recompute':
      return `The ${winner} wins: the contract recomputed element ${g.element} of slot ${g.slot} (${opName(g.spec.kind)}) in step ${g.hi} itself, and the ${loser}'s value is wrong.`
    case 'copy':
      return `The ${winner} wins: slot ${g.slot} copies state from step ${g.lo}, and the ${loser}'s copy differs from the state both agreed on.`
    case 'input':
      return `The ${winner} wins: slot ${g.slot} is step ${g.hi}'s data from the initial state both agreed on, and the ${loser}'s differs.`
    case 'padding':
      return `The ${winner} wins: the ${loser}'s trace has a value where the program has no slot.`
    default:
      return `The ${winner} wins.`
  }
}

/** A timeout's verdict, naming the move that was never made where the Settled event says which. */
function timeoutVerdict(winner: Role, loser: Role, ended?: number, committed = false): string {
  const head = `The ${winner} wins by timeout:`
  switch (ended) {
    case Phase.Join:
      return committed
        ? `${head} the defender never joined a game over terms it had signed, so its committed result is not defended and stands convicted; the challenger's bond comes back.`
        : `${head} the defender never joined the game; the challenger's bond comes back. The defender never accepted these terms, so this convicts nobody.`
    case Phase.Spec:
      return `${head} nobody proved the disputed slot's program entry in time.`
    case Phase.Resolve:
      return `${head} nobody handed the contract the inputs to recompute the disputed element in time (an op the game cannot recompute, or a malformed program entry, ends here), so the defender's result stands.`
    default:
      return `${head} the ${loser} let its deadline pass without moving.`
  }
}

/** How a settled game ended, from its Settled event and its state (a descent may end in padding). */
export function reasonOf(byTimeout: boolean, g: GameState): Reason {
  if (byTimeout) return 'timeout'
  if (!g.tensorLevel && g.slot >= g.slots) return 'padding'
  return g.spec.kind === COPY ? 'copy' : g.spec.kind === INPUT ? 'input' : 'recompute'
}

/** A game id from the URL's `?game=N`, or null. */
export function gameIdOf(search: string): bigint | null {
  const v = new URLSearchParams(search).get('game')
  return v !== null && /^\d{1,20}$/.test(v) ? BigInt(v) : null
}
