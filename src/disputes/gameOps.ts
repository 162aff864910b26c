// The dispute game's ops (contracts/referee/DisputeGame.sol): a program slot, its leaf, which input
// elements one output element depends on (the twin of DisputeGame._recomputeArgs), and the slot's output
// from its inputs on the CPU references the Referee matches bit for bit. docs/disputes.md, "The game".
import { encodeAbiParameters, keccak256, type Hex } from 'viem'
import * as sf from '../kernels/softfloat.ts'
import { erf, sin, cos } from '../kernels/special.ts'
import { matmulRef } from '../kernels/matmul.ts'
import { reduceRef } from '../kernels/reduce.ts'
import { softmaxRef } from '../kernels/softmax.ts'
import { rmsnormRef } from '../kernels/rmsnorm.ts'
import { layernormRef } from '../kernels/layernorm.ts'
import { adamwRef } from '../kernels/adamw.ts'
import { ONCHAIN_OPS as OP } from './onchain.ts'

/** DisputeGame.COPY: a slot that copies slot `a` of the previous step's trace (step 1: the initial tree). */
export const COPY = 255

/** DisputeGame.SPEC_VERSION: the first word of every program leaf. */
export const SPEC_VERSION = 2

/**
 * One slot of a step, as DisputeGame.Spec: op kind, input slots a..d in the op's order, shapes (output
 * m×n; matmul A m×k; a reduction's input m×k by rows or k×n by columns) and the op's constants:
 * sum/mean [axis], layernorm/rmsnorm [eps bits], AdamW [which output (0 p, 1 m, 2 v), step of the
 * game's step 1, lr, beta1, beta2, eps, weightDecay, gradScale] (f32 bits but the two integers).
 */
export interface Spec {
  kind: number
  a: number
  b: number
  c: number
  d: number
  m: number
  k: number
  n: number
  consts: readonly number[]
}

export function specLeaf(s: Spec): Hex {
  return keccak256(
    encodeAbiParameters(
      [...['uint8', 'uint8'], ...Array(7).fill('uint32'), 'uint32[]'].map((type) => ({ type })),
      [SPEC_VERSION, s.kind, s.a, s.b, s.c, s.d, s.m, s.k, s.n, s.consts],
    ),
  )
}

const BINARY: Record<number, (a: number, b: number) => number> = {
  [OP.add]: sf.add,
  [OP.sub]: sf.sub,
  [OP.mul]: sf.mul,
  [OP.div]: sf.div,
}
const UNARY: Record<number, (a: number) => number> = {
  [OP.sqrt]: sf.sqrt,
  [OP.exp]: sf.exp,
  [OP.log]: sf.log,
  [OP.tanh]: sf.tanh,
  [OP.sigmoid]: sf.sigmoid,
  [OP.geluTanh]: sf.geluTanh,
  [OP.geluErf]: sf.geluErf,
  [OP.erf]: erf,
  [OP.sin]: sin,
  [OP.cos]: cos,
}
/** How many input slots each op reads (a, b, c, d in order). */
const INPUTS: Record<number, number> = {
  [OP.matmul]: 2,
  [OP.sum]: 1,
  [OP.mean]: 1,
  [OP.layernorm]: 3,
  [OP.rmsnorm]: 2,
  [OP.softmax]: 1,
  [OP.adamw]: 4,
}

/** Can DisputeGame.resolve recompute an element of this op kind? */
export function covers(kind: number): boolean {
  return Boolean(BINARY[kind] || UNARY[kind] || INPUTS[kind])
}

/** The input slots an op slot reads, in DisputeGame.resolve's operand order. */
export function inputSlots(s: Spec): number[] {
  if (!covers(s.kind)) throw new Error(`The game does not cover op kind ${s.kind}.`)
  const count = BINARY[s.kind] ? 2 : UNARY[s.kind] ? 1 : INPUTS[s.kind]
  return [s.a, s.b, s.c, s.d].slice(0, count)
}

/** Per input slot, the flat indices output element `e` depends on: DisputeGame._recomputeArgs. */
export function inputIndices(s: Spec, e: number): number[][] {
  const range = (base: number, stride: number, len: number) =>
    Array.from({ length: len }, (_, i) => base + i * stride)
  const col = e % s.n
  switch (s.kind) {
    case OP.matmul:
      return [range(Math.floor(e / s.n) * s.k, 1, s.k), range(col, s.n, s.k)]
    case OP.sum:
    case OP.mean:
      return [s.consts[0] === 1 ? range(e * s.k, 1, s.k) : range(e, s.n, s.k)]
    case OP.layernorm:
    case OP.rmsnorm:
    case OP.softmax:
      return [range(e - col, 1, s.n), [col], [col]].slice(0, inputSlots(s).length)
    default:
      return inputSlots(s).map(() => [e])
  }
}

const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)
const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)

/** One op slot's output at game step `step` (AdamW's step counts from it) from its input tensors. */
export function runSlot(s: Spec, ins: Uint32Array[], step: number): Uint32Array {
  const [a, b, c, d] = ins.map(f32)
  const at = (i: number) => sf.f32FromBits(s.consts[i])
  switch (s.kind) {
    case OP.matmul:
      return u32(matmulRef(a, [s.m, s.k], b, [s.k, s.n]))
    case OP.sum:
    case OP.mean: {
      const rows = s.consts[0] === 1
      const op = s.kind === OP.sum ? 'sum' : 'mean'
      return u32(reduceRef(a, rows ? [s.m, s.k] : [s.k, s.n], op, rows ? 1 : 0))
    }
    case OP.softmax:
      return u32(softmaxRef(a, [s.m, s.n]))
    case OP.rmsnorm:
      return u32(rmsnormRef(a, b, [s.m, s.n], { eps: at(0) }).y)
    case OP.layernorm:
      return u32(layernormRef(a, b, c, [s.m, s.n], { eps: at(0) }).y)
    case OP.adamw: {
      const [beta1, beta2, eps, weightDecay, gradScale] = [3, 4, 5, 6, 7].map(at)
      const out = adamwRef(a, b, c, d, {
        step: s.consts[1] + step - 1,
        lr: at(2),
        ...{ beta1, beta2, eps, weightDecay, gradScale },
      })
      return u32([out.p, out.m, out.v][s.consts[0]])
    }
  }
  const [bin, un] = [BINARY[s.kind], UNARY[s.kind]]
  if (!bin && !un) throw new Error(`The game does not cover op kind ${s.kind}.`)
  const out = new Float32Array(s.m * s.n)
  for (let i = 0; i < out.length; i++) out[i] = bin ? bin(a[i], b[i]) : un(a[i])
  return u32(out)
}
