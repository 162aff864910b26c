import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { mulberry32 } from '../util/random.ts'
import { downloadF32, release, upload } from '../gpu/tensor.ts'
import * as ew from './elementwise.ts'
import * as sf from './softfloat.ts'
import { operandPairs, probeOn } from './softfloatProbe.ts'
import { adversarialF32, expectBitsEqual, fromBits } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())
const probe = (op: number, a: Uint32Array, b: Uint32Array) => probeOn(gpu, op, a, b)

const asF32 = (w: Uint32Array) => new Float32Array(w.buffer, w.byteOffset, w.length)

function reference(a: Uint32Array, b: Uint32Array, f: (x: number, y: number) => number): Float32Array {
  return sf.f32Array(a.length, (i) => f(fromBits(a[i]), fromBits(b[i])))
}

describe('softfloat primitives on the GPU', () => {
  const n = 100_003
  const [a, b] = operandPairs(n, 7)
  const binary: [string, number, (x: number, y: number) => number][] = [
    ['add', 0, sf.add],
    ['sub', 1, sf.sub],
    ['mul', 2, sf.mul],
    ['div', 3, sf.div],
    ['max', 8, sf.max],
    ['min', 9, sf.min],
  ]

  it.each(binary)('sf_%s equals Math.fround of the double result, bit for bit', async (name, op, f) => {
    expectBitsEqual(asF32(await probe(op, a, b)), reference(a, b, f), `sf_${name}`)
  })

  it('sf_sqrt equals Math.fround(Math.sqrt), bit for bit, including exact squares', async () => {
    const x = a.map((w, i) => (i % 3 === 0 ? sf.f32Bits(Math.fround(Math.sqrt(w % 4096) * (w % 4096))) : w))
    expectBitsEqual(asF32(await probe(4, x, b)), reference(x, b, sf.sqrt), 'sf_sqrt')
  })

  it('sf_neg and sf_abs flip or clear the sign, canonicalising NaN', async () => {
    expectBitsEqual(asF32(await probe(13, a, b)), reference(a, b, sf.neg), 'sf_neg')
    expectBitsEqual(asF32(await probe(14, a, b)), reference(a, b, sf.abs), 'sf_abs')
  })

  it.each([
    ['lt', 5, sf.lt],
    ['le', 6, sf.le],
    ['eq', 7, sf.eq],
  ] as const)('sf_%s follows IEEE comparison (NaN unordered, -0 == +0)', async (name, op, f) => {
    const pairs = 4000
    const x = a.slice(0, pairs)
    const y = b.slice(0, pairs)
    for (let i = 0; i < pairs; i += 4) y[i] = i % 8 === 0 ? x[i] : x[i] ^ 0x80000000 // equal and ±0
    const expected = Uint32Array.from(x, (w, i) => Number(f(fromBits(w), fromBits(y[i]))))
    expect(Array.from(await probe(op, x, y)), `sf_${name}`).toEqual(Array.from(expected))
  })

  it('sf_from_i32, sf_ldexp and sf_round_to_i32 match their references', async () => {
    const ints = a.map((w, i) => (i % 2 ? w : w >> (w % 31)))
    const fromExpected = sf.f32Array(n, (i) => sf.fromI32(ints[i] | 0))
    expectBitsEqual(asF32(await probe(10, ints, b)), fromExpected, 'sf_from_i32')
    const shifts = b.map((w) => ((w % 661) - 330) >>> 0)
    const ldexpExpected = sf.f32Array(n, (i) => sf.ldexp(fromBits(a[i]), shifts[i] | 0))
    expectBitsEqual(asF32(await probe(11, a, shifts)), ldexpExpected, 'sf_ldexp')
    const rounded = new Int32Array((await probe(12, a, b)).buffer)
    const roundExpected = Int32Array.from(a, (w) => sf.roundToI32(fromBits(w)))
    expect(Array.from(rounded)).toEqual(Array.from(roundExpected))
  })

  it('the operand mix really contains ties, subnormal results and cancellations', () => {
    let ties = 0
    let subnormals = 0
    let cancellations = 0
    for (let i = 0; i < n; i++) {
      const [x, y] = [fromBits(a[i]), fromBits(b[i])]
      if (isTie(x + y)) ties++
      if (isTie(x * y)) ties++
      for (const r of [Math.fround(x + y), Math.fround(x * y)])
        if (r !== 0 && Math.abs(r) < 2 ** -126) subnormals++
      const r = Math.fround(x + y)
      if (r !== 0 && Math.abs(r) < Math.abs(x) * 2 ** -8) cancellations++
    }
    expect(ties).toBeGreaterThan(2000)
    expect(subnormals).toBeGreaterThan(1000)
    expect(cancellations).toBeGreaterThan(1000)
  })
})

/** Whether a double lies exactly halfway between two adjacent finite f32 values. */
function isTie(exact: number): boolean {
  const r = Math.fround(exact)
  if (!Number.isFinite(r) || r === exact) return false
  // Stepping the bit pattern moves away from zero when exact lies beyond r, towards it otherwise.
  const other = fromBits(sf.f32Bits(r) + (Math.abs(exact) > Math.abs(r) ? 1 : -1))
  return Math.abs(exact - r) === Math.abs(other - exact)
}

/** adversarialF32 (specials, NaN, Inf, subnormals, every exponent) with a third spread over [-16, 16]. */
function inputs(n: number, seed: number): Float32Array {
  const x = adversarialF32(n, seed, { nonFinite: true })
  const next = mulberry32(seed + 100)
  for (let i = 30; i < n; i += 3) x[i] = ((next() / 2 ** 32) * 32 - 16) * (i % 2 ? 1 : 1 / 1024)
  return x
}

const sizes = [1, 7, 3001]

describe('elementwise kernels equal the TypeScript reference bit for bit', () => {
  it.each(ew.UNARY_OPS)('%s', async (op) => {
    for (const n of sizes) {
      const x = inputs(n, n + 1)
      const tx = upload(gpu, x)
      const ty = await ew.unary(gpu, op, tx)
      expectBitsEqual(await downloadF32(gpu, ty), ew.unaryRef(op, x), `${op} n=${n}`)
      release(gpu, tx, ty)
    }
  })

  it.each(ew.BINARY_OPS)('%s, same shape and with a row bias', async (op) => {
    const [rows, cols] = [43, 71]
    const a = inputs(rows * cols, 5)
    const b = inputs(rows * cols, 6).reverse()
    const bias = inputs(cols, 7)
    const [ta, tb, tbias] = [upload(gpu, a, [rows, cols]), upload(gpu, b, [rows, cols]), upload(gpu, bias)]
    const same = await ew.binary(gpu, op, ta, tb)
    const biased = await ew.binary(gpu, op, ta, tbias)
    expectBitsEqual(await downloadF32(gpu, same), ew.binaryRef(op, a, b), `${op} same shape`)
    expectBitsEqual(await downloadF32(gpu, biased), ew.binaryRef(op, a, bias), `${op} bias`)
    release(gpu, ta, tb, tbias, same, biased)
  })

  it.each(ew.GRAD_OPS)('%s backward', async (op) => {
    for (const n of sizes) {
      const x = inputs(n, 2 * n)
      const dy = inputs(n, 2 * n + 1).reverse()
      const [tx, tdy] = [upload(gpu, x), upload(gpu, dy)]
      const dx = await ew.grad(gpu, op, tx, tdy)
      expectBitsEqual(await downloadF32(gpu, dx), ew.gradRef(op, x, dy), `${op}' n=${n}`)
      release(gpu, tx, tdy, dx)
    }
  })

  it('scale, by a factor that rounds to f32 first', async () => {
    const x = inputs(3001, 9)
    const tx = upload(gpu, x)
    for (const s of [0.1, -3, 0, Infinity, 2 ** -140]) {
      const ty = await ew.scale(gpu, tx, s)
      expectBitsEqual(await downloadF32(gpu, ty), ew.scaleRef(x, s), `scale ${s}`)
      release(gpu, ty)
    }
    release(gpu, tx)
  })

  it('covers tensors past 65535 workgroups of 64 with a 2-D grid', async () => {
    const n = 65535 * 64 + 129
    const x = new Float32Array(n).map((_, i) => i - n / 2)
    const tx = upload(gpu, x)
    const ty = await ew.unary(gpu, 'neg', tx)
    expectBitsEqual(await downloadF32(gpu, ty), ew.unaryRef('neg', x), 'neg, 2-D grid')
    release(gpu, tx, ty)
  })

  it('rejects mismatched shapes and dtypes before touching the GPU', async () => {
    const a = upload(gpu, new Float32Array(6), [2, 3])
    const wrong = upload(gpu, new Float32Array(2))
    const ints = upload(gpu, new Int32Array(6), [2, 3])
    await expect(ew.binary(gpu, 'add', a, wrong)).rejects.toThrow(/shapes \[2, 3\] and \[2\] differ/)
    await expect(ew.grad(gpu, 'relu', a, ints)).rejects.toThrow(/expected a f32 tensor; got i32/)
    await expect(ew.unary(gpu, 'exp', ints)).rejects.toThrow(/expected a f32 tensor/)
    release(gpu, a, wrong, ints)
  })
})
