// globalGradNormRef and clipScale in pieces that compose exactly, so that a referee can check a global
// gradient norm over millions of elements one bounded chunk at a time (contracts/referee/NormOps.sol,
// ids 39 to 41 of src/disputes/onchain.ts). globalGradNormRef is an exact fixed-point sum of per-element
// terms, fxTerm(square of g · 2^-s, 128), rounded once: integers, so any partition of the elements into
// chunks sums to the same total. What a chunk must be told is s, and s comes from a max, which is just
// as associative. docs/disputes.md ("The gradient norm in chunks") has the layouts.
import { ShapeError } from '../errors/gpu.ts'
import { clipScale } from './adamw.ts'
import { FX_NAN, FX_POS_INF, fixedAccumulate, fixedToF32Bits, fxExponent } from './fixed.ts'
import * as sf from './softfloat.ts'

/** The fixed scale of the squares: each is < 4 (exponent field <= 128), as in globalGradNormRef. */
const NORM_SCALE = 128
/** A chunk's words: the exact total's four 32-bit limbs, least significant first, then its flags. */
export const NORM_WORDS = 5
const LIMBS = 4
/** The flags word: FX_NAN (a NaN gradient) | FX_POS_INF (an infinite one). */
const FLAG_MASK = FX_NAN | FX_POS_INF
/** normClip's output elements: the norm, the clip scale, then the combined chunk's words. */
export const NORM_CLIP_OUTPUTS = 2 + NORM_WORDS

/**
 * A chunk's scale word: the f32 bits of 2^s, s = e − 127 with e the chunk's largest fxExponent (at least
 * 1), i.e. e << 23. The global scale is the largest chunk's, and since fxExponent(e << 23) = e, this
 * function applied to chunks' scale words is that max: the scales compose as a tree too.
 * (globalGradNormRef starts its max at 0, not 1; the two differ only when no gradient is finite, and
 * then every term is 0 and the norm is 0, NaN or +Inf whatever s is.)
 */
export function normExponent(chunk: ArrayLike<number>): number {
  let e = 1
  for (let i = 0; i < chunk.length; i++) e = Math.max(e, fxExponent(chunk[i]))
  return (e << 23) >>> 0
}

/** s of a scale word, which must be exactly e << 23 with 1 <= e <= 254. */
export function scaleShift(scale: number): number {
  const e = scale >>> 23
  if (scale & 0x7fffff || e < 1 || e > 254) throw new ShapeError(`gradNorm: bad scale word ${scale >>> 0}.`)
  return e - 127
}

/**
 * A chunk's words: Σ fxTerm(sq(g · 2^-s), 128) over its elements, exactly (units of 2^-86, each term
 * < 2^88, so four limbs hold the sum of any chunk under 2^40 elements), and its NaN/Inf flags. The scale
 * must be the global one, at least the chunk's own (else a square could reach 4 and the fixed scale
 * would not hold it).
 */
export function normSquares(chunk: ArrayLike<number>, scale: number): Uint32Array {
  const s = scaleShift(scale)
  if (normExponent(chunk) > scale) throw new ShapeError('gradNorm: the scale is below the chunk’s own.')
  const squares = Array.from({ length: chunk.length }, (_, i) => {
    const t = sf.ldexp(sf.f32FromBits(chunk[i]), -s)
    return sf.f32Bits(sf.mul(t, t))
  })
  const acc = fixedAccumulate(squares, NORM_SCALE)
  return chunkWords(acc.total, acc.flags & FLAG_MASK)
}

function chunkWords(total: bigint, flags: number): Uint32Array {
  if (total < 0n || total >> BigInt(32 * LIMBS)) throw new ShapeError('gradNorm: a total past 128 bits.')
  const words = new Uint32Array(NORM_WORDS)
  for (let j = 0; j < LIMBS; j++) words[j] = Number((total >> BigInt(32 * j)) & 0xffffffffn)
  words[LIMBS] = flags
  return words
}

/** Several chunks' words (NORM_WORDS each, concatenated) as one chunk's: totals added, flags or-ed. */
export function normCombine(words: ArrayLike<number>): Uint32Array {
  const { total, flags } = readChunks(words)
  return chunkWords(total, flags)
}

function readChunks(words: ArrayLike<number>) {
  if (words.length % NORM_WORDS) throw new ShapeError(`gradNorm: ${words.length} words are not whole chunks.`)
  let total = 0n
  let flags = 0
  for (let c = 0; c < words.length; c += NORM_WORDS) {
    for (let j = 0; j < LIMBS; j++) total += BigInt(words[c + j] >>> 0) << BigInt(32 * j)
    const f = words[c + LIMBS] >>> 0
    if (f & ~FLAG_MASK) throw new ShapeError(`gradNorm: bad flags word ${f}.`)
    flags |= f
  }
  return { total, flags }
}

/** The global norm from every chunk's words and the global scale: globalGradNormRef's value. */
export function normFromChunks(words: ArrayLike<number>, scale: number): number {
  const s = scaleShift(scale)
  const { total, flags } = readChunks(words)
  const sum = sf.f32FromBits(fixedToF32Bits({ total, eMax: NORM_SCALE, flags }))
  return sf.ldexp(sf.sqrt(sum), s)
}

/**
 * Output element k of the clip op (id 41) over chunks' words: 0 the norm, 1 clipScale(norm, maxNorm),
 * 2 to 6 the combined chunk's words (normCombine), so that the op also composes as a tree. Every operand
 * is a word as the op takes it: maxNorm too is f32 bits.
 */
export function normClipElement(
  words: ArrayLike<number>,
  scale: number,
  maxNormBits: number,
  k: number,
): number {
  if (k >= 2 && k < NORM_CLIP_OUTPUTS) {
    scaleShift(scale)
    return normCombine(words)[k - 2]
  }
  const norm = normFromChunks(words, scale)
  if (k === 0) return sf.f32Bits(norm)
  if (k === 1) return sf.f32Bits(clipScale(norm, sf.f32FromBits(maxNormBits)))
  throw new ShapeError(`gradNorm: output ${k} past ${NORM_CLIP_OUTPUTS}.`)
}
