// The referee's f32 arithmetic (contracts/referee/F32.sol, SoftFloat.sol, Gelu.sol) against
// src/kernels/softfloat.ts, bit for bit, through anvil: 10,000 seeded cases per op, biased to what
// breaks float code (NaNs, infinities, signed zeros, subnormals, ties, cancellation, over- and
// underflow), batched into a few eth_calls.
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { Address } from 'viem'
import { opsHarnessAbi } from '../chain/contracts/OpsHarness.ts'
import * as sf from '../kernels/softfloat.ts'
import * as special from '../kernels/special.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_OPS } from './onchain.ts'
import {
  CASES,
  EVM_TIMEOUT,
  SPECIALS,
  batched,
  expectSameBits,
  hex,
  operand,
  pair,
  startReferee,
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

describe('F32: + - * / sqrt, bit for bit with src/kernels/softfloat.ts', () => {
  const ops = { add: sf.add, sub: sf.sub, mul: sf.mul, div: sf.div } as const
  it.each(Object.entries(ops))(
    '%s on 10,000 cases',
    async (name, ref) => {
      const next = mulberry32(0x5eed + ONCHAIN_OPS[name as keyof typeof ops])
      const cases = Array.from({ length: CASES }, () => pair(next, name as keyof typeof ops))
      const want = cases.map(([a, b]) => bitsOf(ref(fromBits(a), fromBits(b))))
      const got = await batched(cases, 2500, (slice) =>
        client().readContract({
          address: harness,
          abi: opsHarnessAbi,
          functionName: 'binary',
          args: [ONCHAIN_OPS[name as keyof typeof ops], slice.map((c) => c[0]), slice.map((c) => c[1])],
        }),
      )
      expectSameBits(
        cases.map((c) => hex(c)),
        got,
        want,
      )
    },
    EVM_TIMEOUT,
  )

  // Near the branch points each reference takes: tanh's 0.625 and 44, log's sqrt(1/2) and 1, exp's
  // clamps and overflow, the GELUs' cut-offs (10, -11, 6, -14.5) and pieces (0.75, 3), erf's 4 and
  // t = 0.75, sin and cos at multiples of pi/4 and at their domain limit 51471.
  const EDGES = [
    0x3f200000, 0x42300000, 0x3f3504f3, 0x3f800000, 0xc2dc0000, 0x42c80000, 0x42b17218, 0xc2cff1b5,
    0x41200000, 0xc1300000, 0x40c00000, 0xc1680000, 0x3f400000, 0xbf400000, 0x40400000, 0xc0400000,
    0x40800000, 0xc0800000, 0x3f07ee7a, 0x47490f00, 0xc7490f00, 0x3f490fdb, 0x3fc90fdb, 0x40490fdb,
    0xc0c90fdb,
  ]
  const unaryOps = {
    sqrt: sf.sqrt,
    exp: sf.exp,
    log: sf.log,
    tanh: sf.tanh,
    sigmoid: sf.sigmoid,
    geluTanh: sf.geluTanh,
    geluErf: sf.geluErf,
    erf: special.erf,
    sin: special.sin,
    cos: special.cos,
  } as const
  it.each(Object.entries(unaryOps))(
    '%s on 10,000 cases',
    async (name, ref) => {
      const op = ONCHAIN_OPS[name as keyof typeof unaryOps]
      const next = mulberry32(0x5eed + op)
      const cases = Array.from({ length: CASES }, (_, i) => {
        if (i < SPECIALS.length) return SPECIALS[i]
        const kind = next() % 6
        if (kind === 0) return (EDGES[next() % EDGES.length] + (next() % 5) - 2) >>> 0
        if (kind === 1) return withExponent(next, 118 + (next() % 16)) // |x| in [2^-9, 128): the working range
        if (kind === 2) return (operand(next) & 0x7fffffff) >>> 0 // positive: log and sqrt's domain
        return operand(next)
      })
      const want = cases.map((a) => bitsOf(ref(fromBits(a))))
      const got = await batched(cases, 150, (slice) =>
        client().readContract({
          address: harness,
          abi: opsHarnessAbi,
          functionName: 'unary',
          args: [op, slice],
        }),
      )
      expectSameBits(hex(cases), got, want)
    },
    EVM_TIMEOUT,
  )
})
