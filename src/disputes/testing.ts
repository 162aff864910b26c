// Helpers for the on-chain referee's tests: anvil with Referee, RefereeGrad and the harnesses deployed,
// seeded f32 inputs biased to the hard cases, batched eth_calls and a bit-exact comparison that names the inputs;
// and for the dispute game's: anvil with DisputeGame, two parties, a toy program, a game played out.
import { afterAll, beforeAll, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { ANVIL_KEY_0, startAnvil } from '../../scripts/chain.mjs'
import { opsHarnessAbi, opsHarnessBytecode } from '../chain/contracts/OpsHarness.ts'
import { refereeAbi, refereeBytecode } from '../chain/contracts/Referee.ts'
import { refereeGradAbi, refereeGradBytecode } from '../chain/contracts/RefereeGrad.ts'
import { refereeRowsAbi, refereeRowsBytecode } from '../chain/contracts/RefereeRows.ts'
import { refereeNormAbi, refereeNormBytecode } from '../chain/contracts/RefereeNorm.ts'
import { normHarnessAbi, normHarnessBytecode } from '../chain/contracts/NormHarness.ts'
import { recomputeHarnessAbi, recomputeHarnessBytecode } from '../chain/contracts/RecomputeHarness.ts'
import { rowGradsHarnessAbi, rowGradsHarnessBytecode } from '../chain/contracts/RowGradsHarness.ts'
import { scoreHarnessAbi, scoreHarnessBytecode } from '../chain/contracts/ScoreHarness.ts'
import { specialBits } from '../kernels/testing.ts'
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem'
import { disputeGameAbi, disputeGameBytecode } from '../chain/contracts/DisputeGame.ts'
import { gameOperandsAbi, gameOperandsBytecode } from '../chain/contracts/GameOperands.ts'
import { f32Bits } from '../kernels/softfloat.ts'
import {
  EPILOGUE_FLAGS,
  ONCHAIN_GRAD_OPS as GRAD,
  ONCHAIN_OPS as OP,
  ONCHAIN_ROW_OPS as ROW,
} from './onchain.ts'
import { COPY, EMBED, INPUT, MOVE, inputSlots, outputCount, runSlot, type Spec } from './gameOps.ts'
import { GameDriver, Phase, openGame, type Role, type Wallet } from './game.ts'
import { runProgram, type GameTrace, type Lie, type RunOptions } from './gameTrace.ts'

/** Cases per op: the floor for a differential test. */
export const CASES = 10_000

/**
 * Per-test limit for the batched eth_calls: a few seconds of EVM execution on an idle machine, several
 * times that on a loaded 2-core one (measured: geluTanh's 2.3 G gas went from 5 s to over 30 s).
 */
export const EVM_TIMEOUT = 180_000

/**
 * A fresh anvil with the harnesses and the referees deployed from anvil's first key: `referee` (Referee,
 * ONCHAIN_OPS), `refereeGrad` (RefereeGrad, ONCHAIN_GRAD_OPS, forwarding to RefereeRows and `refereeNorm`),
 * `harness` (OpsHarness: the libraries, batched), `recomputeHarness` (RecomputeHarness: a referee's own
 * recompute, batched), `rowGrads`, `norm` and `score` (RowGradsHarness, NormHarness, ScoreHarness).
 */
export async function startReferee() {
  const node = await startAnvil()
  const client = createPublicClient({ chain: foundry, transport: http(node.rpcUrl) })
  const wallet = createWalletClient({
    account: privateKeyToAccount(ANVIL_KEY_0),
    chain: foundry,
    transport: http(node.rpcUrl),
  })
  const deploy = async (abi: Abi, bytecode: Hex, args: unknown[] = []) => {
    const hash = await wallet.deployContract({ abi, bytecode, args })
    return (await client.waitForTransactionReceipt({ hash })).contractAddress as Address
  }
  const harness = await deploy(opsHarnessAbi, opsHarnessBytecode)
  const referee = await deploy(refereeAbi, refereeBytecode)
  const refereeRows = await deploy(refereeRowsAbi, refereeRowsBytecode)
  const refereeNorm = await deploy(refereeNormAbi, refereeNormBytecode)
  const refereeGrad = await deploy(refereeGradAbi, refereeGradBytecode, [refereeRows, refereeNorm])
  const recomputeHarness = await deploy(recomputeHarnessAbi, recomputeHarnessBytecode)
  // The loss and backward row ops (RowGrads), batched like OpsHarness.
  const rowGrads = await deploy(rowGradsHarnessAbi, rowGradsHarnessBytecode)
  // The statistics (NormOps: layernorm's mean and std, the chunked gradient norm), batched likewise.
  const norm = await deploy(normHarnessAbi, normHarnessBytecode)
  // f64 addition and a market's decision (Score), batched likewise.
  const score = await deploy(scoreHarnessAbi, scoreHarnessBytecode)
  return {
    client,
    harness,
    referee,
    refereeGrad,
    refereeNorm,
    recomputeHarness,
    rowGrads,
    norm,
    score,
    stop: node.stop,
  }
}

// ---- Seeded inputs, biased to the hard cases. ----

const NAN_PAYLOADS = [0x7f800001, 0xffc00000, 0x7fffffff, 0xff800001]
export const SPECIALS = [...specialBits, ...NAN_PAYLOADS]

/** An f32 with exponent field e (clamped to 0..254), random significand and sign. */
export const withExponent = (next: () => number, e: number) =>
  (((next() & 1) << 31) | (Math.min(254, Math.max(0, e)) << 23) | (next() & 0x7fffff)) >>> 0

/** A small odd integer of `bits` bits scaled by 2^p: products and sums of these land on ties. */
export function oddScaled(next: () => number, bits: number, field: number): number {
  const m = (next() & ((1 << bits) - 1)) | (1 << (bits - 1)) | 1
  const f = Math.min(254, Math.max(1, field))
  return (((next() & 1) << 31) | (f << 23) | ((m << (24 - bits)) & 0x7fffff)) >>> 0
}

export function operand(next: () => number): number {
  const kind = next() % 8
  if (kind === 0) return SPECIALS[next() % SPECIALS.length]
  if (kind === 1) return (next() & (next() % 2 ? 0x807fffff : 0x80000001)) >>> 0 // subnormal or zero
  if (kind === 2) return withExponent(next, 127 + ((next() % 17) - 8)) // near 1
  if (kind === 3) return withExponent(next, next() % 2 ? 254 - (next() % 8) : 1 + (next() % 8)) // huge, tiny
  return next() >>> 0 // any bits
}

/** a and b for one case of `op`: independent operands, or pairs built to cancel, tie or under/overflow. */
export function pair(next: () => number, op: 'add' | 'sub' | 'mul' | 'div'): [number, number] {
  const a = operand(next)
  const ea = (a >>> 23) & 0xff
  switch (next() % 4) {
    case 0:
      return [a, operand(next)]
    case 1: // exponents close: cancellation in add/sub, near-1 quotients in div
      return [a, withExponent(next, ea + (next() % 5) - 2)]
    case 2:
      if (op === 'add' || op === 'sub') {
        // b is half an ulp of a (or a quarter, or just past): ties and their neighbours
        const field = ea - 24 + (next() % 3) - 1
        return [a, (((next() & 1) << 31) | (Math.max(0, field) << 23) | (next() % 3)) >>> 0]
      }
      // 13- and 12-bit odd significands: a 25-bit odd product is an exact tie at 24 bits
      return [oddScaled(next, 13, ea), oddScaled(next, 12, 1 + (next() % 254))]
    default: {
      // results near the subnormal range or past the largest finite value
      const target = next() % 2 ? 1 + (next() % 30) : 230 + (next() % 30)
      if (op === 'mul') return [a, withExponent(next, target - ea + 127)]
      if (op === 'div') return [a, withExponent(next, ea - target + 127)]
      return [withExponent(next, target), withExponent(next, target + (next() % 3) - 1)]
    }
  }
}

export const hex = (xs: number[]) => xs.map((x) => `0x${x.toString(16).padStart(8, '0')}`)

/** Calls `f` on slices of `n` cases, in as many eth_calls as the batch size needs. */
export async function batched<T>(items: T[], size: number, f: (slice: T[]) => Promise<readonly number[]>) {
  const out: number[] = []
  for (let i = 0; i < items.length; i += size) out.push(...(await f(items.slice(i, i + size))))
  return out
}

/** Equal bit patterns, or a report of the first few cases that differ. */
export function expectSameBits(inputs: unknown[], got: number[], want: number[]) {
  const bad = got.flatMap((g, i) =>
    g === want[i] ? [] : [{ input: inputs[i], got: hex([g]), want: hex([want[i]]) }],
  )
  expect(bad.slice(0, 5)).toEqual([])
  expect(got.length).toBe(want.length)
}

/** A vector of `k` values whose exponents spread over `width` binades: cancellation, guard-bit rounding. */
export function vector(next: () => number, k: number, nonFinite: boolean): number[] {
  const centre = next() % 4 === 0 ? next() % 40 : next() % 255
  const width = [0, 3, 12, 30, 254][next() % 5]
  return Array.from({ length: k }, () => {
    const kind = next() % 16
    if (kind === 0) return nonFinite ? SPECIALS[next() % SPECIALS.length] : 0x80000000
    if (kind === 1) return (next() & 0x807fffff) >>> 0
    return withExponent(next, centre - (next() % (width + 1)))
  })
}

// ---- The dispute game (game.test.ts): anvil with Referee, GameOperands and DisputeGame, a toy program, a game played out. ----

/** anvil's second dev account: public knowledge, funded on every anvil chain. */
const ANVIL_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
/** Seconds per move in the tests. */
export const WINDOW = 600n

export async function startGame() {
  const node = await startAnvil()
  const client = createPublicClient({ chain: foundry, transport: http(node.rpcUrl) }) as PublicClient
  const wallet = (key: Hex): Wallet =>
    createWalletClient({ account: privateKeyToAccount(key), chain: foundry, transport: http(node.rpcUrl) })
  const [alice, bob] = [wallet(ANVIL_KEY_0), wallet(ANVIL_KEY_1)]
  const deploy = async (hash: Hex) =>
    (await client.waitForTransactionReceipt({ hash })).contractAddress as Address
  const referee = await deploy(await alice.deployContract({ abi: refereeAbi, bytecode: refereeBytecode }))
  const rows = await deploy(
    await alice.deployContract({ abi: refereeRowsAbi, bytecode: refereeRowsBytecode }),
  )
  const norm = await deploy(
    await alice.deployContract({ abi: refereeNormAbi, bytecode: refereeNormBytecode }),
  )
  const grads = await deploy(
    await alice.deployContract({ abi: refereeGradAbi, bytecode: refereeGradBytecode, args: [rows, norm] }),
  )
  const operands = await deploy(
    await alice.deployContract({ abi: gameOperandsAbi, bytecode: gameOperandsBytecode }),
  )
  const game = await deploy(
    await alice.deployContract({
      abi: disputeGameAbi,
      bytecode: disputeGameBytecode,
      args: [referee, grads, operands, WINDOW],
    }),
  )
  const passTime = async (seconds: bigint) => {
    await client.request({ method: 'evm_increaseTime' as never, params: [Number(seconds)] as never })
    await client.request({ method: 'evm_mine' as never, params: [] as never })
  }
  return {
    client,
    alice,
    bob,
    game,
    passTime,
    rpcUrl: node.rpcUrl,
    keys: [ANVIL_KEY_0, ANVIL_KEY_1] as Hex[],
    stop: node.stop,
  }
}

/** Opens a game on `chain` with `cTrace` (alice) challenging `dTrace` (bob); both parties' drivers. */
export async function openBetween(
  chain: Awaited<ReturnType<typeof startGame>>,
  cTrace: GameTrace,
  dTrace: GameTrace,
  { work = keccak256(toHex('receipt under dispute')), bond = 10n ** 17n } = {},
) {
  const { client, alice, bob, game } = chain
  const steps = dTrace.commits.length - 1
  const { id, receipt } = await openGame(client, alice, cTrace, {
    game,
    work,
    defender: bob.account.address,
    defenderRoot: dTrace.commits[steps].root,
    bond,
  })
  const driver = (role: Role, trace: GameTrace) =>
    new GameDriver(client, role === 'challenger' ? alice : bob, game, id, role, trace)
  return { id, opened: receipt.gasUsed, c: driver('challenger', cTrace), d: driver('defender', dTrace) }
}

const spec = (kind: number, ins: number[], m: number, k: number, n: number, consts: number[] = []): Spec => {
  const [a = 0, b = 0, c = 0, d = 0] = ins
  return { kind, a, b, c, d, m, k, n, consts }
}

export { toyInitial, toyProgram } from './gamePrograms.ts'

/** f32 bits of AdamW's config in the row program: lr 0.01, betas 0.9 and 0.999, eps 1e-8, weight decay 0.1. */
const ADAM = [0.01, 0.9, 0.999, 1e-8, 0.1, 1].map(f32Bits)
/** The row program's first AdamW step (the game's step s runs step ADAM_STEP + s − 1). */
export const ADAM_STEP = 1000

/**
 * One training step that goes through the row ops, reductions and AdamW: the state (W h×h, AdamW's M
 * and V, X 2×h, Xᵀ h×2, gamma and beta 1×h) copied in, H = X·W, N = layernorm(H), R = rmsnorm(N),
 * S = softmax(R), G = Xᵀ·S, then AdamW's new W, M and V (one slot each; the next step's state), and
 * two reductions no later step reads: the row sums of S and the column means of G.
 */
export function rowProgram(h: number): Spec[] {
  const eps = f32Bits(1e-5)
  return [
    spec(COPY, [12], h, 0, h),
    spec(COPY, [13], h, 0, h),
    spec(COPY, [14], h, 0, h),
    spec(COPY, [3], 2, 0, h),
    spec(COPY, [4], h, 0, 2),
    spec(COPY, [5], 1, 0, h),
    spec(COPY, [6], 1, 0, h),
    spec(OP.matmul, [3, 0], 2, h, h),
    spec(OP.layernorm, [7, 5, 6], 2, 0, h, [eps]),
    spec(OP.rmsnorm, [8, 5], 2, 0, h, [eps]),
    spec(OP.softmax, [9], 2, 0, h),
    spec(OP.matmul, [4, 10], h, 2, h),
    ...[0, 1, 2].map((which) => spec(OP.adamw, [0, 11, 1, 2], h, 0, h, [which, ADAM_STEP, ...ADAM])),
    spec(OP.sum, [10], 2, h, 1, [1]),
    spec(OP.mean, [11], 1, h, h, [0]),
  ]
}

/** The row program's initial state, seeded: small weights, zero moments, gamma near 1, beta near 0. */
export function rowInitial(h: number, next: () => number): Uint32Array[] {
  const vals = (n: number, centre: number, scale: number) =>
    Uint32Array.from({ length: n }, () => f32Bits(centre + ((next() % 2001) / 1000 - 1) * scale))
  const [w, x] = [vals(h * h, 0, 0.5), vals(2 * h, 0, 1)]
  const xt = new Uint32Array(2 * h)
  for (let i = 0; i < 2; i++) for (let j = 0; j < h; j++) xt[j * 2 + i] = x[i * h + j]
  const zeros = () => new Uint32Array(h * h)
  return [w, zeros(), zeros(), x, xt, vals(h, 1, 0.2), vals(h, 0, 0.2)]
}

/**
 * A step of attention-shaped data movement: the state (Q and K, each 2 batches of 2×h, and W 2×h) copied
 * in, S = Q·Kᵀ per batch (transposed B), T = Sᵀ·W (transposed A, W shared by both batches), P = T with
 * its two leading dims swapped, its two halves split off, and the halves concatenated the other way
 * round: the next step's Q.
 */
export function moveProgram(h: number): Spec[] {
  return [
    spec(COPY, [8], 4, 0, h),
    spec(COPY, [1], 4, 0, h),
    spec(COPY, [2], 2, 0, h),
    spec(OP.matmul, [0, 1], 2, h, 2, [2, 2, 0, 1]),
    spec(OP.matmul, [3, 2], 2, 2, h, [2, 1, 1, 0]),
    spec(MOVE.permute, [4], 4, 0, h, [3, 2, 2, h, 1, 0, 2]),
    spec(MOVE.slice, [5], 2, 0, h, [0]),
    spec(MOVE.slice, [5], 2, 0, h, [2 * h]),
    spec(MOVE.concat, [7, 6], 4, 0, h, [2 * h, 2 * h]),
  ]
}

/** The move program's initial state, seeded: Q, K and W with entries in [−0.5, 0.5]. */
export function moveInitial(h: number, next: () => number): Uint32Array[] {
  const vals = (n: number) => Uint32Array.from({ length: n }, () => f32Bits(((next() % 2001) / 1000 - 1) / 2))
  return [vals(4 * h), vals(4 * h), vals(2 * h)]
}

/**
 * A backward-shaped step through RefereeGrad's ops: the state (X 2×h, W h×h, a bias 1×h, an upstream
 * gradient DY 2×h) copied in, Y = X·W + bias + X (a matmul epilogue with bias and residual), G =
 * gelu'(Y)·DY (tanh form), S = G·0.25, X' = 0.5·(S·Wᵀ) (an epilogue with scale and a transposed B: the next
 * step's X), and gelu'(X')·DY in the erf form, which no later step reads.
 */
export function gradProgram(h: number): Spec[] {
  const { scale, bias, residual } = EPILOGUE_FLAGS
  return [
    spec(COPY, [7], 2, 0, h),
    spec(COPY, [1], h, 0, h),
    spec(COPY, [2], 1, 0, h),
    spec(COPY, [3], 2, 0, h),
    spec(GRAD.matmulEpilogue, [0, 1, 2, 0], 2, h, h, [bias | residual, 0, 1, 1, 0, 0]),
    spec(GRAD.geluTanhGrad, [4, 3], 2, 0, h),
    spec(GRAD.scale, [5], 2, 0, h, [f32Bits(0.25)]),
    spec(GRAD.matmulEpilogue, [6, 1], 2, h, h, [scale, f32Bits(0.5), 1, 1, 0, 1]),
    spec(GRAD.geluErfGrad, [7, 3], 2, 0, h),
  ]
}

/** The grad program's initial state, seeded: entries in [−1, 1]. */
export function gradInitial(h: number, next: () => number): Uint32Array[] {
  const vals = (n: number) => Uint32Array.from({ length: n }, () => f32Bits((next() % 2001) / 1000 - 1))
  return [vals(2 * h), vals(h * h), vals(h), vals(2 * h)]
}

/**
 * A loss-and-backward step through RefereeRows' ops, over 4 rows of h: the state (X, DY, gamma, the
 * forward's std per row, targets as uint32 ids) copied in, layernorm's dx, dgamma and dbeta, the
 * cross-entropy's per-row losses and gradient over logits dx, softmax's backward causal (y the gradient)
 * and not (y = X, dy the causal one: the next step's X).
 */
export function rowGradProgram(h: number): Spec[] {
  return [
    spec(COPY, [11], 4, 0, h),
    spec(COPY, [1], 4, 0, h),
    spec(COPY, [2], 1, 0, h),
    spec(COPY, [3], 4, 0, 1),
    spec(COPY, [4], 4, 0, 1),
    spec(ROW.layernormGrad, [0, 1, 2, 3], 4, 0, h),
    spec(ROW.layernormDgamma, [0, 1, 3], 1, 4, h),
    spec(ROW.layernormDbeta, [1], 1, 4, h),
    spec(ROW.crossEntropy, [5, 4], 4, h, 1),
    spec(ROW.crossEntropyGrad, [5, 4], 4, 0, h),
    spec(ROW.softmaxGrad, [9, 1], 4, 0, h, [1]),
    spec(ROW.softmaxGrad, [0, 10], 4, 0, h, [0]),
  ]
}

/** The row-grad program's initial state, seeded: X and DY in [−1, 1], gamma near 1, std in [0.5, 1.5]. */
export function rowGradInitial(h: number, next: () => number): Uint32Array[] {
  const vals = (n: number, centre: number, scale: number) =>
    Uint32Array.from({ length: n }, () => f32Bits(centre + ((next() % 2001) / 1000 - 1) * scale))
  const targets = Uint32Array.from({ length: 4 }, () => next() % h)
  return [vals(4 * h, 0, 1), vals(4 * h, 0, 1), vals(h, 1, 0.2), vals(4, 1, 0.5), targets]
}

/** The embedding program's first data leaf: step s's token ids are initial leaf EMBED_IDS + s − 1. */
export const EMBED_IDS = 8
/** Its per-token gradient scale, the same every step (an INPUT of stride 0). */
const EMBED_SCALE = 7

/**
 * A step through the token embedding, vocabulary v, width d, t tokens: the table W (v×d) copied in, the
 * step's token ids (INPUT, a new batch each step) and a per-token scale G (t×d, INPUT of stride 0: the same
 * every step), X = W[ids] (embedding), DY = X·G, dW = embeddingGrad(ids, DY), and W − dW: the next step's W.
 */
export function embedProgram(v: number, d: number, t: number): Spec[] {
  return [
    spec(COPY, [6], v, 0, d),
    spec(INPUT, [], t, 0, 1, [EMBED_IDS, 1]),
    spec(INPUT, [], t, 0, d, [EMBED_SCALE, 0]),
    spec(EMBED.embedding, [1, 0], t, v, d),
    spec(OP.mul, [3, 2], t, 0, d),
    spec(EMBED.embeddingGrad, [1, 4], v, t, d),
    spec(OP.sub, [0, 5], v, 0, d),
  ]
}

/**
 * The embedding program's initial state and data, seeded: W and G in [−1, 1]; each step's ids below v − 1
 * (so row v − 1 of dW is always +0: an absent id) with the first two equal (a repeated id).
 */
export function embedInitial(v: number, d: number, t: number, steps: number, next: () => number) {
  const vals = (n: number) => Uint32Array.from({ length: n }, () => f32Bits((next() % 2001) / 1000 - 1))
  const data: Uint32Array[] = []
  data[EMBED_SCALE] = vals(t * d)
  for (let s = 1; s <= steps; s++) {
    const ids = Uint32Array.from({ length: t }, () => next() % (v - 1))
    ids[1] = ids[0]
    data[EMBED_IDS + s - 1] = ids
  }
  return { initial: [vals(v * d)], data }
}

/** Both drivers move in turn until the game is settled; throws if neither can move. */
export async function playOut(a: GameDriver, b: GameDriver, stopAt?: number) {
  for (;;) {
    const g = await a.state()
    if (g.phase === Phase.Done || g.phase === stopAt) return g
    const moved = (await a.move()) ?? (await b.move())
    if (!moved) throw new Error(`Nobody moves in phase ${g.phase}.`)
  }
}

type Chain = Awaited<ReturnType<typeof startGame>>

/**
 * A test file's game chain: anvil with the game deployed before the file's tests (startGame), stopped after.
 * The object is filled in when it starts, so a file can hold it as a constant.
 */
export function useGame(): Chain {
  const chain = {} as Chain
  beforeAll(async () => void Object.assign(chain, await startGame()), 120_000)
  afterAll(() => chain.stop?.())
  return chain
}

/**
 * An honest run of `program` against one with `lie` planted, played to the end with the liar as
 * `cheater`: `got` is [winner, step, slot, element] as the game ended, `want` the cheater's opponent
 * and the lie's place, `resolveGas` the gas of the last word.
 */
export async function playLie(
  chain: Chain,
  program: Spec[],
  initial: Uint32Array[],
  steps: number,
  lie: Lie,
  cheater: 'defender' | 'challenger',
  {
    data,
    trees = new Map(),
    liarRun,
  }: { data?: Uint32Array[]; trees?: RunOptions['trees']; liarRun?: RunOptions['run'] } = {},
) {
  const honest = runProgram(program, initial, steps, { trees, data })
  const liar = runProgram(program, initial, steps, { lie, trees, data, run: liarRun })
  const { c, d } =
    cheater === 'defender' ? await openBetween(chain, honest, liar) : await openBetween(chain, liar, honest)
  const g = await playOut(c, d)
  const winner = cheater === 'defender' ? chain.alice.account.address : chain.bob.account.address
  // The last word's gas (resolve or resolveCopy), and the whole game's, for the gas tables.
  const sent = [...c.sent, ...d.sent]
  const resolved = sent.find((t) => t.move.startsWith('resolve'))
  return {
    got: [g.winner, g.hi, g.slot, g.element],
    want: [winner, lie.step, lie.slot, lie.element],
    resolveGas: resolved?.gas,
    gas: sent.reduce((n, t) => n + t.gas, 0n),
    moves: sent.length,
  }
}

/**
 * `program` with slot `slot`'s constants replaced by the malformed `change` (or the fields it names),
 * played by both parties
 * (traces computed as the well-formed entry says, a lie in the last step's element 1 of that slot) to the
 * last word: the resolve must fail with BadProgram, and the defender then wins by timeout.
 */
export async function expectBadProgram(
  chain: Chain,
  program: Spec[],
  initial: Uint32Array[],
  steps: number,
  slot: number,
  change: number[] | Partial<Spec>,
) {
  const badSpec = { ...program[slot], ...(Array.isArray(change) ? { consts: change } : change) }
  const bad = program.map((s, j) => (j === slot ? badSpec : s))
  const honestOf = (s: Spec) => (s === badSpec ? program[slot] : s)
  const opts = {
    run: (s: Spec, ins: Uint32Array[], step: number) => runSlot(honestOf(s), ins, step),
    inputs: (s: Spec) => inputSlots(honestOf(s)),
  }
  const lie = { step: steps, slot, element: 1 }
  const honest = runProgram(bad, initial, steps, opts)
  const { c, d } = await openBetween(chain, honest, runProgram(bad, initial, steps, { ...opts, lie }))
  const g = await playOut(c, d, Phase.Resolve)
  expect(g.slot).toBe(slot)
  await expect(c.move()).rejects.toThrow(/BadProgram/)
  await chain.passTime(WINDOW + 1n)
  expect(await c.claimTimeout()).toBe(true)
  expect((await c.state()).winner).toBe(chain.bob.account.address)
}

/**
 * A liar's runSlot: it computes on from its lie, and where the lie leaves an input no kernel takes (a norm
 * chunk's flags word with a stray bit) it writes zeros: still one consistent trace, all the game needs.
 */
export const liarRun: typeof runSlot = (s, ins, step) => {
  try {
    return runSlot(s, ins, step)
  } catch {
    return new Uint32Array(outputCount(s))
  }
}

/** The trained settlement model (its checkpoint, GPT config and parameters) and a market it answers. */
export function trainedSettlement() {
  const checkpoint = new Uint8Array(readFileSync('public/rl/warmstart.lscp'))
  const c = decodeCheckpoint(checkpoint, 1 << 20)
  return {
    checkpoint,
    gpt: c.config.model,
    params: c.tensors.filter((t) => !/^[mv]\./.test(t.name)),
    market: {
      question: 'Which is `dca` with its letters in order?',
      input: 'sort:dca',
      outcomes: ['acd', 'cad', 'dca'],
    },
  }
}
