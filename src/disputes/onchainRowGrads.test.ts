// The loss and backward row ops (contracts/referee/RowGrads.sol) against src/kernels, bit for bit, through
// anvil: cross-entropy's row loss and gradient, softmax's backward (causal and not) and layernorm's dx,
// dgamma, dbeta and dyXhat, at least 10,000 seeded outputs each; a sample of every op again through the referee's
// one-element path (`recompute`, operand checks included), its named refusals, and its gas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { rowGradsHarnessAbi as abi } from '../chain/contracts/RowGradsHarness.ts'
import * as sf from '../kernels/softfloat.ts'
import { crossEntropyBackwardRef, crossEntropyRef } from '../kernels/cross_entropy.ts'
import { softmaxBackwardRef, softmaxRef } from '../kernels/softmax.ts'
import { layernormBackwardRef, layernormDyXhatRef, layernormRef } from '../kernels/layernorm.ts'
import { columnSums } from '../kernels/norm.ts'
import { mulberry32 } from '../util/random.ts'
import {
  CASES,
  EVM_TIMEOUT,
  SPECIALS,
  expectSameBits,
  hex,
  operand,
  startReferee,
  vector,
  withExponent,
} from './testing.ts'

/** RowGrads' op ids (reserved in src/disputes/onchain.ts; RefereeGrad wires them). */
const OP = {
  crossEntropy: 20,
  crossEntropyGrad: 27,
  softmaxGrad: 28,
  layernormGrad: 29,
  dgamma: 30,
  dbeta: 31,
  dyXhat: 43,
}

let chain: Awaited<ReturnType<typeof startReferee>>
let harness: Address
const client = () => chain.client

beforeAll(async () => {
  chain = await startReferee()
  harness = chain.rowGrads
}, 120_000)
afterAll(() => chain?.stop())

const f32s = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer)
const bitsOf = (x: Float32Array) => [...new Uint32Array(x.buffer, x.byteOffset, x.length)]
const rowsOf = (flat: number[], rows: number, n: number) =>
  Array.from({ length: rows }, (_, r) => flat.slice(r * n, (r + 1) * n))

/** Many elements of op through RowGrads.recompute, the referee's path. */
async function recomputeMany(op: number, cases: [number[], number[]][], size: number) {
  const out: number[] = []
  for (let i = 0; i < cases.length; i += size) {
    const slice = cases.slice(i, i + size)
    out.push(
      ...(await client().readContract({
        address: harness,
        abi,
        functionName: 'recomputeMany',
        args: [op, slice.map((c) => c[0]), slice.map((c) => c[1])],
      })),
    )
  }
  return out
}

/** Every `step`-th of the cases, for the one-element path (each element recomputes its whole row there). */
const sample = <T>(xs: T[], count: number) => xs.filter((_, i) => i % Math.ceil(xs.length / count) === 0)

/** A row of logits or inputs: spreads, specials now and then, sometimes constant (every exp 1). */
function row(next: () => number, n: number): number[] {
  const x = vector(next, n, next() % 10 === 0)
  if (next() % 12 === 0) x.fill(x[0])
  // a row of one special: all −inf makes the max −inf and every x − max NaN
  if (next() % 30 === 0) x.fill(next() % 2 ? 0xff800000 : SPECIALS[next() % SPECIALS.length])
  return x
}

describe('cross-entropy: each row loss and gradient element, bit for bit with crossEntropyRef / BackwardRef', () => {
  type Batch = { rows: number; n: number; logits: number[]; targets: number[] }
  const next = mulberry32(0x5eed + OP.crossEntropy)
  const batches: Batch[] = []
  // Each row's loss for every target (targets at every position), so 10,000 losses cost fewer exps.
  for (let losses = 0; losses < CASES;) {
    const n = next() % 16 === 0 ? 17 + (next() % 32) : 1 + (next() % 16)
    const rows = [1, 2, 3, 5, 8][next() % 5]
    const logits = Array.from({ length: rows }, () => row(next, n)).flat()
    // the gradient's own target: the first and last column as often as any other
    const targets = Array.from({ length: rows }, () => [0, n - 1, next() % n][next() % 3])
    batches.push({ rows, n, logits, targets })
    losses += rows * n
  }
  const loss = (b: Batch, targets: number[]) =>
    bitsOf(crossEntropyRef(f32s(b.logits), [b.rows, b.n], Int32Array.from(targets)).losses)
  const refs = batches.map((b) => {
    // losses[r][t]: row r's loss with target t
    const byTarget = Array.from({ length: b.n }, (_, t) => loss(b, Array(b.rows).fill(t)))
    return {
      losses: Array.from({ length: b.rows }, (_, r) => byTarget.map((l) => l[r])).flat(),
      grads: bitsOf(crossEntropyBackwardRef(f32s(b.logits), [b.rows, b.n], Int32Array.from(b.targets))),
    }
  })

  it(
    `${CASES.toLocaleString('en')} losses (every target of each row) and every gradient element`,
    async () => {
      const rows = batches.flatMap((b) =>
        rowsOf(b.logits, b.rows, b.n).map((x, r) => ({ x, target: b.targets[r], count: b.rows })),
      )
      const [gotLoss, gotGrad]: [number[], number[]] = [[], []]
      for (let i = 0; i < rows.length; i += 25) {
        const slice = rows.slice(i, i + 25)
        const [losses, grads] = await client().readContract({
          address: harness,
          abi,
          functionName: 'crossEntropyRows',
          args: [slice.map((r) => r.x), slice.map((r) => r.target), slice.map((r) => r.count)],
        })
        for (const l of losses) gotLoss.push(...l)
        for (const g of grads) gotGrad.push(...g)
      }
      const inputs = rows.flatMap((r) =>
        r.x.map((_, k) => ({ x: hex(r.x), k, target: r.target, rows: r.count })),
      )
      expect(gotLoss.length).toBeGreaterThanOrEqual(CASES)
      expectSameBits(
        inputs,
        gotLoss,
        refs.flatMap((r) => r.losses),
      )
      expectSameBits(
        inputs,
        gotGrad,
        refs.flatMap((r) => r.grads),
      )
    },
    EVM_TIMEOUT,
  )

  it(
    'the same through recompute, one element at a time (ops 20 and 27)',
    async () => {
      const loss: [number[], number[]][] = []
      const grad: [number[], number[]][] = []
      const [wantLoss, wantGrad]: [number[], number[]] = [[], []]
      sample(batches, 300).forEach((b, i) => {
        const r = i % b.rows
        const x = b.logits.slice(r * b.n, (r + 1) * b.n)
        const [k, t] = [(i * 7) % b.n, (i * 5) % b.n]
        loss.push([x, [t]])
        grad.push([x, [k, b.targets[r], b.rows]])
        wantLoss.push(refs[batches.indexOf(b)].losses[r * b.n + t])
        wantGrad.push(refs[batches.indexOf(b)].grads[r * b.n + k])
      })
      expectSameBits(loss, await recomputeMany(OP.crossEntropy, loss, 60), wantLoss)
      expectSameBits(grad, await recomputeMany(OP.crossEntropyGrad, grad, 60), wantGrad)
    },
    EVM_TIMEOUT,
  )
})

describe('softmax backward: each element of dx, bit for bit with softmaxBackwardRef', () => {
  type Block = { rows: number; n: number; y: number[]; dy: number[]; causal: boolean }
  /** y mostly a real softmax output (in [0, 1], summing to about 1), else any row; dy any row. */
  function block(next: () => number, rows: number, n: number, causal: boolean): Block {
    const y: number[] = []
    const dy: number[] = []
    for (let r = 0; r < rows; r++) {
      const yr = next() % 3 ? bitsOf(softmaxRef(f32s(row(next, n)), [1, n])) : row(next, n)
      let dyr = row(next, n)
      // exact cancellation: y·dy in pairs of opposite signs (a zero sum, whose sign the flags decide)
      if (next() % 8 === 0) {
        dyr = yr.map((_, k) => (k % 2 ? (dyr[k - 1] ^ 0x80000000) >>> 0 : dyr[k]))
        for (let k = 1; k < n; k += 2) yr[k] = yr[k - 1]
      }
      y.push(...yr)
      dy.push(...dyr)
    }
    return { rows, n, y, dy, causal }
  }
  const make = (causal: boolean) => {
    const next = mulberry32(0x5eed + OP.softmaxGrad + (causal ? 1 : 0))
    const blocks: Block[] = []
    for (let outputs = 0; outputs < CASES;) {
      // causal: [T, T] blocks, so rows of every visible length 1..T; T up to 32
      const n = causal ? 1 + (next() % 32) : 1 + (next() % 24)
      const rows = causal ? n : 1 + (next() % 4)
      blocks.push(block(next, rows, n, causal))
      outputs += rows * n
    }
    return blocks
  }
  const ref = (b: Block) =>
    bitsOf(softmaxBackwardRef(f32s(b.y), f32s(b.dy), [b.rows, b.n], { causal: b.causal }))
  const visible = (b: Block, r: number) => (b.causal ? (r % b.n) + 1 : b.n)

  it.each([
    ['not causal', false],
    ['causal ([T, T] blocks: rows of every visible length, masked elements +0)', true],
  ] as const)(
    `${CASES.toLocaleString('en')} outputs, %s`,
    async (_, causal) => {
      const blocks = make(causal)
      const refs = blocks.map(ref)
      const rows = blocks.flatMap((b) =>
        Array.from({ length: b.rows }, (_, r) => {
          const len = visible(b, r)
          return { y: b.y.slice(r * b.n, r * b.n + len), dy: b.dy.slice(r * b.n, r * b.n + len), n: b.n }
        }),
      )
      const got: number[] = []
      for (let i = 0; i < rows.length; i += 100) {
        const slice = rows.slice(i, i + 100)
        const out = await client().readContract({
          address: harness,
          abi,
          functionName: 'softmaxGradRows',
          args: [slice.map((r) => r.y), slice.map((r) => r.dy), slice.map((r) => r.n)],
        })
        for (const dx of out) got.push(...dx)
      }
      expect(got.length).toBeGreaterThanOrEqual(CASES)
      const inputs = rows.flatMap((r) =>
        Array.from({ length: r.n }, (_, k) => ({ k, y: hex(r.y), dy: hex(r.dy) })),
      )
      expectSameBits(inputs, got, refs.flat())

      // a sample through recompute: a = [y visible, dy visible], b = [k, n]; past the prefix +0
      const cases: [number[], number[]][] = []
      const want: number[] = []
      const per = Math.ceil(300 / blocks.length)
      blocks.forEach((b, i) => {
        for (let j = 0; j < per; j++) {
          const [r, k] = [(i * 5 + j * 3) % b.rows, (i * 3 + j * 7) % b.n]
          const len = visible(b, r)
          cases.push([
            [...b.y.slice(r * b.n, r * b.n + len), ...b.dy.slice(r * b.n, r * b.n + len)],
            [k, b.n],
          ])
          want.push(refs[i][r * b.n + k])
        }
      })
      expectSameBits(cases, await recomputeMany(OP.softmaxGrad, cases, 150), want)
    },
    EVM_TIMEOUT,
  )
})

describe('layernorm backward: dx, dgamma and dbeta, bit for bit with layernormBackwardRef', () => {
  // eps as the kernels take it, from 0 (a constant row: 0/0) to large
  const EPS = [0x3727c5ac, 0, 0x00000001, 0x3f800000, 0x4b000000]
  type Tensor = { rows: number; n: number; x: number[]; dy: number[]; gamma: number[]; std: number[] }
  const next = mulberry32(0x5eed + OP.layernormGrad)
  const tensors: Tensor[] = []
  for (let columns = 0; columns < CASES;) {
    const n = 1 + (next() % 16)
    const rows = [1, 1, 2, 2, 3, 7][next() % 6]
    const x = Array.from({ length: rows }, () => row(next, n)).flat()
    const dy = Array.from({ length: rows }, () => row(next, n)).flat()
    const gamma = vector(next, n, next() % 10 === 0)
    // the forward's saved std as the step has it; now and then any value (0, subnormal, NaN, inf)
    const eps = sf.f32FromBits(EPS[next() % EPS.length])
    const std = bitsOf(layernormRef(f32s(x), f32s(gamma), f32s(gamma), [rows, n], { eps }).std)
    // (a tiny or subnormal std whose 2^-s scaling loses bits, so dx must divide by std itself, not sigma · 2^s)
    for (let r = 0; r < rows; r++) {
      const kind = next() % 10
      if (kind === 0) std[r] = SPECIALS[next() % SPECIALS.length]
      if (kind === 1) std[r] = operand(next)
      if (kind === 2) std[r] = withExponent(next, next() % 24) & 0x7fffffff
    }
    // exact cancellation in dbeta: a column of dy and its negation
    if (rows % 2 === 0 && next() % 6 === 0)
      for (let i = (rows / 2) * n; i < rows * n; i++) dy[i] = (dy[i - (rows / 2) * n] ^ 0x80000000) >>> 0
    tensors.push({ rows, n, x, dy, gamma, std })
    columns += n
  }
  const refs = tensors.map((t) => {
    const g = layernormBackwardRef(f32s(t.x), f32s(t.gamma), { std: f32s(t.std) }, f32s(t.dy), [t.rows, t.n])
    return { dx: bitsOf(g.dx), dgamma: bitsOf(g.dgamma), dbeta: bitsOf(g.dbeta) }
  })

  it(
    `dx of every element, dgamma and dbeta of every column: at least ${CASES.toLocaleString('en')} each`,
    async () => {
      const got = { dx: [] as number[], dgamma: [] as number[], dbeta: [] as number[] }
      for (let i = 0; i < tensors.length; i += 12) {
        const slice = tensors.slice(i, i + 12)
        const [dx, dgamma, dbeta] = await client().readContract({
          address: harness,
          abi,
          functionName: 'layernormGrads',
          args: [
            slice.map((t) => t.x),
            slice.map((t) => t.dy),
            slice.map((t) => t.gamma),
            slice.map((t) => t.std),
          ],
        })
        for (let j = 0; j < slice.length; j++) {
          got.dx.push(...dx[j])
          got.dgamma.push(...dgamma[j])
          got.dbeta.push(...dbeta[j])
        }
      }
      for (const key of ['dx', 'dgamma', 'dbeta'] as const) {
        expect(got[key].length).toBeGreaterThanOrEqual(CASES)
        const per = (t: Tensor) => (key === 'dx' ? t.rows * t.n : t.n)
        const inputs = tensors.flatMap((t) =>
          Array.from({ length: per(t) }, (_, i) => ({
            i,
            x: hex(t.x),
            dy: hex(t.dy),
            gamma: hex(t.gamma),
            std: hex(t.std),
          })),
        )
        expectSameBits(
          inputs,
          got[key],
          refs.flatMap((r) => r[key]),
        )
      }
    },
    EVM_TIMEOUT,
  )

  it(
    'the same through recompute, one element at a time (ops 29, 30, 31)',
    async () => {
      const dx: [number[], number[]][] = []
      const dgamma: [number[], number[]][] = []
      const dbeta: [number[], number[]][] = []
      const want = { dx: [] as number[], dgamma: [] as number[], dbeta: [] as number[] }
      sample(tensors, 300).forEach((t, i) => {
        const [r, k] = [i % t.rows, (i * 3) % t.n]
        const at = (v: number[]) => v.slice(r * t.n, (r + 1) * t.n)
        const column = (v: number[]) => Array.from({ length: t.rows }, (_, q) => v[q * t.n + k])
        const ref = refs[tensors.indexOf(t)]
        dx.push([
          [...at(t.x), ...at(t.dy), ...t.gamma],
          [k, t.std[r]],
        ])
        dgamma.push([t.x, [k, ...column(t.dy), ...t.std]])
        dbeta.push([column(t.dy), []])
        want.dx.push(ref.dx[r * t.n + k])
        want.dgamma.push(ref.dgamma[k])
        want.dbeta.push(ref.dbeta[k])
      })
      expectSameBits(dx, await recomputeMany(OP.layernormGrad, dx, 150), want.dx)
      expectSameBits(dgamma, await recomputeMany(OP.dgamma, dgamma, 50), want.dgamma)
      expectSameBits(dbeta, await recomputeMany(OP.dbeta, dbeta, 300), want.dbeta)
    },
    EVM_TIMEOUT,
  )
})

describe('layernorm backward: each dyXhat element (op 43), bit for bit with layernormDyXhatRef', () => {
  type Tensor = { rows: number; n: number; x: number[]; dy: number[]; std: number[] }
  const next = mulberry32(0x5eed + OP.dyXhat)
  /** A row whose deviations are hard: exact cancellation, subnormals, huge and tiny exponents, specials. */
  function hardRow(n: number): number[] {
    const kind = next() % 6
    if (kind === 0)
      return Array.from({ length: n }, (_, k) => ((k % 2 ? 0x80000000 : 0) ^ withExponent(next, 250)) >>> 0)
    if (kind === 1) return Array.from({ length: n }, () => (next() & 0x807fffff) >>> 0) // subnormal or zero
    if (kind === 2) return Array.from({ length: n }, () => withExponent(next, next() % 2 ? 254 : 1))
    if (kind === 3) {
      // a row and its negation: the mean's hi cancels, lo carries what is left
      const half = Array.from({ length: Math.ceil(n / 2) }, () => operand(next))
      return [...half, ...half.map((b) => (b ^ 0x80000000) >>> 0)].slice(0, n)
    }
    if (kind === 4) return Array.from({ length: n }, () => operand(next))
    return row(next, n)
  }
  const tensors: Tensor[] = []
  for (let elements = 0; elements < CASES;) {
    const n = next() % 20 === 0 ? 17 + (next() % 48) : 1 + (next() % 16)
    const rows = [1, 2, 3, 5][next() % 4]
    const x = Array.from({ length: rows }, () => (next() % 3 ? row(next, n) : hardRow(n))).flat()
    const dy = Array.from({ length: rows }, () => (next() % 4 ? row(next, n) : hardRow(n))).flat()
    const eps = sf.f32FromBits([0x3727c5ac, 0, 1, 0x3f800000][next() % 4])
    const ones = f32s(Array(n).fill(0x3f800000))
    const std = bitsOf(layernormRef(f32s(x), ones, ones, [rows, n], { eps }).std)
    for (let r = 0; r < rows; r++) {
      const kind = next() % 8
      if (kind === 0) std[r] = SPECIALS[next() % SPECIALS.length]
      if (kind === 1) std[r] = operand(next)
      if (kind === 2) std[r] = withExponent(next, next() % 24) & 0x7fffffff // tiny or subnormal
    }
    tensors.push({ rows, n, x, dy, std })
    elements += rows * n
  }
  const ref = (t: Tensor) =>
    bitsOf(layernormDyXhatRef(f32s(t.x), { std: f32s(t.std) }, f32s(t.dy), [t.rows, t.n]))

  it('is the backward’s own intermediate: its column sums are layernormBackwardRef’s dgamma', () => {
    for (const t of tensors) {
      const gamma = f32s(Array(t.n).fill(0x3f800000))
      const g = layernormBackwardRef(f32s(t.x), gamma, { std: f32s(t.std) }, f32s(t.dy), [t.rows, t.n])
      expect(bitsOf(columnSums(Uint32Array.from(ref(t)), t.rows, t.n))).toEqual(bitsOf(g.dgamma))
    }
  })

  it(
    `${CASES.toLocaleString('en')} elements through recompute, one at a time: a = row r of x, b = [k, dy, std_r]`,
    async () => {
      const cases: [number[], number[]][] = []
      const want: number[] = []
      for (const t of tensors) {
        const out = ref(t)
        for (let e = 0; e < t.rows * t.n; e++) {
          const [r, k] = [Math.floor(e / t.n), e % t.n]
          cases.push([t.x.slice(r * t.n, (r + 1) * t.n), [k, t.dy[e], t.std[r]]])
          want.push(out[e])
        }
      }
      expect(cases.length).toBeGreaterThanOrEqual(CASES)
      expectSameBits(cases, await recomputeMany(OP.dyXhat, cases, 100), want)
    },
    EVM_TIMEOUT,
  )
})

describe('RowGrads.recompute: named refusals and gas', () => {
  const recompute = (op: number, a: number[], b: number[]) =>
    client().readContract({ address: harness, abi, functionName: 'recompute', args: [op, a, b] })
  const one = 0x3f800000
  const row4 = [one, 0x40000000, 0xbf800000, 0]

  it('refuses wrong operand counts with BadOperands, a k or target past the row with BadIndex', async () => {
    const bad: [number, number[], number[], RegExp][] = [
      [OP.crossEntropy, [], [0], /BadOperands/],
      [OP.crossEntropy, row4, [], /BadOperands/],
      [OP.crossEntropy, row4, [0, 1], /BadOperands/],
      [OP.crossEntropy, row4, [4], /BadIndex/],
      [OP.crossEntropyGrad, row4, [0, 1], /BadOperands/],
      [OP.crossEntropyGrad, row4, [0, 1, 0], /BadOperands/], // a batch of 0 rows
      [OP.crossEntropyGrad, row4, [4, 1, 2], /BadIndex/],
      [OP.crossEntropyGrad, row4, [0, 9, 2], /BadIndex/],
      [OP.softmaxGrad, [one, one, one], [0, 2], /BadOperands/], // odd: y and dy differ in length
      [OP.softmaxGrad, [], [0, 1], /BadOperands/],
      [OP.softmaxGrad, row4, [0], /BadOperands/],
      [OP.softmaxGrad, row4, [0, 1], /BadOperands/], // a prefix longer than the row
      [OP.softmaxGrad, row4, [2, 2], /BadIndex/],
      [OP.layernormGrad, row4, [0, one], /BadOperands/],
      [OP.layernormGrad, [one, one, one], [0], /BadOperands/],
      [OP.layernormGrad, [one, one, one], [1, one], /BadIndex/],
      [OP.dgamma, row4, [0, one], /BadOperands/], // b even
      [OP.dgamma, row4, [], /BadOperands/],
      [OP.dgamma, [one, one, one], [0, one, one, one, one], /BadOperands/], // 3 values in 2 rows
      [OP.dgamma, row4, [2, one, one, one, one], /BadIndex/], // 2 rows of 2
      [OP.dyXhat, [], [0, one, one], /BadOperands/],
      [OP.dyXhat, row4, [0, one], /BadOperands/],
      [OP.dyXhat, row4, [0, one, one, one], /BadOperands/],
      [OP.dyXhat, row4, [4, one, one], /BadIndex/],
      [OP.dbeta, [], [], /BadOperands/],
      [OP.dbeta, row4, [0], /BadOperands/],
      [21, row4, [0], /BadOperands/], // not RowGrads' op
    ]
    for (const [op, a, b, error] of bad) await expect(recompute(op, a, b), `op ${op}`).rejects.toThrow(error)
    // the edges that are fine: a causal element past the prefix is +0, a one-element row's loss is 0
    expect(await recompute(OP.softmaxGrad, [one, one], [3, 4])).toBe(0)
    expect(await recompute(OP.crossEntropy, [0x40490fdb], [0])).toBe(0)
  })

  it(
    'gas per element (a transaction of one recompute; docs/disputes.md)',
    async () => {
      const gas = (op: number, a: number[], b: number[]) =>
        client().estimateContractGas({ address: harness, abi, functionName: 'recompute', args: [op, a, b] })
      const v = (n: number, seed: number) => vector(mulberry32(seed), n, false)
      const std = 0x3f800000
      const table: Record<string, bigint> = {}
      for (const n of [16, 64, 256]) {
        table[`crossEntropy, row of ${n}`] = await gas(OP.crossEntropy, v(n, n), [n - 1])
        table[`crossEntropyGrad, row of ${n}`] = await gas(OP.crossEntropyGrad, v(n, n), [3, n - 1, 8])
        table[`softmaxGrad, row of ${n}`] = await gas(OP.softmaxGrad, [...v(n, n), ...v(n, n + 1)], [3, n])
        table[`layernormGrad, row of ${n}`] = await gas(
          OP.layernormGrad,
          [...v(n, n), ...v(n, n + 1), ...v(n, n + 2)],
          [3, std],
        )
        table[`dbeta, ${n} rows`] = await gas(OP.dbeta, v(n, n), [])
        table[`dyXhat, row of ${n}`] = await gas(OP.dyXhat, v(n, n), [3, v(1, n + 1)[0], std])
      }
      for (const [rows, n] of [
        [16, 16],
        [64, 64],
      ]) {
        const stds = Array.from({ length: rows }, () => std)
        table[`dgamma, ${rows} rows of ${n}`] = await gas(OP.dgamma, v(rows * n, 1), [
          3,
          ...v(rows, 2),
          ...stds,
        ])
      }
      console.log(
        Object.entries(table)
          .map(([k, g]) => `${k}: ${g}`)
          .join('\n'),
      )
      expect(table['softmaxGrad, row of 256']).toBeLessThan(30_000_000n)
    },
    EVM_TIMEOUT,
  )
})
