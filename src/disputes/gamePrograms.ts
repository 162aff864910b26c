// The small programs the dispute game is played over outside the tests too (the Settle page's demo game):
// a linear layer with a GELU and a weight update, over seeded initial state.
import { f32Bits } from '../kernels/softfloat.ts'
import { ONCHAIN_OPS as OP } from './onchain.ts'
import { COPY, type Spec } from './gameOps.ts'

const s = (kind: number, a: number, b: number, m: number, k: number, n: number): Spec => ({
  kind,
  a,
  b,
  c: 0,
  d: 0,
  m,
  k,
  n,
  consts: [],
})

/**
 * One training step of a linear layer, as slots: the state (W h×h, X 2×h, Xᵀ h×2, a learning-rate
 * tensor) copied in, H = X·W, G = gelu(H), D = Xᵀ·G, U = lr·D, W' = W − U, and tanh(W') as a last
 * op that no later step reads. W' is the next step's W.
 */
export function toyProgram(h: number): Spec[] {
  return [
    s(COPY, 8, 0, h, 0, h),
    s(COPY, 1, 0, 2, 0, h),
    s(COPY, 2, 0, h, 0, 2),
    s(COPY, 3, 0, h, 0, h),
    s(OP.matmul, 1, 0, 2, h, h),
    s(OP.geluTanh, 4, 0, 2, 0, h),
    s(OP.matmul, 2, 5, h, 2, h),
    s(OP.mul, 3, 6, h, 0, h),
    s(OP.sub, 0, 7, h, 0, h),
    s(OP.tanh, 8, 0, h, 0, h),
  ]
}

/** The toy program's initial state, seeded: small weights and inputs, lr 0.05. */
export function toyInitial(h: number, next: () => number): Uint32Array[] {
  const vals = (n: number, scale: number) =>
    Uint32Array.from({ length: n }, () => f32Bits(((next() % 2001) / 1000 - 1) * scale))
  const x = vals(2 * h, 1)
  const xt = new Uint32Array(2 * h)
  for (let i = 0; i < 2; i++) for (let j = 0; j < h; j++) xt[j * 2 + i] = x[i * h + j]
  return [vals(h * h, 0.5), x, xt, new Uint32Array(h * h).fill(f32Bits(0.05))]
}
