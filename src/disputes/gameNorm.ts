// The global gradient norm and its clip as game slots (docs/disputes.md, "The gradient norm in the game"):
// chunks of each gradient, a tree of scale words to the global scale, each chunk's exact squares at that
// scale, a tree combining them, the clip scale, and one clipped gradient per parameter for AdamW to read
// with gradScale 1. A slot reads at most four slots, hence the trees; every chunk is bounded, hence the
// chunks. What the norm was is then a slot the game can dispute, not a constant both parties take.
import { f32Bits } from '../kernels/softfloat.ts'
import { ONCHAIN_NORM_OPS as NORM, ONCHAIN_OPS as OP } from './onchain.ts'
import type { Spec } from './gameOps.ts'

/** Elements per chunk of a real step: a normSquares resolve then reads at most this many gradients. */
export const NORM_CHUNK = 1024

/** One gradient the norm covers: its slot and its shape as the game's m × n. */
export interface GradSlot {
  slot: number
  m: number
  n: number
}

export interface NormSlots {
  /** The slots, to be placed at `base`, `base + 1`, … in this order. */
  specs: Spec[]
  /** The scale slot (1×1, the global scale word). */
  scale: number
  /** The clip slot (1×2: the global norm, then clipScale(norm, maxNorm)). */
  clip: number
  /** Per gradient, in order, the slot of grad × clipScale. */
  clipped: number[]
}

const spec = (kind: number, ins: number[], m: number, k: number, n: number, consts: number[]): Spec => {
  const [a = 0, b = 0, c = 0, d = 0] = ins
  return { kind, a, b, c, d, m, k, n, consts }
}

/**
 * The norm's slots over `grads` from slot `base` on: chunks of `chunk` elements (a tensor's last one
 * shorter), `maxNorm` the clip (f32, as the trainer's `clip`).
 */
export function normSlots(
  grads: readonly GradSlot[],
  base: number,
  maxNorm: number,
  chunk = NORM_CHUNK,
): NormSlots {
  if (!grads.length) throw new Error('A gradient norm of no gradients.')
  if (!(chunk >= 1)) throw new Error(`A chunk of ${chunk} elements.`)
  const specs: Spec[] = []
  const push = (s: Spec) => base + specs.push(s) - 1
  const chunks = grads.flatMap((g) => {
    const size = g.m * g.n
    return Array.from({ length: Math.ceil(size / chunk) }, (_, i) => ({
      g,
      consts: [i * chunk, Math.min(chunk, size - i * chunk)],
    }))
  })
  /** Groups of up to four slots into nodes until one slot remains. */
  const tree = (leaves: number[], node: (ins: number[]) => Spec) => {
    while (leaves.length > 1) {
      const next: number[] = []
      for (let i = 0; i < leaves.length; i += 4) {
        const ins = leaves.slice(i, i + 4)
        next.push(ins.length === 1 ? ins[0] : push(node(ins)))
      }
      leaves = next
    }
    return leaves[0]
  }
  const exponents = chunks.map(({ g, consts }) =>
    push(spec(NORM.normExponent, [g.slot], 1, g.m * g.n, 1, consts)),
  )
  const scale = tree(exponents, (ins) => spec(NORM.normExponent, ins, 1, 0, 1, [ins.length]))
  const squares = chunks.map(({ g, consts }) =>
    push(spec(NORM.normSquares, [g.slot, scale], 1, g.m * g.n, 5, consts)),
  )
  const words = tree(squares, (ins) => spec(NORM.normClip, ins, 1, 0, 5, [ins.length]))
  const clip = push(spec(NORM.normClip, [words, scale], 1, 0, 2, [f32Bits(Math.fround(maxNorm))]))
  const clipped = grads.map((g) => push(spec(OP.mul, [g.slot, clip], g.m, 0, g.n, [1])))
  return { specs, scale, clip, clipped }
}
