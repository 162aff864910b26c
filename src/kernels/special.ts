// Erf, sin and cos as fixed sequences of the softfloat primitives (src/kernels/softfloat.ts), mirrored
// line for line by sf_erf, sf_sin and sf_cos in shaders/lib/softfloat.wgsl, so the CPU reference and
// every GPU give the same bits. Their accuracy against float64 is measured in special.test.ts.
import * as sf from './softfloat.ts'

const c = sf.f32FromBits

/** Truncation toward zero of a finite f32 below 2^31 in magnitude (the WGSL side works on the bits). */
export function truncToI32(a: number): number {
  return Math.trunc(a) | 0
}

// ---- erf, from the normal-distribution pieces the exact GELU already uses (softfloat.ts). ----
// erf x = 2 Phi(t) - 1 with t = x sqrt 2: below t = 0.75 that is 2 t P(t^2) (phiSmall's polynomial,
// no cancellation near 0); above, erf x = 1 - erfc x with erfc x = 2 Q(t) = 2 e^(-x^2) H(t) / t, e^(-x^2)
// taken from x^2 carried exactly, so only H's argument is rounded. erfc x < 2^-25 from x = 4 on.
const SQRT2 = c(0x3fb504f3)
const TWO_SQRT2 = c(0x403504f3)
const PHI_SMALL = [0x38d7e1cb, 0xba9ad559, 0x3c236310, 0xbd882c10, 0x3ecc422a].map(c)

function poly(coefs: readonly number[], x: number): number {
  let y = coefs[0]
  for (let i = 1; i < coefs.length; i++) y = sf.add(sf.mul(y, x), coefs[i])
  return y
}

export function erf(x: number): number {
  if (x !== x) return NaN
  const a = sf.abs(x)
  if (a >= 4) return x > 0 ? 1 : -1
  const t = sf.mul(a, SQRT2)
  if (t < 0.75) {
    // 2 t P(t^2) = x 2 sqrt2 P(2 x^2): 2x^2 is exact of x^2, so t itself is never rounded here
    const u = sf.mul(sf.mul(x, x), 2)
    return sf.mul(x, sf.mul(TWO_SQRT2, poly(PHI_SMALL, u)))
  }
  const h = sf.twoProdP(a, a)
  const y = sf.expY(sf.neg(h), sf.neg(sf.more[0]))
  const k = sf.more[0]
  const w = sf.div(1, t)
  const r = sf.sub(1, sf.ldexp(sf.mul(y, sf.mul(sf.millsFit(t, w), w)), k + 1))
  return x < 0 ? sf.neg(r) : r
}

// ---- sin and cos: Cephes sinf/cosf polynomials on [-pi/4, pi/4], with a longer reduction. ----
// x = j pi/4 + r with j even: pi/4 is carried in five parts, the first four of at most 8 significant
// bits, so j * part is exact while j < 2^16 and r loses nothing to cancellation. That bounds the
// accurate domain: |x| < 51471 (j = 4|x|/pi < 2^16); beyond it the result is NaN, by definition, rather
// than a number that has lost its digits (rotary tables stay far inside: position * inv_freq).
const FOPI = c(0x3fa2f983) // 4 / pi
const PIO4 = [0x3f490000, 0x397d0000, 0x352a0000, 0x30080000, 0x2bb4611a].map(c)
export const TRIG_LIMIT = 51471
const SIN_P = [0xb94ca1f9, 0x3c08839e, 0xbe2aaaa3].map(c)
const COS_P = [0x37ccf5ce, 0xbab6061a, 0x3d2aaaa5].map(c)

/** sin (cos = false) or cos (cos = true) of x. */
function sinCos(x: number, cos: boolean): number {
  if (x !== x) return NaN
  const a = sf.abs(x)
  if (!(a < TRIG_LIMIT)) return NaN
  if (a === 0) return cos ? 1 : x
  let j = truncToI32(sf.mul(a, FOPI))
  if ((j & 1) === 1) j += 1
  const y = sf.fromI32(j)
  let r = a
  for (const p of PIO4) r = sf.sub(r, sf.mul(y, p))
  let octant = j & 7
  let negative = !cos && x < 0
  if (octant > 3) {
    negative = !negative
    octant -= 4
  }
  if (cos && octant > 1) negative = !negative
  const z = sf.mul(r, r)
  // octant is 0 or 2: sin's octant 2 and cos's octant 0 take the cosine polynomial
  const usesCos = (octant === 2) !== cos
  const v = usesCos
    ? sf.add(sf.sub(sf.mul(sf.mul(poly(COS_P, z), z), z), sf.mul(0.5, z)), 1)
    : sf.add(sf.mul(sf.mul(poly(SIN_P, z), z), r), r)
  return negative ? sf.neg(v) : v
}

export const sin = (x: number) => sinCos(x, false)
export const cos = (x: number) => sinCos(x, true)
