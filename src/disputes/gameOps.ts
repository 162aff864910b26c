// The dispute game's ops (contracts/referee/DisputeGame.sol): a program slot, its leaf, which input
// elements one output element depends on (the twin of DisputeGame._recomputeArgs), and the slot's output
// from its inputs on the CPU references the Referee matches bit for bit. docs/disputes.md, "The game".
import { encodeAbiParameters, keccak256, type Hex } from 'viem'
import * as sf from '../kernels/softfloat.ts'
import { erf, sin, cos } from '../kernels/special.ts'
import { matmulRef } from '../kernels/matmul.ts'
import { reduceRef } from '../kernels/reduce.ts'
import { fixedAccumulate, fixedToF32Bits } from '../kernels/fixed.ts'
import { softmaxRef } from '../kernels/softmax.ts'
import { rmsnormRef } from '../kernels/rmsnorm.ts'
import { layernormRef } from '../kernels/layernorm.ts'
import { adamwRef } from '../kernels/adamw.ts'
import { lrSchedule } from '../kernels/schedule.ts'
import { geluErfGrad, geluTanhGrad } from '../kernels/elementwise.ts'
import { crossEntropyBackwardRef, crossEntropyRef } from '../kernels/cross_entropy.ts'
import { softmaxBackwardRef } from '../kernels/softmax.ts'
import { decide, taskScores } from '../markets/scores.ts'
import { layernormBackwardRef, layernormDyXhatRef } from '../kernels/layernorm.ts'
import {
  NORM_WORDS,
  normClipElement,
  normCombine,
  normExponent,
  normSquares,
} from '../kernels/gradNormChunks.ts'
import {
  EPILOGUE_FLAGS,
  ONCHAIN_GRAD_OPS as GRAD,
  ONCHAIN_NORM_OPS as NORM,
  ONCHAIN_OPS as OP,
  ONCHAIN_ROW_OPS as ROW,
} from './onchain.ts'

/** DisputeGame.COPY: a slot that copies slot `a` of the previous step's trace (step 1: the initial tree). */
export const COPY = 255

/**
 * DisputeGame's index maps: each output element is one input element, moved. PERMUTE consts [rank, input
 * dims…, order…] (output dim i is input dim order[i]); SLICE [offset] (one output of a split); CONCAT
 * [length of each input] (inputs a…d, flat).
 */
export const MOVE = { permute: 32, slice: 33, concat: 34 } as const

/**
 * GameOperands' token embedding (src/kernels/embedding.ts). embedding: ids (a, T uint32 token ids), table
 * (b, V×D); m = T, k = V, n = D; element (t, j) is table element ids[t]·D + j (an index map through the
 * proven id). embeddingGrad: ids (a, T), dy (b, T×D); m = V, k = T, n = D; element (v, j) is Referee's sum 5
 * of dy[t·D + j] over the t with ids[t] = v (+0 for none): embeddingBackwardRef's exact fixed-point sum.
 */
export const EMBED = { embedding: 35, embeddingGrad: 36 } as const

/**
 * DisputeGame.INPUT: a slot holding the step's data (token ids, positions, targets), leaf consts[0] +
 * (step − 1)·consts[1] of the initial tree (stride 0: the same every step); resolved like a COPY.
 */
export const INPUT = 254

/** The initial-tree leaf an INPUT slot reads at game step `step` (a missing stride read as 0: the contract refuses it). */
export const inputLeaf = (s: Spec, step: number) => s.consts[0] + (step - 1) * (s.consts[1] ?? 0)

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
  [GRAD.geluTanhGrad]: geluTanhGrad,
  [GRAD.geluErfGrad]: geluErfGrad,
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
  [GRAD.scale]: 1,
  [GRAD.matmulEpilogue]: 2, // and the bias and residual its flags name (inputSlots)
  [ROW.crossEntropy]: 2, // logits, targets (uint32 ids)
  [ROW.crossEntropyGrad]: 2,
  [ROW.softmaxGrad]: 2, // y, dy
  [ROW.layernormGrad]: 4, // x, dy, gamma, the forward's std
  [ROW.layernormDgamma]: 3, // x, dy, std
  [ROW.layernormDbeta]: 1, // dy
  [ROW.layernormDyXhat]: 3, // x, dy m×n, std m×1; output m×n
  [OP.sum]: 1,
  [OP.mean]: 1,
  [OP.layernorm]: 3,
  [OP.rmsnorm]: 2,
  [OP.softmax]: 1,
  [OP.adamw]: 4,
  [EMBED.embedding]: 2, // ids, table
  [EMBED.embeddingGrad]: 2, // ids, dy
  [NORM.layernormMean]: 1, // x m×k; consts [eps]; output m×1
  [NORM.layernormStd]: 1,
  [NORM.taskDecide]: 1, // every row's loss; consts [first row, count] per outcome; output 1×1
}

const isMove = (kind: number) => kind >= MOVE.permute && kind <= MOVE.concat
const isNorm = (kind: number) => kind >= NORM.normExponent && kind <= NORM.normClip

/**
 * The gradient norm's slots (GameOperands._normArgs; docs/disputes.md, "The gradient norm in the game"):
 * `chunk` a normExponent or normSquares over consts [offset, length] of gradient slot a (k its length);
 * `node` a normExponent (1×1) or normClip (1×5) over consts [count] slots a..; `clip` a normClip 1×2,
 * consts [maxNorm], reading the combined words (a) and the scale (b): [norm, clipScale].
 */
export function normForm(s: Spec): 'chunk' | 'node' | 'clip' {
  if (s.kind !== NORM.normClip && s.consts.length === 2) return 'chunk'
  return s.kind === NORM.normClip && s.m * s.n === 2 ? 'clip' : 'node'
}

/** Can DisputeGame.resolve recompute an element of this op kind? */
export function covers(kind: number): boolean {
  return Boolean(BINARY[kind] || UNARY[kind] || INPUTS[kind]) || isMove(kind) || isNorm(kind)
}

/** The input slots an op slot reads (what runSlot takes), in the op's order. */
export function inputSlots(s: Spec): number[] {
  if (!covers(s.kind)) throw new Error(`The game does not cover op kind ${s.kind}.`)
  if (s.kind === MOVE.concat) return [s.a, s.b, s.c, s.d].slice(0, s.consts.length)
  if (isNorm(s.kind)) {
    const form = normForm(s)
    if (form === 'node') return [s.a, s.b, s.c, s.d].slice(0, s.consts[0])
    return form === 'chunk' && s.kind === NORM.normExponent ? [s.a] : [s.a, s.b]
  }
  if (s.kind === GRAD.matmulEpilogue) {
    const flags = s.consts[0]
    return [
      s.a,
      s.b,
      ...(flags & EPILOGUE_FLAGS.bias ? [s.c] : []),
      ...(flags & EPILOGUE_FLAGS.residual ? [s.d] : []),
    ]
  }
  const count = BINARY[s.kind] ? 2 : UNARY[s.kind] || isMove(s.kind) ? 1 : INPUTS[s.kind]
  return [s.a, s.b, s.c, s.d].slice(0, count)
}

/** How many output elements a slot has: a batched matmul's (or epilogue's) batch × m × n, else m × n. */
export function outputCount(s: Spec): number {
  const lanes = matmulConsts(s)
  return s.m * s.n * (lanes.length === 4 ? Math.max(lanes[0], lanes[1]) : 1)
}

/**
 * The matmul layout of a matmul or epilogue slot: [] (one m×k by k×n product) or [aBatch, bBatch, transA,
 * transB]. An epilogue's consts are [flags, scale, …layout].
 */
function matmulConsts(s: Spec): readonly number[] {
  if (s.kind === OP.matmul) return s.consts
  return s.kind === GRAD.matmulEpilogue ? s.consts.slice(2) : []
}

/** One operand of DisputeGame.resolve: an input slot and the flat indices of its elements it reads. */
export interface Operand {
  slot: number
  indices: number[]
}

const range = (base: number, stride: number, len: number) =>
  Array.from({ length: len }, (_, i) => base + i * stride)

/** Reads element `index` of input slot `slot` (an embedding's table index depends on a proven id). */
export type ReadInput = (slot: number, index: number) => number

/**
 * The operands output element `e` depends on, in resolve's order: GameOperands.recomputeArgs. `read` gives
 * the input tensors' values, which only an embedding's index map needs (the id it gathers by).
 */
export function operandsOf(s: Spec, e: number, read?: ReadInput): Operand[] {
  const col = e % s.n
  const each = (indices: number[][]) => inputSlots(s).map((slot, i) => ({ slot, indices: indices[i] }))
  switch (s.kind) {
    case OP.matmul:
    case GRAD.matmulEpilogue: {
      const { a, b } = matmulLanes(s, e)
      return each([range(a.base, a.stride, s.k), range(b.base, b.stride, s.k), ...epilogueIndices(s, e)])
    }
    case OP.sum:
    case OP.mean:
      return each([s.consts[0] === 1 ? range(e * s.k, 1, s.k) : range(e, s.n, s.k)])
    case OP.layernorm:
    case OP.rmsnorm:
      return each([range(e - col, 1, s.n), [col], [col]])
    case OP.softmax: {
      // A causal row reads its visible prefix; a masked element reads nothing (it is +0).
      const len = softmaxVisible(s, e)
      return col < len ? each([range(e - col, 1, len)]) : []
    }
    case NORM.layernormMean:
    case NORM.layernormStd:
      return each([range(e * s.k, 1, s.k)])
    case NORM.taskDecide:
      return each([range(0, 1, s.k)])
    case ROW.crossEntropy:
      return each([range(e * s.k, 1, s.k), [e]])
    case ROW.crossEntropyGrad:
      return each([range(e - col, 1, s.n), [Math.floor(e / s.n)]])
    case ROW.softmaxGrad: {
      const len = s.consts[0] === 1 ? (Math.floor(e / s.n) % s.n) + 1 : s.n
      return each([range(e - col, 1, len), range(e - col, 1, len)])
    }
    case ROW.layernormGrad:
      return each([range(e - col, 1, s.n), range(e - col, 1, s.n), range(0, 1, s.n), [Math.floor(e / s.n)]])
    case ROW.layernormDgamma:
      return each([range(0, 1, s.k * s.n), range(e, s.n, s.k), range(0, 1, s.k)])
    case ROW.layernormDbeta:
      return each([range(e, s.n, s.k)])
    case ROW.layernormDyXhat:
      return each([range(e - col, 1, s.n), [e], [Math.floor(e / s.n)]])
    case EMBED.embedding: {
      const t = Math.floor(e / s.n)
      if (!read) throw new Error('An embedding element needs its id: pass operandsOf a reader.')
      return each([[t], [read(s.a, t) * s.n + col]])
    }
    case EMBED.embeddingGrad:
      return each([range(0, 1, s.k), range(col, s.n, s.k)])
    case OP.mul:
      return s.consts.length === 1 ? each([[e], [s.consts[0]]]) : each([[e], [e]])
    case NORM.normExponent:
    case NORM.normSquares:
    case NORM.normClip: {
      const words = s.kind === NORM.normExponent ? 1 : NORM_WORDS
      const form = normForm(s)
      if (form === 'chunk') return each([range(s.consts[0], 1, s.consts[1]), [0]])
      return form === 'clip'
        ? each([range(0, 1, NORM_WORDS), [0]])
        : each(inputSlots(s).map(() => range(0, 1, words)))
    }
    case MOVE.slice:
      return [{ slot: s.a, indices: [e + s.consts[0]] }]
    case MOVE.permute:
      return [{ slot: s.a, indices: [permutedIndex(s.consts, e)] }]
    case MOVE.concat: {
      let start = 0
      const slots = [s.a, s.b, s.c, s.d]
      for (let i = 0; i < s.consts.length; start += s.consts[i++])
        if (e < start + s.consts[i]) return [{ slot: slots[i], indices: [e - start] }]
      throw new Error(`Element ${e} is past the concat's inputs.`)
    }
    default:
      return each(inputSlots(s).map(() => [e]))
  }
}

/**
 * GameOperands._visible: softmax 19's visible prefix of element e's row, all n for consts [] or [0], and for
 * [1] (causal) (r mod n) + 1, r the row. Other constants are a malformed entry, which the contract refuses
 * (BadProgram) and runSlot too; the operands are still derived, so that a mover can put them to it.
 */
export function softmaxVisible(s: Spec, e: number): number {
  return s.consts[0] === 1 ? (Math.floor(e / s.n) % s.n) + 1 : s.n
}

/** The epilogue's bias element (e mod n) and residual element (e), those its flags name. */
function epilogueIndices(s: Spec, e: number): number[][] {
  if (s.kind !== GRAD.matmulEpilogue) return []
  const flags = s.consts[0]
  return [
    ...(flags & EPILOGUE_FLAGS.bias ? [[e % s.n]] : []),
    ...(flags & EPILOGUE_FLAGS.residual ? [[e]] : []),
  ]
}

/** DisputeGame._lanes: where element e's row of A and column of B start, and their strides. */
function matmulLanes(s: Spec, e: number) {
  const { m, n, k } = s
  const r = Math.floor(e / n) % m
  const c = e % n
  const lanes = matmulConsts(s)
  if (lanes.length === 0) return { a: { base: r * k, stride: 1 }, b: { base: c, stride: n } }
  const [aBatch, bBatch, transA, transB] = lanes
  const bz = Math.floor(e / (m * n))
  const az = aBatch === 1 ? 0 : bz
  const bzz = bBatch === 1 ? 0 : bz
  return {
    a: transA ? { base: az * k * m + r, stride: m } : { base: (az * m + r) * k, stride: 1 },
    b: transB ? { base: (bzz * n + c) * k, stride: 1 } : { base: bzz * k * n + c, stride: n },
  }
}

/** DisputeGame._permuted: the input index of output element e of a permute [rank, dims…, order…]. */
export function permutedIndex(consts: readonly number[], e: number): number {
  const rank = consts[0]
  const dims = consts.slice(1, 1 + rank)
  const order = consts.slice(1 + rank, 1 + 2 * rank)
  let rest = e
  let src = 0
  for (let i = rank - 1; i >= 0; i--) {
    const dim = order[i]
    const stride = dims.slice(dim + 1).reduce((x, y) => x * y, 1)
    src += (rest % dims[dim]) * stride
    rest = Math.floor(rest / dims[dim])
  }
  return src
}

/** A matmul or epilogue slot's product, laid out as its consts say. */
function product(s: Spec, a: Float32Array, b: Float32Array): Float32Array {
  const lanes = matmulConsts(s)
  if (lanes.length === 0) return matmulRef(a, [s.m, s.k], b, [s.k, s.n])
  const [aBatch, bBatch, transA, transB] = lanes
  const aShape = [aBatch, ...(transA ? [s.k, s.m] : [s.m, s.k])]
  const bShape = [bBatch, ...(transB ? [s.n, s.k] : [s.k, s.n])]
  return matmulRef(a, aShape, b, bShape, { transA: !!transA, transB: !!transB })
}

const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)
const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)

/** One op slot's output at game step `step` (AdamW's step counts from it) from its input tensors. */
export function runSlot(s: Spec, ins: Uint32Array[], step: number): Uint32Array {
  const [a, b, c, d] = ins.map(f32)
  const at = (i: number) => sf.f32FromBits(s.consts[i])
  switch (s.kind) {
    case OP.matmul:
      return u32(product(s, a, b))
    case GRAD.matmulEpilogue: {
      // The epilogue element by element, in epilogueRef's order: ·scale, + bias, residual +.
      const [flags, scale] = s.consts
      const y = product(s, a, b)
      const rest = ins.slice(2).map(f32)
      const bias = flags & EPILOGUE_FLAGS.bias ? rest.shift() : undefined
      const residual = flags & EPILOGUE_FLAGS.residual ? rest.shift() : undefined
      for (let e = 0; e < y.length; e++) {
        if (flags & EPILOGUE_FLAGS.scale) y[e] = sf.mul(y[e], sf.f32FromBits(scale))
        if (bias) y[e] = sf.add(y[e], bias[e % s.n])
        if (residual) y[e] = sf.add(residual[e], y[e])
      }
      return u32(y)
    }
    case ROW.crossEntropy:
      return u32(crossEntropyRef(a, [s.m, s.k], Int32Array.from(ins[1])).losses)
    case ROW.crossEntropyGrad:
      return u32(crossEntropyBackwardRef(a, [s.m, s.n], Int32Array.from(ins[1])))
    case ROW.softmaxGrad:
      return u32(softmaxBackwardRef(a, b, [s.m, s.n], { causal: s.consts[0] === 1 }))
    case ROW.layernormGrad:
      return u32(layernormBackwardRef(a, c, { std: d }, b, [s.m, s.n]).dx)
    case ROW.layernormDgamma:
    case ROW.layernormDbeta: {
      // dgamma reads x, dy, std (a, b, c); dbeta dy alone (a): the backward's column sums over k rows.
      const [x, dy, std] = s.kind === ROW.layernormDbeta ? [a, a, new Float32Array(s.k).fill(1)] : [a, b, c]
      const r = layernormBackwardRef(x, new Float32Array(s.n).fill(1), { std }, dy, [s.k, s.n])
      return u32(s.kind === ROW.layernormDgamma ? r.dgamma : r.dbeta)
    }
    case ROW.layernormDyXhat:
      return u32(layernormDyXhatRef(a, { std: c }, b, [s.m, s.n]))
    case GRAD.scale: {
      const k = sf.f32FromBits(s.consts[0])
      return u32(a.map((x) => sf.mul(x, k)))
    }
    case MOVE.slice:
    case MOVE.permute:
    case MOVE.concat: {
      const all = s.kind === MOVE.concat ? ins : [ins[0]]
      return Uint32Array.from({ length: outputCount(s) }, (_, e) => {
        const [{ slot, indices }] = operandsOf(s, e)
        return all[inputSlots(s).indexOf(slot)][indices[0]]
      })
    }
    case EMBED.embedding:
    case EMBED.embeddingGrad:
      return embeddingSlot(s, ins)
    case OP.mul:
      if (s.consts.length !== 1) break
      // By a scalar: element consts[0] of b for every e (the clipped gradient, grad × clipScale).
      return u32(a.map((x) => sf.mul(x, b[s.consts[0]])))
    case NORM.normExponent:
    case NORM.normSquares:
    case NORM.normClip:
      return normSlot(s, ins)
    case OP.sum:
    case OP.mean: {
      const rows = s.consts[0] === 1
      const op = s.kind === OP.sum ? 'sum' : 'mean'
      return u32(reduceRef(a, rows ? [s.m, s.k] : [s.k, s.n], op, rows ? 1 : 0))
    }
    case OP.softmax:
      if (s.consts.length > 1 || s.consts[0] > 1)
        throw new Error(`Softmax consts [${s.consts.join()}]: want [] or [0 | 1].`)
      return u32(softmaxRef(a, [s.m, s.n], { causal: s.consts[0] === 1 }))
    case NORM.layernormMean:
    case NORM.layernormStd: {
      // layernormRef's saved statistics of each row (gamma and beta do not enter them).
      const r = layernormRef(a, new Float32Array(s.k).fill(1), new Float32Array(s.k), [s.m, s.k], {
        eps: at(0),
      })
      return u32(s.kind === NORM.layernormMean ? r.mean : r.std)
    }
    case NORM.taskDecide: {
      // A market's outcome under TASK_RULE (src/markets/scores.ts), as an integer, not f32 bits.
      const why = layoutProblem(s.consts, s.k)
      if (why || s.m * s.n !== 1) throw new Error(`A decide slot's layout: ${why ?? 'its output is 1×1'}.`)
      return Uint32Array.of(decide(taskScores(a, s.consts)))
    }
    case OP.rmsnorm:
      return u32(rmsnormRef(a, b, [s.m, s.n], { eps: at(0) }).y)
    case OP.layernorm:
      return u32(layernormRef(a, b, c, [s.m, s.n], { eps: at(0) }).y)
    case OP.adamw: {
      const [beta1, beta2, eps, weightDecay, gradScale] = [3, 4, 5, 6, 7].map(at)
      const t = s.consts[1] + step - 1
      // A scheduled entry ([…, warmup, total, minLr] after the 8) names the peak; the step's own rate follows.
      const lr =
        s.consts.length === 11
          ? lrSchedule(t - 1, { peak: at(2), warmup: s.consts[8], total: s.consts[9], min: at(10) })
          : at(2)
      const out = adamwRef(a, b, c, d, { step: t, lr, ...{ beta1, beta2, eps, weightDecay, gradScale } })
      return u32([out.p, out.m, out.v][s.consts[0]])
    }
  }
  const [bin, un] = [BINARY[s.kind], UNARY[s.kind]]
  if (!bin && !un) throw new Error(`The game does not cover op kind ${s.kind}.`)
  const out = new Float32Array(s.m * s.n)
  for (let i = 0; i < out.length; i++) out[i] = bin ? bin(a[i], b[i]) : un(a[i])
  return u32(out)
}

/**
 * What is wrong with a decide slot's layout over `rows` losses (Score.taskDecide refuses the same): pairs
 * [first row, count], at least two outcomes, each at least one row and inside the losses.
 */
export function layoutProblem(layout: readonly number[], rows: number): string | null {
  if (layout.length % 2 || layout.length < 4) return 'want [first row, count] for at least two outcomes'
  for (let i = 0; i < layout.length; i += 2)
    if (layout[i + 1] < 1 || layout[i] + layout[i + 1] > rows)
      return `outcome ${i / 2} reads rows ${layout[i]} + ${layout[i + 1]} of ${rows}`
  return null
}

/** A gradient-norm slot from the chunked references (gradNormChunks.ts), as GameOperands lays it out. */
function normSlot(s: Spec, ins: Uint32Array[]): Uint32Array {
  const form = normForm(s)
  if (form === 'chunk') {
    const chunk = ins[0].subarray(s.consts[0], s.consts[0] + s.consts[1])
    return s.kind === NORM.normExponent ? Uint32Array.of(normExponent(chunk)) : normSquares(chunk, ins[1][0])
  }
  if (form === 'clip')
    return Uint32Array.from([0, 1], (k) => normClipElement(ins[0], ins[1][0], s.consts[0], k))
  if (s.kind === NORM.normExponent) return Uint32Array.of(normExponent(ins.map((x) => x[0])))
  return normCombine(ins.flatMap((x) => Array.from(x.subarray(0, NORM_WORDS))))
}

/**
 * An embedding or embeddingGrad slot element by element, as the game derives each: the embedding's element
 * is the table element its proven id picks; the gradient's element (v, j) is Referee's sum 5 (fixed.ts, as
 * reduceRef's sum) of the column-j terms whose id is v. An id past the vocabulary is refused, as
 * GameOperands refuses it (TokenOutOfRange) and the kernels do (checkIds).
 */
function embeddingSlot(s: Spec, ins: Uint32Array[]): Uint32Array {
  const [ids, x] = ins
  const vocab = s.kind === EMBED.embedding ? s.k : s.m
  const bad = ids.findIndex((id) => id >= vocab)
  if (bad >= 0) throw new Error(`Token id ${ids[bad]} at ${bad} is past the vocabulary of ${vocab}.`)
  const read: ReadInput = (slot, i) => (slot === s.a ? ids : x)[i]
  return Uint32Array.from({ length: outputCount(s) }, (_, e) => {
    const [idIndices, xIndices] = operandsOf(s, e, read).map((o) => o.indices)
    if (s.kind === EMBED.embedding) return x[xIndices[0]]
    const v = Math.floor(e / s.n)
    const terms = xIndices.filter((_, t) => ids[idIndices[t]] === v).map((i) => x[i])
    return fixedToF32Bits(fixedAccumulate(terms))
  })
}
