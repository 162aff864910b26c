// A training step's statistics (contracts/referee/NormOps.sol, RefereeNorm) against src/kernels, bit for
// bit, through anvil: layernormRef's saved mean and std of a row, and the chunked global gradient norm
// (src/kernels/gradNormChunks.ts) — each chunk's scale word and exact sum of squares, and the norm and
// clip scale from the chunks' words, checked against globalGradNormRef and clipScale themselves. At least
// 10,000 seeded cases per id; a sample again through the referee's one-element path, through RefereeGrad's
// forwarding, its named refusals and its gas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { normHarnessAbi as abi } from '../chain/contracts/NormHarness.ts'
import { refereeGradAbi } from '../chain/contracts/RefereeGrad.ts'
import { refereeNormAbi } from '../chain/contracts/RefereeNorm.ts'
import { clipScale, globalGradNormRef } from '../kernels/adamw.ts'
import { NORM_CLIP_OUTPUTS, normClipElement, normExponent, normSquares } from '../kernels/gradNormChunks.ts'
import { layernormRef } from '../kernels/layernorm.ts'
import * as sf from '../kernels/softfloat.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_NORM_OPS as OP } from './onchain.ts'
import {
  CASES,
  EVM_TIMEOUT,
  SPECIALS,
  expectSameBits,
  hex,
  oddScaled,
  startReferee,
  vector,
  withExponent,
} from './testing.ts'

let chain: Awaited<ReturnType<typeof startReferee>>
let harness: Address
const client = () => chain.client

beforeAll(async () => {
  chain = await startReferee()
  harness = chain.norm
}, 120_000)
afterAll(() => chain?.stop())

const f32s = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer)
const bitsOf = (x: Float32Array) => [...new Uint32Array(x.buffer, x.byteOffset, x.length)]
const EPS = [1e-5, 1e-5, 0, 1e-12, 1, 1e-45, 3e38].map(sf.f32Bits)

/** Many elements of op through NormOps.recompute, the referee's path. */
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

const sample = <T>(xs: T[], count: number) => xs.filter((_, i) => i % Math.ceil(xs.length / count) === 0)

/** A row for layernorm: spreads and cancellations, constant rows, ties in the mean, specials now and then. */
function lnRow(next: () => number): number[] {
  const n = next() % 20 === 0 ? 25 + (next() % 100) : 1 + (next() % 24)
  const kind = next() % 10
  if (kind === 0) return Array(n).fill(vector(next, 1, false)[0]) // var 0: std = sqrt(eps)
  if (kind === 1) {
    // pairs ±a plus a small odd offset: exact means on a tie, deviations that cancel
    const a = oddScaled(next, 13, 100 + (next() % 60))
    return Array.from({ length: n }, (_, i) => (i % 2 ? (a ^ 0x80000000) >>> 0 : oddScaled(next, 12, 127)))
  }
  if (kind === 2) {
    // huge or tiny exponents: the row's shift s at either end
    const e = next() % 2 ? 250 + (next() % 5) : next() % 6
    return Array.from({ length: n }, () => withExponent(next, e - (next() % 3)))
  }
  return vector(next, n, next() % 12 === 0)
}

describe('layernorm statistics: each row mean (37) and std (38), bit for bit with layernormRef', () => {
  const next = mulberry32(0x5eed + OP.layernormMean)
  const rows = Array.from({ length: CASES }, () => ({ x: lnRow(next), eps: EPS[next() % EPS.length] }))
  const refs = rows.map(({ x, eps }) => {
    const n = x.length
    const r = layernormRef(f32s(x), new Float32Array(n).fill(1), new Float32Array(n), [1, n], {
      eps: sf.f32FromBits(eps),
    })
    return { mean: bitsOf(r.mean)[0], std: bitsOf(r.std)[0] }
  })

  it(
    `${CASES.toLocaleString('en')} rows of 1 to 124, every eps: mean and std`,
    async () => {
      const [mean, std]: [number[], number[]] = [[], []]
      for (let i = 0; i < rows.length; i += 40) {
        const slice = rows.slice(i, i + 40)
        const [m, s] = await client().readContract({
          address: harness,
          abi,
          functionName: 'layernormStats',
          args: [slice.map((r) => r.x), slice.map((r) => r.eps)],
        })
        mean.push(...m)
        std.push(...s)
      }
      const inputs = rows.map((r) => ({ x: hex(r.x), eps: hex([r.eps]) }))
      expectSameBits(
        inputs,
        mean,
        refs.map((r) => r.mean),
      )
      expectSameBits(
        inputs,
        std,
        refs.map((r) => r.std),
      )
    },
    EVM_TIMEOUT,
  )

  it(
    'the same through recompute (300 rows each) and RefereeGrad’s forwarding (20)',
    async () => {
      const picked = sample(rows, 300)
      const cases = picked.map((r): [number[], number[]] => [r.x, [r.eps]])
      const want = picked.map((r) => refs[rows.indexOf(r)])
      expectSameBits(
        cases,
        await recomputeMany(OP.layernormMean, cases, 100),
        want.map((r) => r.mean),
      )
      expectSameBits(
        cases,
        await recomputeMany(OP.layernormStd, cases, 100),
        want.map((r) => r.std),
      )
      for (const [i, [a, b]] of cases.slice(0, 20).entries()) {
        for (const op of [OP.layernormMean, OP.layernormStd]) {
          const got = await client().readContract({
            address: chain.refereeGrad,
            abi: refereeGradAbi,
            functionName: 'recompute',
            args: [op, a, b],
          })
          expect(got, `row ${i}, op ${op}`).toBe(op === OP.layernormMean ? want[i].mean : want[i].std)
        }
      }
    },
    EVM_TIMEOUT,
  )
})

/** A gradient chunk: one binade band or wide spreads, subnormals, sometimes NaN or infinities. */
function gradChunk(next: () => number, n: number, nonFinite: boolean): number[] {
  const x = vector(next, n, nonFinite)
  if (next() % 25 === 0) x.fill(0)
  if (nonFinite && next() % 4 === 0) x[next() % Math.max(1, n)] = SPECIALS[next() % SPECIALS.length]
  return x.slice(0, n)
}

describe('the gradient norm in chunks (39, 40, 41), bit for bit with gradNormChunks and globalGradNormRef', () => {
  type GradSet = { chunks: number[][]; scale: number; words: number[]; maxNorm: number }
  const next = mulberry32(0x5eed + OP.normExponent)
  const sets: GradSet[] = Array.from({ length: CASES }, () => {
    const nonFinite = next() % 10 === 0
    const chunks = Array.from({ length: 1 + (next() % 4) }, () =>
      gradChunk(next, next() % 12 === 0 ? 0 : 1 + (next() % 20), nonFinite),
    )
    const scale = normExponent(chunks.map(normExponent))
    const words = chunks.flatMap((c) => [...normSquares(c, scale)])
    const maxNorm = [0x3f800000, 0x40a00000, 0x00000001, 0x7f7fffff, 0, next()][next() % 6]
    return { chunks, scale, words, maxNorm }
  })
  const chunks = sets.flatMap((s) => s.chunks.map((c) => ({ c, scale: s.scale })))

  it(
    `normExponent: ${chunks.length.toLocaleString('en')} chunks, and every set's scale from its chunks' words`,
    async () => {
      expect(chunks.length).toBeGreaterThanOrEqual(CASES)
      const call = async (xs: number[][]) => {
        const out: number[] = []
        for (let i = 0; i < xs.length; i += 1000) {
          const slice = xs.slice(i, i + 1000)
          out.push(
            ...(await client().readContract({
              address: harness,
              abi,
              functionName: 'exponents',
              args: [slice],
            })),
          )
        }
        return out
      }
      const got = await call(chunks.map((c) => c.c))
      expectSameBits(
        chunks,
        got,
        chunks.map((c) => normExponent(c.c)),
      )
      // the second level: the op over its own outputs is the global scale
      let at = 0
      const levels = sets.map((s) => got.slice(at, (at += s.chunks.length)))
      expectSameBits(
        sets,
        await call(levels),
        sets.map((s) => s.scale),
      )
    },
    EVM_TIMEOUT,
  )

  it(
    `normSquares: every word of ${chunks.length.toLocaleString('en')} chunks at their global scale`,
    async () => {
      const got: number[] = []
      for (let i = 0; i < chunks.length; i += 400) {
        const slice = chunks.slice(i, i + 400)
        got.push(
          ...(await client().readContract({
            address: harness,
            abi,
            functionName: 'squares',
            args: [slice.map((c) => c.c), slice.map((c) => c.scale)],
          })),
        )
      }
      const inputs = chunks.flatMap((c) =>
        [0, 1, 2, 3, 4].map((j) => ({ chunk: hex(c.c), scale: c.scale, j })),
      )
      expectSameBits(
        inputs,
        got,
        chunks.flatMap((c) => [...normSquares(c.c, c.scale)]),
      )
    },
    EVM_TIMEOUT,
  )

  it(
    `normClip: ${CASES.toLocaleString('en')} sets' norm and clip scale (globalGradNormRef, clipScale) and combined words`,
    async () => {
      const got: number[] = []
      for (let i = 0; i < sets.length; i += 250) {
        const slice = sets.slice(i, i + 250)
        got.push(
          ...(await client().readContract({
            address: harness,
            abi,
            functionName: 'clips',
            args: [slice.map((s) => s.words), slice.map((s) => s.scale), slice.map((s) => s.maxNorm)],
          })),
        )
      }
      const want = sets.flatMap((s) => {
        const norm = globalGradNormRef(s.chunks.map(f32s))
        const combined = [2, 3, 4, 5, 6].map((k) => normClipElement(s.words, s.scale, s.maxNorm, k))
        return [sf.f32Bits(norm), sf.f32Bits(clipScale(norm, sf.f32FromBits(s.maxNorm))), ...combined]
      })
      const inputs = sets.flatMap((s) =>
        Array.from({ length: NORM_CLIP_OUTPUTS }, (_, k) => ({
          chunks: s.chunks.map(hex),
          maxNorm: s.maxNorm,
          k,
        })),
      )
      expectSameBits(inputs, got, want)
    },
    EVM_TIMEOUT,
  )

  it(
    'the same through recompute (300 cases of each id, every j and k) and RefereeGrad’s forwarding',
    async () => {
      const picked = sample(sets, 300)
      const exp = picked.map((s): [number[], number[]] => [s.chunks[0], []])
      expectSameBits(
        exp,
        await recomputeMany(OP.normExponent, exp, 300),
        exp.map(([a]) => normExponent(a)),
      )
      const sq = picked.map((s, i): [number[], number[]] => [s.chunks[0], [s.scale, i % 5]])
      expectSameBits(
        sq,
        await recomputeMany(OP.normSquares, sq, 150),
        sq.map(([a, [scale, j]]) => normSquares(a, scale)[j]),
      )
      const clip = picked.map((s, i): [number[], number[]] => [
        s.words,
        [i % NORM_CLIP_OUTPUTS, s.scale, s.maxNorm],
      ])
      expectSameBits(
        clip,
        await recomputeMany(OP.normClip, clip, 300),
        clip.map(([a, [k, scale, maxNorm]]) => normClipElement(a, scale, maxNorm, k)),
      )
      for (const [op, cases] of [
        [OP.normExponent, exp],
        [OP.normSquares, sq],
        [OP.normClip, clip],
      ] as const) {
        for (const [a, b] of cases.slice(0, 10)) {
          const args = [op, a, b] as const
          const viaGrad = await client().readContract({
            address: chain.refereeGrad,
            abi: refereeGradAbi,
            functionName: 'recompute',
            args,
          })
          const direct = await client().readContract({
            address: chain.refereeNorm,
            abi: refereeNormAbi,
            functionName: 'recompute',
            args,
          })
          expect(viaGrad).toBe(direct)
        }
      }
    },
    EVM_TIMEOUT,
  )
})

describe('RefereeNorm: supported ids, named refusals and gas', () => {
  const recompute = (op: number, a: number[], b: number[]) =>
    client().readContract({
      address: chain.refereeNorm,
      abi: refereeNormAbi,
      functionName: 'recompute',
      args: [op, a, b],
    })
  const one = 0x3f800000
  const scale = 127 << 23

  it('supports exactly 37 to 42, through RefereeGrad too; refuses the rest with OpNotSupported', async () => {
    const supported = (address: Address, id: number) =>
      client().readContract({ address, abi: refereeNormAbi, functionName: 'supported', args: [id] })
    for (const id of Object.values(OP)) {
      expect(await supported(chain.refereeNorm, id)).toBe(true)
      expect(await supported(chain.refereeGrad, id)).toBe(true)
      expect(await supported(chain.referee, id)).toBe(false)
    }
    for (const id of [0, 21, 25, 31, 36, 43, 255]) {
      expect(await supported(chain.refereeNorm, id)).toBe(false)
      await expect(recompute(id, [one], [one])).rejects.toThrow(/OpNotSupported/)
    }
  })

  it('refuses wrong operand counts and malformed words with BadOperands, a scale below the chunk’s by name', async () => {
    const words = [1, 0, 0, 0, 0]
    const bad: [number, number[], number[], RegExp][] = [
      [OP.layernormMean, [], [one], /BadOperands/],
      [OP.layernormMean, [one], [], /BadOperands/],
      [OP.layernormStd, [one], [one, one], /BadOperands/],
      [OP.normExponent, [one], [0], /BadOperands/],
      [OP.normSquares, [one], [scale], /BadOperands/],
      [OP.normSquares, [one], [scale, 5], /BadOperands/],
      [OP.normSquares, [one], [scale + 1, 0], /BadOperands/], // not e << 23
      [OP.normSquares, [one], [0, 0], /BadOperands/], // e = 0
      [OP.normSquares, [one], [255 << 23, 0], /BadOperands/],
      [OP.normSquares, [0x40000000], [scale, 0], /ScaleBelowChunk/],
      [OP.normClip, words, [0, scale], /BadOperands/],
      [OP.normClip, words, [7, scale, one], /BadOperands/],
      [OP.normClip, words.slice(1), [0, scale, one], /BadOperands/], // not whole chunks
      [OP.normClip, [0, 0, 0, 0, 4], [0, scale, one], /BadOperands/], // no such flag
      [OP.normClip, words, [0, 1, one], /BadOperands/],
    ]
    for (const [op, a, b, error] of bad)
      await expect(recompute(op, a, b), `op ${op} ${b}`).rejects.toThrow(error)
    // the edges that are fine: no chunks (norm 0, scale 1), an empty chunk (all-zero words)
    expect(await recompute(OP.normClip, [], [0, 1 << 23, one])).toBe(0)
    expect(await recompute(OP.normClip, [], [1, 1 << 23, one])).toBe(one)
    expect(await recompute(OP.normSquares, [], [1 << 23, 4])).toBe(0)
    expect(await recompute(OP.normExponent, [], [])).toBe(1 << 23)
  })

  it(
    'gas per element (a transaction of one recompute through RefereeGrad; docs/disputes.md)',
    async () => {
      const gas = (op: number, a: number[], b: number[]) =>
        client().estimateContractGas({
          address: chain.refereeGrad,
          abi: refereeGradAbi,
          functionName: 'recompute',
          args: [op, a, b],
        })
      const v = (n: number, seed: number) => vector(mulberry32(seed), n, false)
      const eps = sf.f32Bits(1e-5)
      const table: Record<string, bigint> = {}
      for (const n of [64, 768]) {
        table[`layernormMean, row of ${n}`] = await gas(OP.layernormMean, v(n, n), [eps])
        table[`layernormStd, row of ${n}`] = await gas(OP.layernormStd, v(n, n), [eps])
      }
      for (const n of [256, 1024, 4096]) {
        const chunk = v(n, n)
        table[`normExponent, chunk of ${n}`] = await gas(OP.normExponent, chunk, [])
        table[`normSquares, chunk of ${n}`] = await gas(OP.normSquares, chunk, [normExponent(chunk), 0])
      }
      for (const c of [16, 256, 1024]) {
        const words = Array.from({ length: c }, (_, i) => [...normSquares(v(8, i), 254 << 23)]).flat()
        table[`normClip, ${c} chunks`] = await gas(OP.normClip, words, [1, 254 << 23, one])
      }
      console.log(
        Object.entries(table)
          .map(([k, g]) => `${k}: ${g}`)
          .join('\n'),
      )
      expect(table['normSquares, chunk of 1024']).toBeLessThan(30_000_000n)
    },
    EVM_TIMEOUT,
  )
})
