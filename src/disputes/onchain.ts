// The on-chain referee's op ids (contracts/referee/Referee.sol, RefereeGrad.sol): which operators a
// contract can recompute element by element today, which contract does, and which ids both refuse
// with OpNotSupported until one can.
// docs/disputes.md describes the arithmetic and its gas.
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { encodeAbiParameters, keccak256, type Hex } from 'viem'

/** Recomputed on chain, bit for bit with src/kernels: id → what Referee.recompute takes. */
export const ONCHAIN_OPS = {
  add: 0, // a[0] + b[0]
  sub: 1,
  mul: 2,
  div: 3,
  sqrt: 4, // sqrt(a[0]), b empty
  sum: 5, // reduce sum of the vector a (fixed.ts), b empty
  mean: 6,
  matmul: 7, // bq15 matmul element: a the row of A, b the column of B
  exp: 8, // softfloat.ts of a[0], b empty
  log: 9,
  tanh: 10,
  sigmoid: 11,
  geluTanh: 12,
  geluErf: 13,
  erf: 14, // special.ts
  sin: 15,
  cos: 16,
  // row ops: a the row, b = [k, eps, gamma_k, beta_k] / [k, eps, gamma_k] / [k]
  layernorm: 17,
  rmsnorm: 18,
  softmax: 19,
  // a = [p, grad, m, v], b = [output 0 p / 1 m / 2 v, step, lr, beta1, beta2, eps, weightDecay, gradScale]
  adamw: 21,
} as const

/**
 * Recomputed on chain by a second contract, RefereeGrad (contracts/referee/RefereeGrad.sol), with the
 * same recompute(op, a, b) and named refusals: the backward and epilogue ops a training step adds, which
 * do not fit in Referee's bytecode beside the forward ops. Referee refuses these ids; RefereeGrad
 * refuses ONCHAIN_OPS' ids.
 */
export const ONCHAIN_GRAD_OPS = {
  geluTanhGrad: 23, // geluTanhGrad(x, dy) of src/kernels/elementwise.ts: a = [x], b = [dy]
  geluErfGrad: 24,
  scale: 25, // scaleRef: a = [x], b = [s]
  // one element of matmulEpilogue (src/ops/linear.ts, epilogueRef): a = the row of A (K values),
  // b = [the column of B (K values), flags, scale, bias_j, residual_ij]; flags as EPILOGUE_FLAGS,
  // and the slot of an absent step is 0
  matmulEpilogue: 26,
} as const

/** matmulEpilogue's flags word: which epilogue steps apply (the matmul kernel's EPILOGUE constant). */
export const EPILOGUE_FLAGS = { scale: 1, bias: 2, residual: 4 } as const

/** Bits of an epilogue's optional operands: a step is present when its value is given. */
export interface EpilogueBits {
  scale?: number
  bias?: number
  residual?: number
}

/** RefereeGrad's operands for one matmulEpilogue element: [a, b] as recompute takes them. */
export function matmulEpilogueOperands(
  row: number[],
  column: number[],
  e: EpilogueBits,
): [number[], number[]] {
  const flags =
    (e.scale === undefined ? 0 : EPILOGUE_FLAGS.scale) |
    (e.bias === undefined ? 0 : EPILOGUE_FLAGS.bias) |
    (e.residual === undefined ? 0 : EPILOGUE_FLAGS.residual)
  return [row, [...column, flags, e.scale ?? 0, e.bias ?? 0, e.residual ?? 0]]
}

/**
 * The loss's and backward pass's row ops (contracts/referee/RowGrads.sol, operand layouts there),
 * recomputed by RefereeRows and reached through RefereeGrad, which forwards these ids: one element of
 * crossEntropyRef's per-row loss, crossEntropyBackwardRef, softmaxBackwardRef (causal or not) and
 * layernormBackwardRef's dx, dgamma and dbeta, and its intermediate dyXhat (layernormDyXhatRef), whose
 * column sums (sum 5) are dgamma with operands that fit a transaction at a real step's shapes.
 */
export const ONCHAIN_ROW_OPS = {
  crossEntropy: 20, // a = the logits row, b = [target]
  crossEntropyGrad: 27, // a = the logits row, b = [k, target, rows]
  softmaxGrad: 28, // a = [y visible, dy visible], b = [k, n]
  layernormGrad: 29, // a = [x row, dy row, gamma], b = [k, std_r]
  layernormDgamma: 30, // a = all of x, b = [k, dy column k, std per row]
  layernormDbeta: 31, // a = column k of dy, b = []
  layernormDyXhat: 43, // a = row r of x, b = [k, dy[r,k], std_r]: dy · xhat, element (r, k)
} as const

/**
 * A training step's statistics (contracts/referee/NormOps.sol, operand layouts there), recomputed by
 * RefereeNorm and reached through RefereeGrad, which forwards these ids: layernormRef's saved mean and std
 * of a row, and globalGradNormRef with clipScale in chunks that compose exactly (src/kernels/
 * gradNormChunks.ts; docs/disputes.md "The gradient norm in chunks"); and a prediction market's TASK_RULE
 * decision (contracts/referee/Score.sol, f64 as the rule is defined in JS).
 */
export const ONCHAIN_NORM_OPS = {
  layernormMean: 37, // a = row r of x, b = [eps]: the row's mean (layernormRef's mean[r])
  layernormStd: 38, // a = row r of x, b = [eps]: sqrt(var + eps) (layernormRef's std[r])
  // a = a chunk of gradients, b = []: the scale word e << 23 (e = max(1, largest fxExponent)); over
  // chunks' scale words, their max: the global scale is this op over the chunks' outputs
  normExponent: 39,
  // a = a chunk, b = [scale, j]: word j < 5 of the chunk: limbs 0..3 (least significant first) of
  // Σ fxTerm(sq(g · 2^-s), 128) exactly, in units of 2^-86; word 4 the flags (1 NaN, 2 +Inf)
  normSquares: 40,
  // a = chunks' words (5 each), b = [k, scale, maxNorm]: k 0 the global norm, 1 clipScale(norm,
  // maxNorm), 2..6 word k − 2 of the chunks combined (a tree of this op covers any number of chunks)
  normClip: 41,
  // a = every row's loss (f32), b = the layout, [first row, count] per outcome (taskLayout): the winning
  // outcome's index as a uint32, decide(taskScores(a, b)) of src/markets/model.ts, scores summed in f64
  taskDecide: 42,
} as const

/**
 * Traced ops with no on-chain recompute yet; their ids are reserved, and Referee.recompute and
 * RefereeGrad.recompute refuse them (and any id they do not know) with OpNotSupported(id).
 */
export const REFUSED_OPS = {
  conv: 22,
} as const

export type OnchainOp = keyof typeof ONCHAIN_OPS
export type OnchainGradOp = keyof typeof ONCHAIN_GRAD_OPS
export type OnchainNormOp = keyof typeof ONCHAIN_NORM_OPS

/**
 * The commitment to one operator's output tensor that the referee checks elements against
 * (contracts/referee/TensorCommitment.sol): an OpenZeppelin StandardMerkleTree over
 * (uint256 flat index, uint32 f32 bits), so leaf = keccak256(keccak256(abi.encode(index, bits))).
 * The leaves stay in index order (not sorted by hash): element i then sits at a position the dispute
 * game can compute (2n − 2 − i in the tree's array), so the game can descend two trees to an element
 * where they differ without either party seeing the other's tensor.
 */
export function tensorTree(data: Float32Array): StandardMerkleTree<[bigint, number]> {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length)
  return StandardMerkleTree.of(
    Array.from(bits, (b, i) => [BigInt(i), b] as [bigint, number]),
    ['uint256', 'uint32'],
    { sortLeaves: false },
  )
}

/** One element's leaf, as TensorCommitment.leaf computes it. */
export function tensorLeaf(index: number, bits: number): Hex {
  return keccak256(
    keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'uint32' }], [BigInt(index), bits])),
  )
}
