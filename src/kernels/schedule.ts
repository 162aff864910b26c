// Optimizer scalars computed on the CPU: the learning-rate schedule and Adam's bias corrections.
// Every peer must feed the GPU the same f32 bits, but Math.pow and Math.cos may differ in their last
// bits between JS engines. So these use only the softfloat twins (add, sub, mul, div: IEEE-exact in
// every engine) and exact integer and power-of-two steps, in a fixed order.
import * as sf from './softfloat.ts'

const c = sf.f32FromBits
const poly = (coefs: readonly number[], z: number) => coefs.reduce((y, k) => sf.add(sf.mul(y, z), k))

// Taylor series on |t| <= 1/4, highest coefficient first, rounded to f32 (the first omitted terms
// are below 2e-9 relative, far under half an ulp): sin(pi t) = t (pi + t^2 S(t^2)) with pi carried
// as PI_HI + PI_LO, and cos(pi t) = C(t^2).
const PI_HI = c(0x40490fdb)
const PI_LO = c(0xb3bbbd2e)
const SIN_PI = [0x3da83c1a, 0xbf196966, 0x402335e3, 0xc0a55de7].map(c)
const COS_PI = [0xbcd368f9, 0x3e70fa83, 0xbfaae9e4, 0x4081e0f8, 0xc09de9e6, 0x3f800000].map(c)

/** sin(pi t) for |t| <= 1/4: t * PI_HI exactly (two-product), then the small terms, one rounding. */
function sinPiSmall(t: number): number {
  const z = sf.mul(t, t)
  const [p, e] = sf.twoProd(t, PI_HI)
  return sf.add(p, sf.add(e, sf.mul(t, sf.add(PI_LO, sf.mul(z, poly(SIN_PI, z))))))
}

/** cos(pi t) for |t| <= 1/4. */
function cosPiSmall(t: number): number {
  return poly(COS_PI, sf.mul(t, t))
}

/**
 * cos(pi x) for an f32 x, within 1.25 ulp of the true value (1.2 measured; schedule.test.ts).
 * The range reduction is exact: x mod 2 of an f32 and the reflections 2 - t, 1 - t, 1/2 - t are
 * all representable (Sterbenz), so only the polynomials round.
 */
export function cosPi(x: number): number {
  if (!Number.isFinite(x)) return NaN
  let t = Math.abs(Math.fround(x))
  if (t >= 2 ** 24) return 1 // every such f32 is an even integer
  t = sf.sub(t, sf.mul(2, Math.floor(sf.mul(t, 0.5)))) // in [0, 2); floor of an f32 is exact
  if (t > 1) t = sf.sub(2, t)
  const flip = t > 0.5
  if (flip) t = sf.sub(1, t)
  const r = t > 0.25 ? sinPiSmall(sf.sub(0.5, t)) : cosPiSmall(t)
  return flip ? sf.neg(r) : r
}

export interface LrScheduleOptions {
  /** The learning rate at the end of warmup. */
  peak: number
  /** Steps of linear warmup (0 for none). */
  warmup: number
  /** The step at which the cosine reaches `min`; later steps stay there. */
  total: number
  /** The floor of the decay. */
  min: number
}

/**
 * The learning rate for a 0-based step, as an f32: linear warmup peak * (step + 1) / warmup, then a
 * cosine decay from peak to min over [warmup, total], then min. The decay factor is computed as
 * cos(pi r / 2)^2 = (1 + cos(pi r)) / 2, which does not cancel near the end. Within 3.5 ulp of
 * float64 over the whole schedule (measured in schedule.test.ts).
 *
 * @example
 * const lr = lrSchedule(step, { peak: 6e-4, warmup: 700, total: 19073, min: 6e-5 })
 */
export function lrSchedule(step: number, options: LrScheduleOptions): number {
  const { warmup, total } = options
  const [peak, min] = [Math.fround(options.peak), Math.fround(options.min)]
  for (const [name, v] of Object.entries({ step, warmup, total })) {
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 2) {
      throw new RangeError(`lrSchedule: ${name} must be an integer in [0, 2^31 - 2]; got ${v}.`)
    }
  }
  if (total < warmup) throw new RangeError(`lrSchedule: total (${total}) must be >= warmup (${warmup}).`)
  if (!Number.isFinite(peak) || !Number.isFinite(min)) {
    throw new RangeError(
      `lrSchedule: peak and min must be finite f32 values; got ${options.peak}, ${options.min}.`,
    )
  }
  if (step < warmup) return sf.mul(peak, sf.div(sf.fromI32(step + 1), sf.fromI32(warmup)))
  if (step >= total) return min
  // h = cos(pi r / 2) with r = (step - warmup) / span; past r = 1/2 as sin(pi q / 2) with q = 1 - r,
  // each fraction rounded once from exact integers, so both ends keep their relative accuracy.
  const span = sf.fromI32(total - warmup)
  const r = sf.div(sf.fromI32(step - warmup), span)
  const h =
    r <= 0.5 ? cosPiSmall(sf.mul(r, 0.5)) : sinPiSmall(sf.mul(sf.div(sf.fromI32(total - step), span), 0.5))
  return sf.add(min, sf.mul(sf.mul(h, h), sf.sub(peak, min)))
}

// ---- beta^t in double-f32 arithmetic: a value carried as an unevaluated sum hi + lo. ----

/** a + b = s + e exactly when |a| >= |b| (Dekker's fast two-sum). */
function fastTwoSum(a: number, b: number): [number, number] {
  const s = sf.add(a, b)
  return [s, sf.sub(b, sf.sub(s, a))]
}

/** a + b = s + e exactly (Knuth's two-sum). */
function twoSum(a: number, b: number): [number, number] {
  const s = sf.add(a, b)
  const bb = sf.sub(s, a)
  return [s, sf.add(sf.sub(a, sf.sub(s, bb)), sf.sub(b, bb))]
}

/** (ah + al)(bh + bl), relative error ~2^-44: the exact product of the highs plus the cross terms. */
function mulPair([ah, al]: [number, number], [bh, bl]: [number, number]): [number, number] {
  const [p, e] = sf.twoProd(ah, bh)
  return fastTwoSum(p, sf.add(e, sf.add(sf.mul(ah, bl), sf.mul(al, bh))))
}

/**
 * beta^t as hi + lo by left-to-right binary powering (log2 t squarings), each step in double-f32.
 * An early error is amplified by up to t, so single f32 would lose log2(t) bits; with ~44 bits
 * per step the pair stays good to ~2^-44 * t relative. Below 2^-100 Dekker's product is no longer
 * exact (its error term underflows); 1 - beta^t is exactly 1 long before that.
 */
function powPair(beta: number, t: number): [number, number] {
  if (!Number.isInteger(t) || t < 0 || t > 2 ** 31 - 1) {
    throw new RangeError(`betaPower: t must be an integer in [0, 2^31 - 1]; got ${t}.`)
  }
  const b = Math.fround(beta)
  if (!(b >= 0 && b <= 1)) throw new RangeError(`betaPower: beta must be in [0, 1]; got ${beta}.`)
  let acc: [number, number] = [1, 0]
  for (let bit = 31 - Math.clz32(t); bit >= 0; bit--) {
    acc = mulPair(acc, acc)
    if ((t >>> bit) & 1) acc = mulPair(acc, [b, 0])
  }
  return acc
}

/** beta^t for an f32 beta in [0, 1] and an integer t >= 0, as an f32 (0.5 ulp of float64 measured). */
export function betaPower(beta: number, t: number): number {
  const [hi, lo] = powPair(beta, t)
  return sf.add(hi, lo)
}

/**
 * Adam's bias correction 1 - beta^t, as an f32 within 0.5 ulp of float64 (measured): the pair's
 * high part is subtracted exactly (two-sum), so the cancellation for small t costs nothing.
 *
 * @example
 * const bc2 = biasCorrection(0.999, step) // divides v in the AdamW update
 */
export function biasCorrection(beta: number, t: number): number {
  const [hi, lo] = powPair(beta, t)
  const [s, e] = twoSum(1, sf.neg(hi))
  return sf.add(s, sf.sub(e, lo))
}
