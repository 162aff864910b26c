// The on-chain referee's arithmetic (contracts/referee/) against the TypeScript reference, bit for bit,
// through anvil: ≥ 10,000 seeded cases per op, biased to what breaks float code (NaNs, infinities,
// signed zeros, subnormals, ties, cancellation, over- and underflow), batched into a few eth_calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPublicClient, createWalletClient, http, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { ANVIL_KEY_0, startAnvil } from '../../scripts/chain.mjs'
import { opsHarnessAbi, opsHarnessBytecode } from '../chain/contracts/OpsHarness.ts'
import { refereeAbi, refereeBytecode } from '../chain/contracts/Referee.ts'
import * as sf from '../kernels/softfloat.ts'
import { fixedAccumulate, fixedDivToF32Bits, fixedToF32Bits } from '../kernels/fixed.ts'
import { matmulRef } from '../kernels/matmul.ts'
import { specialBits } from '../kernels/testing.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_OPS, REFUSED_OPS, tensorLeaf, tensorTree } from './onchain.ts'

const CASES = 10_000
let node: Awaited<ReturnType<typeof startAnvil>>
let harness: Address
let referee: Address
const client = () => createPublicClient({ chain: foundry, transport: http(node.rpcUrl) })

beforeAll(async () => {
  node = await startAnvil()
  const wallet = createWalletClient({
    account: privateKeyToAccount(ANVIL_KEY_0),
    chain: foundry,
    transport: http(node.rpcUrl),
  })
  const deploy = async (abi: typeof opsHarnessAbi | typeof refereeAbi, bytecode: Hex) => {
    const hash = await wallet.deployContract({ abi, bytecode })
    return (await client().waitForTransactionReceipt({ hash })).contractAddress as Address
  }
  harness = await deploy(opsHarnessAbi, opsHarnessBytecode)
  referee = await deploy(refereeAbi, refereeBytecode)
}, 60_000)
afterAll(() => node?.stop())

// ---- Seeded inputs, biased to the hard cases. ----

const NAN_PAYLOADS = [0x7f800001, 0xffc00000, 0x7fffffff, 0xff800001]
const SPECIALS = [...specialBits, ...NAN_PAYLOADS]

/** An f32 with exponent field e (clamped to 0..254), random significand and sign. */
const withExponent = (next: () => number, e: number) =>
  (((next() & 1) << 31) | (Math.min(254, Math.max(0, e)) << 23) | (next() & 0x7fffff)) >>> 0

/** A small odd integer of `bits` bits scaled by 2^p: products and sums of these land on ties. */
function oddScaled(next: () => number, bits: number, field: number): number {
  const m = (next() & ((1 << bits) - 1)) | (1 << (bits - 1)) | 1
  const f = Math.min(254, Math.max(1, field))
  return (((next() & 1) << 31) | (f << 23) | ((m << (24 - bits)) & 0x7fffff)) >>> 0
}

function operand(next: () => number): number {
  const kind = next() % 8
  if (kind === 0) return SPECIALS[next() % SPECIALS.length]
  if (kind === 1) return (next() & (next() % 2 ? 0x807fffff : 0x80000001)) >>> 0 // subnormal or zero
  if (kind === 2) return withExponent(next, 127 + ((next() % 17) - 8)) // near 1
  if (kind === 3) return withExponent(next, next() % 2 ? 254 - (next() % 8) : 1 + (next() % 8)) // huge, tiny
  return next() >>> 0 // any bits
}

/** a and b for one case of `op`: independent operands, or pairs built to cancel, tie or under/overflow. */
function pair(next: () => number, op: 'add' | 'sub' | 'mul' | 'div'): [number, number] {
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

const bitsOf = sf.f32Bits
const fromBits = sf.f32FromBits
const hex = (xs: number[]) => xs.map((x) => `0x${x.toString(16).padStart(8, '0')}`)

/** Calls `f` on slices of `n` cases, in as many eth_calls as the batch size needs. */
async function batched<T>(items: T[], size: number, f: (slice: T[]) => Promise<readonly number[]>) {
  const out: number[] = []
  for (let i = 0; i < items.length; i += size) out.push(...(await f(items.slice(i, i + size))))
  return out
}

/** Equal bit patterns, or a report of the first few cases that differ. */
function expectSameBits(inputs: unknown[], got: number[], want: number[]) {
  const bad = got.flatMap((g, i) =>
    g === want[i] ? [] : [{ input: inputs[i], got: hex([g]), want: hex([want[i]]) }],
  )
  expect(bad.slice(0, 5)).toEqual([])
  expect(got.length).toBe(want.length)
}

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
    30_000,
  )

  // Near the branch points each reference takes: tanh's 0.625 and 44, log's sqrt(1/2) and 1, exp's
  // clamps and overflow, the GELUs' cut-offs (10, -11, 6, -14.5) and pieces (0.75, 3).
  const EDGES = [
    0x3f200000, 0x42300000, 0x3f3504f3, 0x3f800000, 0xc2dc0000, 0x42c80000, 0x42b17218, 0xc2cff1b5,
    0x41200000, 0xc1300000, 0x40c00000, 0xc1680000, 0x3f400000, 0xbf400000, 0x40400000, 0xc0400000,
  ]
  const unaryOps = {
    sqrt: sf.sqrt,
    exp: sf.exp,
    log: sf.log,
    tanh: sf.tanh,
    sigmoid: sf.sigmoid,
    geluTanh: sf.geluTanh,
    geluErf: sf.geluErf,
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
    30_000,
  )
})

/** A vector of `k` values whose exponents spread over `width` binades: cancellation, guard-bit rounding. */
function vector(next: () => number, k: number, nonFinite: boolean): number[] {
  const centre = next() % 4 === 0 ? next() % 40 : next() % 255
  const width = [0, 3, 12, 30, 254][next() % 5]
  return Array.from({ length: k }, () => {
    const kind = next() % 16
    if (kind === 0) return nonFinite ? SPECIALS[next() % SPECIALS.length] : 0x80000000
    if (kind === 1) return (next() & 0x807fffff) >>> 0
    return withExponent(next, centre - (next() % (width + 1)))
  })
}

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
    30_000,
  )
})

describe('Bq15: the matmul element, bit for bit with matmulRef', () => {
  it('10,000 (row, column) pairs, K from 1 to 48 (partial and whole blocks of 32)', async () => {
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
  }, 30_000)
})

describe('Referee: one element per call, and a named refusal for every other op', () => {
  const recompute = (op: number, a: number[], b: number[]) =>
    client().readContract({ address: referee, abi: refereeAbi, functionName: 'recompute', args: [op, a, b] })

  it('recomputes each supported op as the harness does', async () => {
    const one = 0x3f800000
    const third = bitsOf(sf.div(1, 3))
    expect(await recompute(ONCHAIN_OPS.add, [one], [third])).toBe(bitsOf(sf.add(1, fromBits(third))))
    expect(await recompute(ONCHAIN_OPS.div, [one], [0x40400000])).toBe(third)
    expect(await recompute(ONCHAIN_OPS.sqrt, [0x40000000], [])).toBe(bitsOf(sf.sqrt(2)))
    expect(await recompute(ONCHAIN_OPS.mean, [one, 0x40000000], [])).toBe(0x3fc00000)
    const row = vector(mulberry32(9), 40, false)
    const col = vector(mulberry32(10), 40, false)
    const want = matmulRef(
      new Float32Array(new Uint32Array(row).buffer),
      [1, 40],
      new Float32Array(new Uint32Array(col).buffer),
      [40, 1],
    )
    expect(await recompute(ONCHAIN_OPS.matmul, row, col)).toBe(bitsOf(want[0]))
    await expect(recompute(ONCHAIN_OPS.add, [one, one], [one])).rejects.toThrow(/BadOperands/)
    await expect(recompute(ONCHAIN_OPS.matmul, [one, one], [one])).rejects.toThrow(/BadK/)
  })

  it('refuses every op it cannot recompute with OpNotSupported', async () => {
    for (const id of [...Object.values(REFUSED_OPS), 23, 255])
      await expect(recompute(id, [0x3f800000], [])).rejects.toThrow(/OpNotSupported/)
    for (const id of Object.values(ONCHAIN_OPS))
      expect(
        await client().readContract({
          address: referee,
          abi: refereeAbi,
          functionName: 'supported',
          args: [id],
        }),
      ).toBe(true)
  })

  it('gas per op (a transaction of one recompute; docs/disputes.md)', async () => {
    const gas = async (op: number, a: number[], b: number[]) =>
      client().estimateContractGas({
        address: referee,
        abi: refereeAbi,
        functionName: 'recompute',
        args: [op, a, b],
      })
    const x = [0x3faaaaab]
    const y = [0xc0490fdb]
    const v = (n: number, seed: number) => vector(mulberry32(seed), n, false)
    const table: Record<string, bigint> = {
      add: await gas(ONCHAIN_OPS.add, x, y),
      sub: await gas(ONCHAIN_OPS.sub, x, y),
      mul: await gas(ONCHAIN_OPS.mul, x, y),
      div: await gas(ONCHAIN_OPS.div, x, y),
      sqrt: await gas(ONCHAIN_OPS.sqrt, x, []),
      exp: await gas(ONCHAIN_OPS.exp, x, []),
      log: await gas(ONCHAIN_OPS.log, x, []),
      tanh: await gas(ONCHAIN_OPS.tanh, x, []),
      sigmoid: await gas(ONCHAIN_OPS.sigmoid, x, []),
      geluTanh: await gas(ONCHAIN_OPS.geluTanh, x, []),
      geluErf: await gas(ONCHAIN_OPS.geluErf, x, []),
      'sum, 64 terms': await gas(ONCHAIN_OPS.sum, v(64, 1), []),
      'sum, 1024 terms': await gas(ONCHAIN_OPS.sum, v(1024, 2), []),
      'mean, 1024 terms': await gas(ONCHAIN_OPS.mean, v(1024, 3), []),
      'matmul, K = 64': await gas(ONCHAIN_OPS.matmul, v(64, 4), v(64, 5)),
      'matmul, K = 768': await gas(ONCHAIN_OPS.matmul, v(768, 6), v(768, 7)),
    }
    console.log(
      Object.entries(table)
        .map(([k, g]) => `${k}: ${g}`)
        .join('\n'),
    )
    // Loose ceilings, so a change that makes the referee much dearer is noticed.
    for (const op of ['add', 'sub', 'mul', 'div', 'sqrt']) expect(table[op]).toBeLessThan(40_000n)
    expect(table['matmul, K = 768']).toBeLessThan(5_000_000n)
  })
})

describe('TensorCommitment: an output tensor as a Merkle root over (index, f32 bits)', () => {
  it('proves single elements and a whole row against the root; a changed value or index fails', async () => {
    const [rows, cols] = [9, 13]
    const data = new Float32Array(new Uint32Array(vector(mulberry32(11), rows * cols, true)).buffer)
    const bits = new Uint32Array(data.buffer)
    const tree = tensorTree(data)
    const root = tree.root as Hex
    const read = <T>(functionName: 'verifyElement' | 'verifyElements', args: readonly unknown[]) =>
      client().readContract({ address: referee, abi: refereeAbi, functionName, args } as never) as Promise<T>
    for (const i of [0, 1, 57, rows * cols - 1]) {
      expect(tree.leafHash([BigInt(i), bits[i]])).toBe(tensorLeaf(i, bits[i]))
      const proof = tree.getProof(i) as Hex[]
      expect(await read('verifyElement', [root, proof, BigInt(i), bits[i]])).toBe(true)
      expect(await read('verifyElement', [root, proof, BigInt(i), (bits[i] ^ 1) >>> 0])).toBe(false)
      expect(await read('verifyElement', [root, proof, BigInt(i + 1), bits[i]])).toBe(false)
    }
    // Row 4: the inputs a matmul element or a row reduction depends on, with one multiproof.
    const multi = tree.getMultiProof(Array.from({ length: cols }, (_, c) => 4 * cols + c))
    const indices = multi.leaves.map(([i]) => i)
    const values = multi.leaves.map(([, b]) => b)
    const args = [root, multi.proof, multi.proofFlags, indices, values]
    expect(await read('verifyElements', args)).toBe(true)
    const forged = values.map((b, j) => (j === 3 ? (b ^ 0x80000000) >>> 0 : b))
    expect(await read('verifyElements', [root, multi.proof, multi.proofFlags, indices, forged])).toBe(false)
    expect(await read('verifyElements', [root, [root], [], [], []])).toBe(false)
  })
})
