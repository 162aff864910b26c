// shaders/lib/softfloat_fast.wgsl: wherever a first-pass function does not flag an element, its answer
// is the full softfloat function's, bit for bit (the redo pass covers the flagged ones); and on ordinary
// values it flags few, or the two passes would be slower than one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { mulberry32 } from '../util/random.ts'
import { geluTanhGrad } from './elementwise.ts'
import * as sf from './softfloat.ts'
import { operandPairs, probeOn } from './softfloatProbe.ts'
import { fromBits } from './testing.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const FLAG = 100

/** The words where op did not flag, against the reference's; and how many it flagged. */
async function unflagged(op: number, a: Uint32Array, b: Uint32Array, ref: (i: number) => number) {
  const [got, flags] = [await probeOn(gpu, op, a, b), await probeOn(gpu, op + FLAG, a, b)]
  const mismatches: string[] = []
  let flagged = 0
  for (let i = 0; i < a.length; i++) {
    if (flags[i]) {
      flagged++
      continue
    }
    const want = ref(i) >>> 0
    if (got[i] !== want && mismatches.length < 5)
      mismatches.push(
        `a=${a[i].toString(16)} b=${b[i].toString(16)}: ${got[i].toString(16)} != ${want.toString(16)}`,
      )
  }
  return { mismatches, flagged }
}

const bits = (x: number) => sf.f32Bits(Math.fround(x))

/** Floats of every sign with exponents in [-30, 30] (normal, far from the edges), one in 16 zero. */
function ordinary(n: number, seed: number): Uint32Array {
  const next = mulberry32(seed)
  return Uint32Array.from({ length: n }, (_, i) =>
    i % 16 === 0 ? (next() & 1) << 31 : ((next() & 0x807fffff) | ((127 - 30 + (next() % 61)) << 23)) >>> 0,
  )
}

describe('first-pass softfloat (nf_) equals the full functions wherever it does not flag', () => {
  const n = 100_003
  const [a, b] = operandPairs(n, 11)
  const [oa, ob] = [ordinary(n, 12), ordinary(n, 13)]

  it.each([
    ['add', 15, sf.add],
    ['mul', 16, sf.mul],
    ['div', 17, sf.div],
  ] as const)('nf_%s', async (name, op, f) => {
    const ref = (x: Uint32Array, y: Uint32Array) => (i: number) => bits(f(fromBits(x[i]), fromBits(y[i])))
    const hostile = await unflagged(op, a, b, ref(a, b))
    expect(hostile.mismatches, `nf_${name} on the rounding mix`).toEqual([])
    expect(hostile.flagged).toBeGreaterThan(0) // the mix has NaN, Inf and subnormals: they must be flagged
    const plain = await unflagged(op, oa, ob, ref(oa, ob))
    expect(plain.mismatches, `nf_${name} on ordinary values`).toEqual([])
    const zeroDivisors = ob.filter((w) => (w & 0x7fffffff) === 0).length // x / 0 is left to sf_div
    expect(plain.flagged, `nf_${name} flags ordinary values`).toBe(name === 'div' ? zeroDivisors : 0)
  })

  it('nf_ldexp, nf_from_i32 and nf_round_to_i32', async () => {
    const shifts = b.map((w) => ((w % 661) - 330) >>> 0)
    const ld = await unflagged(18, a, shifts, (i) => bits(sf.ldexp(fromBits(a[i]), shifts[i] | 0)))
    expect(ld.mismatches).toEqual([])
    const ints = a.map((w, i) => (i % 2 ? w : w >> (w % 31)))
    const from = await unflagged(19, ints, b, (i) => bits(sf.fromI32(ints[i] | 0)))
    expect(from.mismatches).toEqual([])
    expect(from.flagged).toBeLessThan(n) // small integers convert here
    const round = await unflagged(20, a, b, (i) => sf.roundToI32(fromBits(a[i])))
    expect(round.mismatches).toEqual([])
  })

  it("nf_two_prod's error is Dekker's (sf_two_prod)", async () => {
    const dekker = (x: Uint32Array, y: Uint32Array) => (i: number) => {
      sf.twoProdP(fromBits(x[i]), fromBits(y[i]))
      return bits(sf.more[0])
    }
    // Products of short significands are exact (error 0, whose sign Dekker decides): flagged, not guessed.
    const short = a.map((w, i) => (i % 4 ? w : w & 0xffff0000))
    for (const [x, y] of [
      [a, b],
      [short, b],
      [oa, ob],
    ]) {
      const r = await unflagged(23, x, y, dekker(x, y))
      expect(r.mismatches).toEqual([])
    }
    const plain = await unflagged(23, oa, ob, dekker(oa, ob))
    const zeros = oa.filter((w, i) => !(w & 0x7fffffff) || !(ob[i] & 0x7fffffff)).length
    expect(plain.flagged - zeros, 'ordinary products sent to the second pass').toBeLessThan(n / 1000)
  })

  it('nf_gelu_tanh and its gradient, on the rounding mix and on activations', async () => {
    const next = mulberry32(14)
    // Pre-activations as a layer sees them: mostly within a few units of 0, some far out.
    const acts = Uint32Array.from({ length: n }, (_, i) =>
      bits(((next() / 2 ** 32) * 2 - 1) * (i % 10 ? 4 : 16)),
    )
    for (const x of [a, acts]) {
      const gelu = await unflagged(21, x, b, (i) => bits(sf.geluTanh(fromBits(x[i]))))
      expect(gelu.mismatches, 'nf_gelu_tanh').toEqual([])
      const grad = await unflagged(22, x, b, (i) => bits(geluTanhGrad(fromBits(x[i]), fromBits(b[i]))))
      expect(grad.mismatches, 'nf_gelu_tanh_grad').toEqual([])
    }
    const plain = await unflagged(21, acts, ob, (i) => bits(sf.geluTanh(fromBits(acts[i]))))
    // Only (-11, -10], where e^v underflows, and x^2's underflow near 0 go to the second pass.
    expect(plain.flagged / n, 'share of activations sent to the second pass').toBeLessThan(0.01)
  })
})
