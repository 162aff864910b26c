// RefereeGrad (contracts/referee/RefereeGrad.sol, Grads.sol) against src/kernels, bit for bit, through
// anvil: 10,000 seeded elements per op, each through the contract's own recompute (RecomputeHarness
// batches the calls), so the dispatch and operand layouts are tested along with the arithmetic. Then
// the named refusals and the gas per op.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeFunctionResult, encodeFunctionData } from 'viem'
import { refereeAbi } from '../chain/contracts/Referee.ts'
import { refereeGradAbi } from '../chain/contracts/RefereeGrad.ts'
import { refereeRowsAbi } from '../chain/contracts/RefereeRows.ts'
import { recomputeHarnessAbi } from '../chain/contracts/RecomputeHarness.ts'
import * as sf from '../kernels/softfloat.ts'
import { geluErfGrad, geluTanhGrad, scaleRef } from '../kernels/elementwise.ts'
import { epilogueRef, matmulRef } from '../kernels/matmul.ts'
import { mulberry32 } from '../util/random.ts'
import {
  ONCHAIN_GRAD_OPS as GRAD,
  ONCHAIN_ROW_OPS,
  ONCHAIN_OPS,
  REFUSED_OPS,
  matmulEpilogueOperands,
  type EpilogueBits,
} from './onchain.ts'
import {
  CASES,
  EVM_TIMEOUT,
  SPECIALS,
  expectSameBits,
  hex,
  operand,
  pair,
  startReferee,
  vector,
  withExponent,
} from './testing.ts'

let chain: Awaited<ReturnType<typeof startReferee>>

beforeAll(async () => {
  chain = await startReferee()
}, 120_000)
afterAll(() => chain?.stop())

const bitsOf = sf.f32Bits
const fromBits = sf.f32FromBits
const f32s = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer)

/**
 * RefereeGrad.recompute(op, a[i], b[i]) for every i, in eth_calls of at most `words` operands each (anvil
 * refuses requests of a few MB).
 */
type Operands = readonly [readonly number[], readonly number[]]

async function recomputeAll(op: number, cases: Operands[], words: number) {
  const got: number[] = []
  let slice: typeof cases = []
  let used = 0
  for (const c of cases) {
    const n = c[0].length + c[1].length + 4 // and two lengths, two offsets
    if (used + n > words && slice.length) {
      got.push(...(await recomputeSlice(op, slice)))
      ;[slice, used] = [[], 0]
    }
    slice.push(c)
    used += n
  }
  got.push(...(await recomputeSlice(op, slice)))
  return got
}

async function recomputeSlice(op: number, slice: Operands[]) {
  const { data } = await chain.client.call({
    to: chain.recomputeHarness,
    data: encodeFunctionData({
      abi: recomputeHarnessAbi,
      functionName: 'recomputeMany',
      args: [chain.refereeGrad, op, slice.map((c) => c[0]), slice.map((c) => c[1])],
    }),
    // Without a gas figure anvil ran these batches out of gas (400 geluTanhGrad calls, ~60M gas, failed).
    gas: 2_000_000_000n,
  })
  return decodeFunctionResult({ abi: recomputeHarnessAbi, functionName: 'recomputeMany', data: data! })
}

/** x near one of `cuts` (a branch point or cut-off of the reference): the point and its neighbours. */
function nearCut(next: () => number, cuts: readonly number[]): number {
  const c = bitsOf(cuts[next() % cuts.length])
  if ((c & 0x7fffffff) === 0) return (((next() & 1) << 31) | (next() % 4)) >>> 0 // ±0 and subnormals
  return (c + (next() % 9) - 4) >>> 0
}

/** x for a GELU derivative: anything, near its cuts, across its active range [lo, hi), or tiny. */
function geluInput(next: () => number, cuts: readonly number[], lo: number, hi: number): number {
  const kind = next() % 8
  if (kind <= 1) return operand(next)
  if (kind === 2) return nearCut(next, cuts)
  if (kind === 3) return withExponent(next, 127 - 1 - (next() % 40)) // |x| below 1/2, down to 2^-40
  if (kind === 4) return bitsOf(lo + (next() % 1000) / 1000) // the deep negative tail
  return bitsOf(lo + ((hi - lo) * next()) / 2 ** 32)
}

/** dy: anything, ±1 (the slope itself), near 1, or huge and tiny (a product that over- or underflows). */
function upstream(next: () => number): number {
  const kind = next() % 4
  if (kind === 0) return operand(next)
  if (kind === 1) return next() % 2 ? 0x3f800000 : 0xbf800000
  if (kind === 2) return withExponent(next, 127 + (next() % 9) - 4)
  return withExponent(next, next() % 2 ? 254 - (next() % 24) : 1 + (next() % 24))
}

describe('Grads: the GELUs’ backward, bit for bit with src/kernels/elementwise.ts', () => {
  const ops = {
    // -11 and 10: the cut-offs; 0: v's sign flips; ±0.5, ±2: where the slope crosses 1 and 0.
    geluTanhGrad: { ref: geluTanhGrad, cuts: [-11, 10, 0, -0.5, 0.5, -2, 2, -0.75], lo: -11, hi: 10 },
    // -14.5 and 6: the cut-offs; ±0.75: phiSmall or the Mills fit; 3: millsFit's two pieces.
    geluErfGrad: { ref: geluErfGrad, cuts: [-14.5, 6, 0.75, -0.75, 3, -3, 0], lo: -14.5, hi: 6 },
  } as const
  it.each(Object.keys(ops) as (keyof typeof ops)[])(
    '%s on 10,000 (x, dy)',
    async (name) => {
      const { ref, cuts, lo, hi } = ops[name]
      const next = mulberry32(0x5eed + GRAD[name])
      const cases = Array.from(
        { length: CASES },
        () => [[geluInput(next, cuts, lo, hi)], [upstream(next)]] as const,
      )
      const want = cases.map(([[x], [dy]]) => bitsOf(ref(fromBits(x), fromBits(dy))))
      const got = await recomputeAll(GRAD[name], cases, 15_000)
      expectSameBits(
        cases.map(([x, dy]) => hex([...x, ...dy])),
        got,
        want,
      )
    },
    EVM_TIMEOUT,
  )
})

describe('scale: x · s, bit for bit with scaleRef', () => {
  it(
    '10,000 (x, s): ties, over- and underflow, and the step’s own scales',
    async () => {
      const next = mulberry32(0x5eed + GRAD.scale)
      // 1/sqrt(64) and 1/sqrt(head dims) as attention uses them, a loss scale, 1, -1, 0
      const usual = [0.125, 1 / Math.sqrt(48), 1 / Math.sqrt(96), 2 ** -10, 1, -1, 0].map(bitsOf)
      const cases = Array.from({ length: CASES }, () => {
        const [x, s] = pair(next, 'mul')
        const kind = next() % 4
        return [[x], [kind === 0 ? usual[next() % usual.length] : kind === 1 ? operand(next) : s]] as const
      })
      const want = cases.map(([[x], [s]]) => bitsOf(scaleRef(f32s([x]), fromBits(s))[0]))
      const got = await recomputeAll(GRAD.scale, cases, 15_000)
      expectSameBits(
        cases.map(([x, s]) => hex([...x, ...s])),
        got,
        want,
      )
    },
    EVM_TIMEOUT,
  )
})

describe('matmulEpilogue: one element of residual + (A·B · scale + bias), bit for bit with epilogueRef', () => {
  it(
    '10,000 elements, K from 1 to 400, every combination of scale, bias and residual',
    async () => {
      const next = mulberry32(0x5eed + GRAD.matmulEpilogue)
      const value = (y: number) => {
        const kind = next() % 8
        if (kind === 0) return (bitsOf(y) ^ 0x80000000) >>> 0 // cancels what came before: a signed zero
        if (kind === 1) return SPECIALS[next() % SPECIALS.length]
        if (kind <= 3) return operand(next)
        return withExponent(next, ((bitsOf(y) >>> 23) & 0xff) + (next() % 9) - 4) // near y: cancellation
      }
      const cases = Array.from({ length: CASES }, (_, i) => {
        // Mostly short rows (the epilogue is what is new here; Bq15's dot has its own 10,000 cases), now
        // and then a long one of several blocks of 32: ~4,000 gas per K is what this test spends.
        const size = next() % 100
        const k = size < 92 ? 1 + (next() % 16) : size < 99 ? 17 + (next() % 240) : 257 + (next() % 144)
        const row = vector(next, k, next() % 20 === 0)
        const col = vector(next, k, next() % 40 === 0)
        let y = matmulRef(f32s(row), [1, k], f32s(col), [k, 1], { simd: false })[0]
        const flags = i % 8 // every combination, equally often
        const e: EpilogueBits = {}
        if (flags & 1) {
          e.scale = next() % 2 ? bitsOf(0.125) : operand(next)
          y = sf.mul(y, fromBits(e.scale))
        }
        if (flags & 2) {
          e.bias = value(y)
          y = sf.add(y, fromBits(e.bias))
        }
        if (flags & 4) e.residual = value(y)
        return { ...e, operands: matmulEpilogueOperands(row, col, e) }
      })
      const want = cases.map(({ operands: [row, b], scale, bias, residual }) => {
        const k = row.length
        const c = matmulRef(f32s(row), [1, k], f32s(b.slice(0, k)), [k, 1], { simd: false })
        const out = epilogueRef(c, {
          scale: scale === undefined ? undefined : fromBits(scale),
          bias: bias === undefined ? undefined : f32s([bias]),
          residual: residual === undefined ? undefined : f32s([residual]),
        })
        return bitsOf(out[0])
      })
      const got = await recomputeAll(
        GRAD.matmulEpilogue,
        cases.map((c) => c.operands),
        15_000,
      )
      expectSameBits(
        cases.map(({ operands: [a, b] }) => [hex(a), hex(b)]),
        got,
        want,
      )
    },
    EVM_TIMEOUT,
  )
})

describe('RefereeGrad: named refusals', () => {
  const recompute = (op: number, a: number[], b: number[]) =>
    chain.client.readContract({
      address: chain.refereeGrad,
      abi: refereeGradAbi,
      functionName: 'recompute',
      args: [op, a, b],
    })
  const one = 0x3f800000

  it(
    'supports exactly its own ids; every other id is OpNotSupported, and Referee refuses its ids',
    async () => {
      const supported = (address: `0x${string}`, id: number) =>
        chain.client.readContract({ address, abi: refereeGradAbi, functionName: 'supported', args: [id] })
      for (const id of Object.values(GRAD)) {
        expect(await supported(chain.refereeGrad, id)).toBe(true)
        expect(await supported(chain.referee, id)).toBe(false)
        await expect(
          chain.client.readContract({
            address: chain.referee,
            abi: refereeAbi,
            functionName: 'recompute',
            args: [id, [one], [one]],
          }),
        ).rejects.toThrow(/OpNotSupported/)
      }
      // The row ops are RefereeRows', forwarded: the same bits as asking it directly.
      const rows = await chain.client.readContract({
        address: chain.refereeGrad,
        abi: refereeGradAbi,
        functionName: 'rows',
      })
      for (const id of Object.values(ONCHAIN_ROW_OPS))
        expect(await supported(chain.refereeGrad, id)).toBe(true)
      const direct = (op: number, a: number[], b: number[]) =>
        chain.client.readContract({
          address: rows,
          abi: refereeRowsAbi,
          functionName: 'recompute',
          args: [op, a, b],
        })
      const logits = [one, 0x40000000, 0xbf000000]
      expect(await recompute(ONCHAIN_ROW_OPS.crossEntropy, logits, [1])).toBe(
        await direct(ONCHAIN_ROW_OPS.crossEntropy, logits, [1]),
      )
      expect(await recompute(ONCHAIN_ROW_OPS.crossEntropyGrad, logits, [2, 1, 4])).toBe(
        await direct(ONCHAIN_ROW_OPS.crossEntropyGrad, logits, [2, 1, 4]),
      )
      await expect(direct(GRAD.scale, [one], [one])).rejects.toThrow(/OpNotSupported/)
      // Referee's ids, the reserved ones (conv 22) and the rest.
      for (const id of [...Object.values(ONCHAIN_OPS), ...Object.values(REFUSED_OPS), 32, 255]) {
        expect(await supported(chain.refereeGrad, id)).toBe(false)
        await expect(recompute(id, [one], [one])).rejects.toThrow(/OpNotSupported/)
      }
    },
    EVM_TIMEOUT,
  )

  it(
    'refuses wrong operand counts and malformed epilogues with BadOperands, an empty row with BadK',
    async () => {
      for (const op of [GRAD.geluTanhGrad, GRAD.geluErfGrad, GRAD.scale]) {
        expect(await recompute(op, [one], [one])).toBe(op === GRAD.scale ? one : bitsOf(geluGrad(op, 1)))
        for (const [a, b] of [
          [[], [one]],
          [[one], []],
          [[one, one], [one]],
          [[one], [one, one]],
        ])
          await expect(recompute(op, a, b)).rejects.toThrow(/BadOperands/)
      }
      const row = [one, 0x40000000, 0x40400000]
      const col = [one, one, one]
      const [a, b] = matmulEpilogueOperands(row, col, { scale: 0x3f000000, residual: one })
      expect(await recompute(GRAD.matmulEpilogue, a, b)).toBe(bitsOf(4)) // 1 + 6 · 0.5
      const bad: [number[], number[]][] = [
        [a, b.slice(0, -1)], // the tail one short: K would be misread
        [a, [...b, 0]],
        [a.slice(1), b], // a row of K − 1 against a column of K
        [a, [...col, 8, 0, 0, 0]], // no such flag
        [a, [...col, 0, one, 0, 0]], // a scale given but its flag clear
        [a, [...col, 1, one, 0, one]], // a residual given but its flag clear
      ]
      for (const [x, y] of bad)
        await expect(recompute(GRAD.matmulEpilogue, x, y)).rejects.toThrow(/BadOperands/)
      await expect(recompute(GRAD.matmulEpilogue, [], [0, 0, 0, 0])).rejects.toThrow(/BadK/)
    },
    EVM_TIMEOUT,
  )

  it(
    'gas per op (a transaction of one recompute; docs/disputes.md)',
    async () => {
      const gas = (op: number, a: number[], b: number[]) =>
        chain.client.estimateContractGas({
          address: chain.refereeGrad,
          abi: refereeGradAbi,
          functionName: 'recompute',
          args: [op, a, b],
        })
      const x = [0x3faaaaab]
      const dy = [0xc0490fdb]
      const v = (n: number, seed: number) => vector(mulberry32(seed), n, false)
      const all = { scale: 0x3e000000, bias: 0x3dcccccd, residual: 0xbf800000 }
      const table: Record<string, bigint> = {
        geluTanhGrad: await gas(GRAD.geluTanhGrad, x, dy),
        geluErfGrad: await gas(GRAD.geluErfGrad, x, dy),
        scale: await gas(GRAD.scale, x, dy),
        'matmulEpilogue, K = 64': await gas(
          GRAD.matmulEpilogue,
          ...matmulEpilogueOperands(v(64, 4), v(64, 5), all),
        ),
        'matmulEpilogue, K = 768': await gas(
          GRAD.matmulEpilogue,
          ...matmulEpilogueOperands(v(768, 6), v(768, 7), all),
        ),
      }
      console.log(
        Object.entries(table)
          .map(([k, g]) => `${k}: ${g}`)
          .join('\n'),
      )
      // Loose ceilings, so a change that makes the referee much dearer is noticed.
      expect(table.scale).toBeLessThan(40_000n)
      expect(table.geluTanhGrad).toBeLessThan(400_000n)
      expect(table['matmulEpilogue, K = 768']).toBeLessThan(5_000_000n)
    },
    EVM_TIMEOUT,
  )
})

function geluGrad(op: number, x: number) {
  return op === GRAD.geluTanhGrad ? geluTanhGrad(x, 1) : geluErfGrad(x, 1)
}
