// A prediction market's TASK_RULE decision on chain (contracts/referee/Score.sol, op 42) against its
// definition in src/markets/model.ts, bit for bit, through anvil: f64 addition as JS `a + b` on seeded bit
// patterns biased to the hard cases (ties at the rounding point, cancellation, exponent gaps, carries,
// overflow, subnormals, specials, sums of widened f32s), IEEE `>`, and decide(taskScores(losses, layout))
// on seeded markets, a sample through RefereeGrad's forwarding, its named refusals and its gas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refereeGradAbi } from '../chain/contracts/RefereeGrad.ts'
import { normHarnessAbi } from '../chain/contracts/NormHarness.ts'
import { scoreHarnessAbi as abi } from '../chain/contracts/ScoreHarness.ts'
import { specialBits } from '../kernels/testing.ts'
import { decide, taskScores } from '../markets/model.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_NORM_OPS as OP } from './onchain.ts'
import { CASES, EVM_TIMEOUT, SPECIALS, batched, startReferee } from './testing.ts'

let chain: Awaited<ReturnType<typeof startReferee>>
const client = () => chain.client

beforeAll(async () => {
  chain = await startReferee()
}, 120_000)
afterAll(() => chain?.stop())

// ---- f64 bit patterns as bigints, read and written through a DataView. ----

const view = new DataView(new ArrayBuffer(8))
const NAN = 0x7ff8000000000000n
const SIGN = 0x8000000000000000n
const FRAC = (1n << 52n) - 1n
const toF64 = (bits: bigint) => (view.setBigUint64(0, bits), view.getFloat64(0))
/** JS's f64 as bits, any NaN as the canonical one (the contract's). */
const bitsOf = (x: number) => (Number.isNaN(x) ? NAN : (view.setFloat64(0, x), view.getBigUint64(0)))
const f32 = (bits: number) => (view.setUint32(0, bits), view.getFloat32(0))
const hex64 = (b: bigint) => `0x${b.toString(16).padStart(16, '0')}`

/** Sign, exponent field (clamped to 0..2046) and fraction. */
const make = (neg: boolean, field: number, frac: bigint) =>
  (neg ? SIGN : 0n) | (BigInt(Math.min(2046, Math.max(0, field))) << 52n) | (frac & FRAC)
const fracOf = (next: () => number) => (BigInt(next() & 0xfffff) << 32n) | BigInt(next())
const fieldOf = (x: bigint) => Number((x >> 52n) & 0x7ffn)
const random = (next: () => number) => (BigInt(next()) << 32n) | BigInt(next())
const withField = (next: () => number, field: number) => make(next() % 2 === 1, field, fracOf(next))

const F64_SPECIALS = [
  0n, // +0
  SIGN, // -0
  0x7ff0000000000000n, // +inf
  0xfff0000000000000n, // -inf
  NAN,
  0x7ff0000000000001n, // signalling NaN
  0xfff8000000000000n, // negative NaN
  0x7fefffffffffffffn, // max
  0xffefffffffffffffn,
  0x0010000000000000n, // min normal
  0x8010000000000000n,
  0x000fffffffffffffn, // max subnormal
  0x800fffffffffffffn,
  0x0000000000000001n, // min subnormal
  0x8000000000000001n,
  0x3ff0000000000000n, // 1
  0xbff0000000000000n,
  0x3ff0000000000001n,
  0x4330000000000000n, // 2^52
  0x4340000000000000n, // 2^53
]
const widen = (bits: number) => bitsOf(f32(bits))

/** One f64 operand: specials, subnormals, near 1, huge or tiny, widened f32s, or any bits. */
function f64Operand(next: () => number): bigint {
  const kind = next() % 8
  if (kind === 0) return F64_SPECIALS[next() % F64_SPECIALS.length]
  if (kind === 1) return make(next() % 2 === 1, 0, next() % 2 ? fracOf(next) : BigInt(next() % 4)) // subnormal
  if (kind === 2) return withField(next, 1023 + (next() % 41) - 20)
  if (kind === 3) return withField(next, next() % 2 ? 2046 - (next() % 8) : 1 + (next() % 8))
  if (kind === 4) return widen(SPECIALS[next() % SPECIALS.length] ^ (next() % 2 ? 0 : next() & 0x7fffff))
  return random(next)
}

/** a and b: independent, or built to tie, cancel, carry, overflow, underflow or span a huge exponent gap. */
function addPair(next: () => number): [bigint, bigint] {
  const a = f64Operand(next)
  const fa = Math.max(60, fieldOf(a) === 2047 ? 1023 : fieldOf(a))
  const neg = () => next() % 2 === 1
  switch (next() % 9) {
    case 0:
      return [a, f64Operand(next)]
    case 1: {
      // exactly half an ulp of a normal x (or 3/2, or a quarter, or just past), either sign: ties both ways,
      // on odd and even significands, and carries when x's fraction is all ones
      const x = next() % 4 === 0 ? make(neg(), fa, FRAC - BigInt(next() % 2)) : withField(next, fa)
      const ulpField = fa - 52
      const b = [
        make(neg(), ulpField - 1, 0n), // half
        make(neg(), ulpField, 1n << 51n), // three halves
        make(neg(), ulpField - 2, 0n), // quarter
        make(neg(), ulpField - 1, 1n), // just past half
        make(neg(), ulpField - 1, FRAC), // just below one ulp
      ][next() % 5]
      return next() % 2 ? [x, b] : [b, x]
    }
    case 2: {
      // near-cancellation: b close to -a (same binade, one or two ulps off, or exactly -a)
      const x = withField(next, fa)
      const d = BigInt(next() % 5) - 2n
      if (next() % 3 === 0) return [x, x ^ SIGN]
      const y = (((x & ~SIGN) + d) & ~SIGN) | (~x & SIGN)
      return [x, next() % 2 ? y : withField(next, fa + (next() % 3) - 1) | (~x & SIGN)]
    }
    case 3: {
      // exponent gaps: around 53, 54 and 64, then up to the whole range
      const gap = [52, 53, 54, 55, 63, 64, 65, 100, 199, 200, 201, 202, 500, 2000][next() % 14]
      const x = withField(next, 2046 - (next() % 40))
      return [x, withField(next, Math.max(0, 2046 - (next() % 40) - gap))]
    }
    case 4: {
      // same sign, same binade: the sum carries into the next binade
      const x = make(neg(), fa, FRAC - BigInt(next() % 1000))
      return [x, make(x >= SIGN, fa - (next() % 2), fracOf(next))]
    }
    case 5: // overflow to infinity (or just not)
      return [withField(next, 2046 - (next() % 2)), withField(next, 2046 - (next() % 3))]
    case 6: // both subnormal or at the boundary: exact sums, signed zeros, carries into the normals
      return [make(neg(), next() % 2, fracOf(next)), make(neg(), next() % 2, fracOf(next))]
    case 7: {
      // the real use: a partial score (a sum of widened f32 losses) plus a negated widened loss
      let s = 0
      for (let i = next() % 12; i > 0; i--) s -= f32(lossBits(next))
      return [bitsOf(s), widen(lossBits(next)) ^ SIGN]
    }
    default: // equal magnitudes: doubling, and x + (-x)
      return [a, next() % 2 ? a : a ^ SIGN]
  }
}

/** A row's loss as f32 bits: realistic (0 to 30), tiny, subnormal, huge, zeros, now and then NaN or inf. */
function lossBits(next: () => number, pool?: number[]): number {
  return anyLoss(next, pool) >>> 0
}
function anyLoss(next: () => number, pool?: number[]): number {
  if (pool) return pool[next() % pool.length]
  const kind = next() % 20
  if (kind < 12) return bitsFromF32(Math.fround((next() / 2 ** 32) * 30))
  if (kind === 12) return next() & 0x807fffff // subnormal or ±0
  if (kind === 13) return ((next() % 40) << 23) | (next() & 0x7fffff) // tiny normal
  if (kind === 14) return ((254 - (next() % 8)) << 23) | (next() & 0x7fffff) // huge
  if (kind === 15) return [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001][next() % 6]
  if (kind === 16) return bitsFromF32(next() % 31) // small integers: exact sums, ties between outcomes
  if (kind === 17) return (0x3f800000 + (next() % 3)) >>> 0 // 1 and its neighbours
  return next() >>> 0
}
const bitsFromF32 = (x: number) => (view.setFloat32(0, x), view.getUint32(0))

/** Bits of `got` equal `want` (any NaN in want canonical), or the first few cases that differ. */
function expectSame64(inputs: [bigint, bigint][], got: readonly bigint[], want: bigint[]) {
  const bad = got.flatMap((g, i) =>
    g === want[i]
      ? []
      : [{ a: hex64(inputs[i][0]), b: hex64(inputs[i][1]), got: hex64(g), want: hex64(want[i]) }],
  )
  expect(bad.slice(0, 5)).toEqual([])
  expect(got.length).toBe(want.length)
}

describe('Score.f64Add: IEEE binary64 addition, bit for bit with JS a + b', () => {
  const next = mulberry32(0x5eed + OP.taskDecide)
  const specials = F64_SPECIALS.flatMap((a) => F64_SPECIALS.map((b): [bigint, bigint] => [a, b]))
  const pairs = [...specials, ...Array.from({ length: CASES + 2_000 }, () => addPair(next))]

  it(
    `${pairs.length.toLocaleString('en')} pairs: every special with every special, ties, cancellation, gaps, carries, overflow`,
    async () => {
      const got: bigint[] = []
      for (let i = 0; i < pairs.length; i += 1500) {
        const slice = pairs.slice(i, i + 1500)
        got.push(
          ...(await client().readContract({
            address: chain.score,
            abi,
            functionName: 'f64AddMany',
            args: [slice.map((p) => p[0]), slice.map((p) => p[1])],
          })),
        )
      }
      const want = pairs.map(([a, b]) => bitsOf(toF64(a) + toF64(b)))
      expectSame64(pairs, got, want)
      // the cases the generator is for, present in numbers: rounding did happen, and ties, zeros, NaN, inf
      const inexact = pairs.filter(([a, b], i) => {
        const s = toF64(want[i])
        return Number.isFinite(s) && (s - toF64(a) !== toF64(b) || s - toF64(b) !== toF64(a))
      })
      expect(inexact.length).toBeGreaterThan(2_000)
      expect(want.filter((w) => (w & ~SIGN) === 0n).length).toBeGreaterThan(300)
      expect(want.filter((w) => w === NAN).length).toBeGreaterThan(100)
      expect(want.filter((w) => (w & ~SIGN) === 0x7ff0000000000000n).length).toBeGreaterThan(300)
    },
    EVM_TIMEOUT,
  )

  it('f64FromF32 widens every f32 exactly (NaN to the canonical NaN)', async () => {
    const gen = mulberry32(0x5eed + 64)
    const xs = [...specialBits, ...SPECIALS, ...Array.from({ length: 3_000 }, () => lossBits(gen))]
    const got = await client().readContract({
      address: chain.score,
      abi,
      functionName: 'f64FromF32Many',
      args: [xs],
    })
    expectSame64(
      xs.map((x) => [BigInt(x), 0n]),
      got,
      xs.map(widen),
    )
  })
})

describe('Score.f64Gt: IEEE >, as JS compares', () => {
  it('3,000 pairs with NaN, signed zeros, infinities, equal values and neighbours', async () => {
    const next = mulberry32(0x5eed + 0x47)
    const pairs = Array.from({ length: 3_000 }, (): [bigint, bigint] => {
      const a = f64Operand(next)
      const kind = next() % 4
      if (kind === 0) return [a, a]
      if (kind === 1) return [a, a ^ SIGN]
      if (kind === 2) return [a, a + (next() % 2 ? 1n : -1n)]
      return [a, f64Operand(next)]
    }).map(([a, b]): [bigint, bigint] => [a & ((1n << 64n) - 1n), b & ((1n << 64n) - 1n)])
    const all = [...F64_SPECIALS.flatMap((a) => F64_SPECIALS.map((b): [bigint, bigint] => [a, b])), ...pairs]
    const got = await batched(all, 1500, async (slice) =>
      (
        await client().readContract({
          address: chain.score,
          abi,
          functionName: 'f64GtMany',
          args: [slice.map((p) => p[0]), slice.map((p) => p[1])],
        })
      ).map(Number),
    )
    const want = all.map(([a, b]) => Number(toF64(a) > toF64(b)))
    const bad = got.flatMap((g, i) => (g === want[i] ? [] : [[hex64(all[i][0]), hex64(all[i][1]), g]]))
    expect(bad.slice(0, 5)).toEqual([])
    expect(got.length).toBe(all.length)
    expect(want.filter((w) => w === 1).length).toBeGreaterThan(800)
  })
})

type Market = { losses: number[]; layout: number[] }

/** A seeded market: 2 to 8 outcomes of 1 to 12 rows, overlapping or not, repeated or not; losses of every kind. */
function market(next: () => number): Market {
  const K = 2 + (next() % 7)
  const layout: number[] = []
  let row = next() % 4
  const overlap = next() % 3 === 0
  for (let k = 0; k < K; k++) {
    if (k > 0 && next() % 6 === 0) {
      layout.push(layout[2 * k - 2], layout[2 * k - 1]) // the same rows: a certain tie
      continue
    }
    const count = 1 + (next() % 12)
    const first = overlap ? next() % 24 : row
    layout.push(first, count)
    row = first + count + (next() % 3)
  }
  const n = Math.max(...layout.map((_, i) => (i % 2 ? layout[i - 1] + layout[i] : 0))) + (next() % 3)
  const style = next() % 8
  let losses: number[]
  if (style === 0) {
    // values from a small pool: equal sums across outcomes, ties for decide to break by index
    const pool = Array.from({ length: 1 + (next() % 3) }, () => bitsFromF32(next() % 4))
    losses = Array.from({ length: n }, () => lossBits(next, pool))
  } else if (style === 1) {
    // 1.0 and 2^-53: f64 ties at the rounding point (1 + 2^-53 rounds to 1, half up would not)
    const pool = [0x3f800000, 0x25000000, 0x25800000, 0x3f800001]
    losses = Array.from({ length: n }, () => lossBits(next, pool))
  } else if (style === 2) {
    // big and small by an exponent gap past 53 bits: sums that round
    const pool = [0x7e000000 | (next() & 0x7fffff), 0x00000001, next() & 0x007fffff, 0x3f800000]
    losses = Array.from({ length: n }, () => lossBits(next, pool))
  } else losses = Array.from({ length: n }, () => lossBits(next))
  return { losses, layout }
}

const reference = (m: Market) => decide(taskScores(m.losses.map(f32), m.layout))

describe('Score.taskDecide (op 42): decide(taskScores(losses, layout)) of src/markets/model.ts', () => {
  const next = mulberry32(0x5eed + 42 * 42)
  const markets = Array.from({ length: CASES }, () => market(next))
  const want = markets.map(reference)

  it(
    `${CASES.toLocaleString('en')} seeded markets, 2 to 8 outcomes of 1 to 12 rows`,
    async () => {
      const got = await batched(markets, 400, (slice) =>
        client().readContract({
          address: chain.score,
          abi,
          functionName: 'taskDecideMany',
          args: [slice.map((m) => m.losses), slice.map((m) => m.layout)],
        }),
      )
      const bad = got.flatMap((g, i) => (g === want[i] ? [] : [{ ...markets[i], got: g, want: want[i] }]))
      expect(bad.slice(0, 3)).toEqual([])
      expect(got.length).toBe(markets.length)
      // the winner is not always outcome 0, ties happen, and NaN scores too
      const scores = markets.map((m) => taskScores(m.losses.map(f32), m.layout))
      expect(want.filter((w) => w > 0).length).toBeGreaterThan(CASES / 2)
      expect(
        scores.filter((s, i) => s.some((x, k) => k > want[i] && x === s[want[i]])).length,
      ).toBeGreaterThan(500)
      expect(scores.filter((s) => s.some(Number.isNaN)).length).toBeGreaterThan(200)
    },
    EVM_TIMEOUT,
  )

  it(
    'the same through NormOps.recompute (500 markets) and RefereeGrad.recompute(42, …) (40)',
    async () => {
      const picked = markets.filter((_, i) => i % 20 === 0)
      const got = await batched(picked, 250, (slice) =>
        client().readContract({
          address: chain.norm,
          abi: normHarnessAbi,
          functionName: 'recomputeMany',
          args: [OP.taskDecide, slice.map((m) => m.losses), slice.map((m) => m.layout)],
        }),
      )
      expect(got).toEqual(picked.map(reference))
      for (const m of picked.slice(0, 40)) {
        const g = await client().readContract({
          address: chain.refereeGrad,
          abi: refereeGradAbi,
          functionName: 'recompute',
          args: [OP.taskDecide, m.losses, m.layout],
        })
        expect(g, JSON.stringify(m)).toBe(reference(m))
      }
    },
    EVM_TIMEOUT,
  )

  it('refuses an odd layout, one outcome, a count of 0 and rows past the end with BadOperands', async () => {
    const recompute = (a: number[], b: number[]) =>
      client().readContract({
        address: chain.refereeGrad,
        abi: refereeGradAbi,
        functionName: 'recompute',
        args: [OP.taskDecide, a, b],
      })
    const losses = [0x3f800000, 0x40000000, 0x40400000, 0x40800000]
    const bad: number[][] = [
      [0, 1, 1], // odd
      [0, 1, 1, 1, 2], // odd
      [], // no outcomes
      [0, 4], // one outcome
      [0, 1, 1, 0], // count 0
      [0, 0, 1, 1], // count 0 first
      [0, 1, 3, 2], // past the end
      [4, 1, 0, 1], // starts at the end
      [0xffffffff, 2, 0, 1], // first + count past 2^32: still past the end, no wrap
    ]
    for (const b of bad) await expect(recompute(losses, b), `layout ${b}`).rejects.toThrow(/BadOperands/)
    // the edges that are fine: the last row, and a whole-array outcome; ties to the lowest index
    expect(await recompute(losses, [3, 1, 0, 4])).toBe(0) // -4 > -10
    expect(await recompute(losses, [0, 4, 3, 1])).toBe(1)
    expect(await recompute(losses, [0, 1, 0, 1, 0, 1])).toBe(0)
  })

  it(
    'gas: 3 outcomes × 4 rows and 8 × 12 (a transaction of one RefereeGrad.recompute; docs/benchmarks.md)',
    async () => {
      const gas = async (K: number, rows: number) => {
        const g = mulberry32(K * rows)
        const losses = Array.from({ length: K * rows }, () => bitsFromF32(Math.fround((g() / 2 ** 32) * 30)))
        const layout = Array.from({ length: K }, (_, k) => [k * rows, rows]).flat()
        return client().estimateContractGas({
          address: chain.refereeGrad,
          abi: refereeGradAbi,
          functionName: 'recompute',
          args: [OP.taskDecide, losses, layout],
        })
      }
      const table = { '3 × 4': await gas(3, 4), '8 × 12': await gas(8, 12) }
      console.log(
        Object.entries(table)
          .map(([k, v]) => `taskDecide ${k}: ${v}`)
          .join('\n'),
      )
      expect(table['8 × 12']).toBeLessThan(1_000_000n)
      const sizes = await Promise.all(
        [chain.refereeNorm, chain.refereeGrad].map(async (address) => {
          const code = await client().getCode({ address })
          return ((code?.length ?? 2) - 2) / 2
        }),
      )
      console.log(`deployed bytes: RefereeNorm ${sizes[0]}, RefereeGrad ${sizes[1]}`)
      for (const s of sizes) expect(s).toBeLessThanOrEqual(24_576)
    },
    EVM_TIMEOUT,
  )
})
