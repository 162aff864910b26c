// The chunked gradient norm (gradNormChunks.ts) composes to exactly globalGradNormRef's and clipScale's
// bits, over random gradient sets and random chunkings, flat and as trees.
import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { mulberry32 } from '../util/random.ts'
import { clipScale, globalGradNormRef } from './adamw.ts'
import {
  NORM_WORDS,
  normClipElement,
  normCombine,
  normExponent,
  normFromChunks,
  normSquares,
} from './gradNormChunks.ts'
import { specialBits } from './testing.ts'
import * as sf from './softfloat.ts'

const NON_FINITE = [0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001]

/** A tensor of n gradients over `width` binades below a centre: tiny, huge, subnormal, sometimes special. */
function gradTensor(next: () => number, n: number, nonFinite: boolean): Uint32Array {
  const centre = [1 + (next() % 30), 100 + (next() % 40), 230 + (next() % 25), next() % 255][next() % 4]
  const width = [0, 2, 10, 40, 254][next() % 5]
  return Uint32Array.from({ length: n }, () => {
    const kind = next() % 32
    if (kind === 0) return specialBits[next() % specialBits.length] & (nonFinite ? ~0 : 0xbfffffff)
    if (kind === 1 && nonFinite) return NON_FINITE[next() % NON_FINITE.length]
    if (kind === 2) return (next() & 0x807fffff) >>> 0 // subnormal or zero
    const e = Math.min(254, Math.max(0, centre - (next() % (width + 1))))
    return (((next() & 1) << 31) | (e << 23) | (next() & 0x7fffff)) >>> 0
  })
}

/** Random cut points: `count` contiguous chunks of the flat gradients, some of them empty. */
function chunking(next: () => number, flat: Uint32Array, count: number): Uint32Array[] {
  const cuts = Array.from({ length: count - 1 }, () => next() % (flat.length + 1)).sort((a, b) => a - b)
  const bounds = [0, ...cuts, flat.length]
  return bounds.slice(1).map((end, i) => flat.subarray(bounds[i], end))
}

/** Chunks' words reduced as a random tree of clip-op combines (outputs 2..6), down to one chunk's words. */
function combineTree(next: () => number, words: Uint32Array[], scale: number): Uint32Array {
  let level = words
  while (level.length > 1) {
    const up: Uint32Array[] = []
    for (let i = 0; i < level.length;) {
      const take = 1 + (next() % 4)
      const group = level.slice(i, i + take)
      const joined = Uint32Array.from(group.flatMap((w) => [...w]))
      up.push(Uint32Array.from({ length: NORM_WORDS }, (_, j) => normClipElement(joined, scale, 1, 2 + j)))
      i += take
    }
    level = up
  }
  return level[0] ?? new Uint32Array(NORM_WORDS)
}

describe('the gradient norm in chunks: exactly globalGradNormRef and clipScale', () => {
  it('2,000 random gradient sets, each under several random chunkings, flat and as trees', () => {
    const next = mulberry32(0x6e0)
    let checked = 0
    for (let set = 0; set < 2000; set++) {
      const nonFinite = next() % 8 === 0
      const tensors = Array.from({ length: 1 + (next() % 4) }, () =>
        gradTensor(
          next,
          next() % 10 === 0 ? 0 : next() % 6 === 0 ? 300 + (next() % 700) : 1 + (next() % 80),
          nonFinite,
        ),
      )
      const grads = tensors.map((t) => new Float32Array(t.buffer))
      const norm = globalGradNormRef(grads)
      const maxNorm = sf.f32FromBits([0x3f800000, 0x3f000000, 0x00000001, 0x7f7fffff, 0, next()][next() % 6])
      const want = [sf.f32Bits(norm), sf.f32Bits(clipScale(norm, maxNorm))]
      const flat = Uint32Array.from(tensors.flatMap((t) => [...t]))
      for (let c = 0; c < 3; c++) {
        const chunks = chunking(next, flat, 1 + (next() % 12))
        // the global scale: normExponent over the chunks' scale words, itself in random groups
        const scales = chunks.map(normExponent)
        const scale = normExponent(
          chunking(next, Uint32Array.from(scales), 1 + (next() % 3)).map(normExponent),
        )
        expect(scale).toBe(normExponent(flat))
        const words = chunks.map((chunk) => normSquares(chunk, scale))
        const all = Uint32Array.from(words.flatMap((w) => [...w]))
        const tree = combineTree(next, words, scale)
        const got = [0, 1].map((k) => normClipElement(all, scale, sf.f32Bits(maxNorm), k))
        const viaTree = [0, 1].map((k) => normClipElement(tree, scale, sf.f32Bits(maxNorm), k))
        const label = `set ${set}, ${chunks.length} chunks`
        expect(got, label).toEqual(want)
        expect(viaTree, label).toEqual(want)
        expect([...tree], label).toEqual([...normSquares(flat, scale)])
        checked++
      }
    }
    expect(checked).toBe(6000)
  })

  it('per-tensor chunks as the GPU cuts them (64-element workgroups within each tensor)', () => {
    const next = mulberry32(0x6e1)
    for (let set = 0; set < 200; set++) {
      const tensors = Array.from({ length: 1 + (next() % 5) }, () =>
        gradTensor(next, next() % 500, set % 9 === 0),
      )
      const chunks = tensors.flatMap((t) =>
        Array.from({ length: Math.ceil(t.length / 64) }, (_, i) => t.subarray(i * 64, (i + 1) * 64)),
      )
      const scale = normExponent(chunks.map(normExponent))
      const words = Uint32Array.from(chunks.flatMap((c) => [...normSquares(c, scale)]))
      const want = globalGradNormRef(tensors.map((t) => new Float32Array(t.buffer)))
      expect(sf.f32Bits(normFromChunks(words, scale))).toBe(sf.f32Bits(want))
    }
  })

  it('the edges: no gradients at all, every gradient non-finite, a scale word fed back to itself', () => {
    expect(normExponent([])).toBe(1 << 23)
    expect(normExponent([normExponent([0x7f7fffff])])).toBe(254 << 23)
    expect(sf.f32Bits(normFromChunks([], 1 << 23))).toBe(sf.f32Bits(globalGradNormRef([])))
    for (const bad of [[0x7fc00000], [0x7f800000, 0xff800000], [0x7f800000, 0x7fc00000]]) {
      const words = normSquares(bad, normExponent(bad))
      const want = globalGradNormRef([new Float32Array(new Uint32Array(bad).buffer)])
      expect(sf.f32Bits(normFromChunks(words, normExponent(bad)))).toBe(sf.f32Bits(want))
    }
  })

  it('refuses what no honest chunking produces, by name', () => {
    expect(() => normSquares([0x3f800000], 0x3f800001)).toThrow(ShapeError) // not e << 23
    expect(() => normSquares([0x3f800000], 0)).toThrow(ShapeError)
    expect(() => normSquares([0x3f800000], 0x7f800000)).toThrow(ShapeError)
    expect(() => normSquares([0x40000000], 0x3f800000)).toThrow(ShapeError) // the scale below the chunk's
    expect(() => normCombine([0, 0, 0, 0])).toThrow(ShapeError)
    expect(() => normCombine([0, 0, 0, 0, 4])).toThrow(ShapeError)
    expect(() => normClipElement([0, 0, 0, 0, 0], 1 << 23, 1, 7)).toThrow(ShapeError)
  })
})
