// The referee's reductions, row ops and matmul element (contracts/referee/FixedSum.sol, RowOps.sol,
// Bq15.sol) against src/kernels, bit for bit, through anvil: 10,000 seeded outputs per op.
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { Address } from 'viem'
import { opsHarnessAbi } from '../chain/contracts/OpsHarness.ts'
import * as sf from '../kernels/softfloat.ts'
import { fixedAccumulate, fixedDivToF32Bits, fixedToF32Bits } from '../kernels/fixed.ts'
import { matmulRef } from '../kernels/matmul.ts'
import { softmaxRef } from '../kernels/softmax.ts'
import { rmsnormRef } from '../kernels/rmsnorm.ts'
import { layernormRef } from '../kernels/layernorm.ts'
import { adamwRef } from '../kernels/adamw.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_OPS } from './onchain.ts'
import {
  CASES,
  EVM_TIMEOUT,
  batched,
  expectSameBits,
  hex,
  operand,
  startReferee,
  vector,
  withExponent,
} from './testing.ts'

let chain: Awaited<ReturnType<typeof startReferee>>
let harness: Address
const client = () => chain.client

beforeAll(async () => {
  chain = await startReferee()
  harness = chain.harness
}, 120_000)
afterAll(() => chain?.stop())

const bitsOf = sf.f32Bits
const fromBits = sf.f32FromBits

function vectors(seed: number, maxK: number): number[][] {
  const next = mulberry32(seed)
  return Array.from({ length: CASES }, () => {
    const k = 1 + (next() % maxK)
    const v = vector(next, k, next() % 10 === 0)
    // Exact cancellation: the vector and its negation (a zero sum, whose sign the flags decide).
    if (next() % 8 === 0) return [...v, ...v.map((x) => (x ^ 0x80000000) >>> 0)]
    return v
  })
}

describe('FixedSum: reduce sum and mean, bit for bit with src/kernels/fixed.ts', () => {
  it.each([
    ['sum', false],
    ['mean', true],
  ] as const)(
    '%s of 10,000 vectors',
    async (name, mean) => {
      const cases = vectors(0x5eed + ONCHAIN_OPS[name], 24)
      const want = cases.map((v) => {
        const acc = fixedAccumulate(v)
        return mean ? fixedDivToF32Bits(acc, v.length) : fixedToF32Bits(acc)
      })
      const got = await batched(cases, 500, (slice) =>
        client().readContract({
          address: harness,
          abi: opsHarnessAbi,
          functionName: 'sums',
          args: [slice, mean],
        }),
      )
      expectSameBits(cases.map(hex), got, want)
    },
    EVM_TIMEOUT,
  )
})

describe('Bq15: the matmul element, bit for bit with matmulRef', () => {
  it(
    '10,000 (row, column) pairs, K from 1 to 48 (partial and whole blocks of 32)',
    async () => {
      const next = mulberry32(0x5eed + ONCHAIN_OPS.matmul)
      const cases = Array.from({ length: CASES }, () => {
        const k = 1 + (next() % 48)
        const nonFinite = next() % 20 === 0
        const row = vector(next, k, nonFinite)
        // Sometimes a column that cancels the row's products exactly (a +0 result).
        const col =
          next() % 10 === 0 ? row.map((x, i) => (i % 2 ? x : (x ^ 0x80000000) >>> 0)) : vector(next, k, false)
        return [row, col] as const
      })
      const want = cases.map(([row, col]) => {
        const a = new Float32Array(new Uint32Array(row).buffer)
        const b = new Float32Array(new Uint32Array(col).buffer)
        return bitsOf(matmulRef(a, [1, row.length], b, [col.length, 1], { simd: false })[0])
      })
      const got = await batched(cases, 150, (slice) =>
        client().readContract({
          address: harness,
          abi: opsHarnessAbi,
          functionName: 'dots',
          args: [slice.map((c) => c[0]), slice.map((c) => c[1])],
        }),
      )
      expectSameBits(
        cases.map(([r, c]) => [hex(r), hex(c)]),
        got,
        want,
      )
    },
    EVM_TIMEOUT,
  )
})

describe('RowOps: softmax, rmsnorm, layernorm, bit for bit with their references', () => {
  // eps as the kernels take it: finite and >= 0, from 0 (a constant row is 0/0) to large
  const EPS = [0x3727c5ac, 0, 0x00000001, 0x3f800000, 0x4b000000]
  type Row = { x: number[]; params: number[]; eps: number; gamma: number[]; beta: number[] }
  const ref = {
    softmax: (r: Row) => softmaxRef(f32s(r.x), [1, r.x.length]),
    rmsnorm: (r: Row) => rmsnormRef(f32s(r.x), f32s(r.gamma), [1, r.x.length], { eps: fromBits(r.eps) }).y,
    layernorm: (r: Row) =>
      layernormRef(f32s(r.x), f32s(r.gamma), f32s(r.beta), [1, r.x.length], { eps: fromBits(r.eps) }).y,
  } as const

  it.each(Object.keys(ref) as (keyof typeof ref)[])(
    '%s: 10,000 outputs',
    async (name) => {
      const op = ONCHAIN_OPS[name]
      const next = mulberry32(0x5eed + op)
      const rows: Row[] = []
      for (let outputs = 0; outputs < CASES;) {
        const n = 1 + (next() % 24)
        const x = vector(next, n, next() % 10 === 0)
        // Now and then a constant row (zero deviation: 0/eps) or one with a huge spread.
        if (next() % 12 === 0) x.fill(x[0])
        const gamma = vector(next, n, false)
        const beta = vector(next, n, false)
        const eps = EPS[next() % EPS.length]
        const params =
          name === 'softmax' ? [] : name === 'rmsnorm' ? [eps, ...gamma] : [eps, ...gamma, ...beta]
        rows.push({ x, params, eps, gamma, beta })
        outputs += n
      }
      const want = rows.flatMap((r) => [...new Uint32Array(ref[name](r).buffer)])
      const got: number[] = []
      const size = name === 'softmax' ? 20 : 60 // softmax spends an exp per element: ~70k gas
      for (let i = 0; i < rows.length; i += size) {
        const slice = rows.slice(i, i + size)
        const out = await client().readContract({
          address: harness,
          abi: opsHarnessAbi,
          functionName: 'rows',
          args: [op, slice.map((r) => r.x), slice.map((r) => r.params)],
        })
        for (const y of out) got.push(...y)
      }
      const inputs = rows.flatMap((r) => r.x.map((_, k) => ({ k, x: hex(r.x), params: hex(r.params) })))
      expectSameBits(inputs, got, want)
    },
    EVM_TIMEOUT,
  )
})

const f32s = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer)

describe('Adam: the AdamW update, bit for bit with adamwRef', () => {
  it(
    '10,000 elements over 100 configs (steps 1 to 2^31 - 1, betas from 0 to just below 1)',
    async () => {
      const next = mulberry32(0x5eed + ONCHAIN_OPS.adamw)
      const pick = <T>(xs: T[]) => xs[next() % xs.length]
      const positive = (lo: number, hi: number) =>
        withExponent(next, lo + (next() % (hi - lo + 1))) & 0x7fffffff
      const got: number[] = []
      const want: number[] = []
      const inputs: unknown[] = []
      for (let c = 0; c < 100; c++) {
        const config = [
          pick([1, 2, 3, 10, 1000, 123_457, 2 ** 31 - 1, 1 + (next() % 100_000)]),
          pick([bitsOf(1e-3), bitsOf(3e-4), 0, 0x3f800000, positive(100, 130)]),
          pick([bitsOf(0.9), 0, 0x3f000000, 0x3f7fffff, positive(100, 126)]),
          pick([bitsOf(0.999), bitsOf(0.95), 0, 0x3f7fffff, positive(100, 126)]),
          pick([bitsOf(1e-8), 0, 0x00000001, 0x3f800000]),
          pick([0, bitsOf(0.01), bitsOf(0.1)]),
          pick([0x3f800000, 0x3f000000, positive(110, 126)]),
        ]
        const n = 100
        const p = Array.from({ length: n }, () => operand(next))
        const g = Array.from({ length: n }, () => operand(next))
        const m = Array.from({ length: n }, () => operand(next))
        const v = Array.from(
          { length: n },
          () => (next() % 8 ? operand(next) & 0x7fffffff : operand(next)) >>> 0,
        )
        const [, lr, beta1, beta2, eps, weightDecay, gradScale] = config.map(fromBits)
        const ref = adamwRef(f32s(p), f32s(g), f32s(m), f32s(v), {
          step: config[0],
          lr,
          beta1,
          beta2,
          eps,
          weightDecay,
          gradScale,
        })
        const out = await client().readContract({
          address: harness,
          abi: opsHarnessAbi,
          functionName: 'adamw',
          args: [config, p, g, m, v],
        })
        for (let i = 0; i < n; i++) {
          got.push(out[0][i], out[1][i], out[2][i])
          want.push(bitsOf(ref.p[i]), bitsOf(ref.m[i]), bitsOf(ref.v[i]))
          const element = { config: hex(config), p: hex([p[i], g[i], m[i], v[i]]) }
          inputs.push({ ...element, out: 'p' }, { ...element, out: 'm' }, { ...element, out: 'v' })
        }
      }
      expectSameBits(inputs, got, want)
    },
    EVM_TIMEOUT,
  )
})
