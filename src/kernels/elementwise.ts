import source from '../../shaders/elementwise.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, numel, requireDType, requireSameShape, type GpuTensor } from '../gpu/tensor.ts'
import * as sf from './softfloat.ts'
import * as special from './special.ts'
import { dispatchTwoPass } from './twoPass.ts'

// Backward ops take the forward input x and the upstream gradient g and return dL/dx. Each
// derivative is its own fixed sequence of softfloat steps, mirrored in shaders/elementwise.wgsl.

/** relu'(x) g as a mask, not a product: an infinite g survives where x > 0 and vanishes elsewhere. */
export function reluGrad(x: number, g: number): number {
  if (x !== x) return NaN
  return x > 0 ? sf.canon(g) : 0
}

/** sigmoid'(x) = e / (1 + e)^2 with e = e^-|x|: symmetric, and no 1 - sigmoid cancellation. */
export function sigmoidGrad(x: number, g: number): number {
  const y = sf.expY(sf.neg(sf.abs(x)), 0)
  const k = sf.more[0]
  const d = sf.add(1, sf.ldexp(y, k))
  return sf.mul(g, sf.ldexp(sf.div(y, sf.mul(d, d)), k))
}

/** tanh'(x) = 4e / (1 + e)^2 with e = e^-2|x|, for the same reason. */
export function tanhGrad(x: number, g: number): number {
  const ax = sf.abs(x)
  const y = sf.expY(sf.neg(sf.add(ax, ax)), 0)
  const k = sf.more[0]
  const d = sf.add(1, sf.ldexp(y, k))
  return sf.mul(g, sf.ldexp(sf.div(y, sf.mul(d, d)), k + 2))
}

/** d/dx x sigmoid(v) = sigmoid(v) + x v' sigmoid'(v), where x v' = 3v - 2w (see geluTanhArg). */
export function geluTanhGrad(x: number, g: number): number {
  if (x !== x) return NaN
  let dy = 1
  if (x <= -11) dy = -0
  else if (x < 10) {
    const vh = sf.geluTanhArgV(x)
    const vl = sf.more[0]
    const wh = sf.more[1]
    const wl = sf.more[2]
    const negative = vh < 0
    const y = sf.expY(negative ? vh : sf.neg(vh), negative ? vl : sf.neg(vl))
    const k = sf.more[0]
    const d = sf.add(1, sf.ldexp(y, k))
    // 3v - 2w from the compensated parts: only the last two steps round
    const th = sf.twoSumS(sf.add(vh, vh), vh)
    const tl = sf.more[0]
    const xdv = sf.add(sf.sub(th, sf.add(wh, wh)), sf.sub(sf.add(tl, sf.mul(3, vl)), sf.add(wl, wl)))
    const sp = sf.div(y, sf.mul(d, d)) // sigmoid'(v) / 2^k, scaled last so tails round once
    dy = negative
      ? sf.ldexp(sf.add(sf.div(y, d), sf.mul(xdv, sp)), k)
      : sf.add(sf.div(1, d), sf.mul(xdv, sf.ldexp(sp, k)))
  }
  return sf.mul(g, dy)
}

/** d/dx x Phi(x) = Phi(x) + x phi(x), with Phi and phi from the same pieces as geluErf. */
export function geluErfGrad(x: number, g: number): number {
  if (x !== x) return NaN
  let dy = 1
  if (x <= -14.5) dy = -0
  else if (x < 6) {
    const ax = sf.abs(x)
    const y = sf.gaussY(ax)
    const k = sf.more[0]
    const phi = sf.mul(sf.ldexp(y, k), sf.INV_SQRT_2PI)
    if (ax < 0.75) dy = sf.add(sf.phiSmall(x), sf.mul(x, phi))
    else {
      const w = sf.div(1, ax)
      const h = sf.millsFit(ax, w)
      dy =
        x < 0
          ? sf.ldexp(sf.mul(y, sf.sub(sf.mul(h, w), sf.mul(ax, sf.INV_SQRT_2PI))), k)
          : sf.add(sf.sub(1, sf.mul(sf.mul(sf.ldexp(y, k), h), w)), sf.mul(x, phi))
    }
  }
  return sf.mul(g, dy)
}

// The shader's OP ids (shaders/elementwise.wgsl's switch) beside each op's reference.
const unaryOps = {
  exp: [0, sf.exp],
  log: [1, sf.log],
  tanh: [2, sf.tanh],
  sigmoid: [3, sf.sigmoid],
  relu: [4, (x: number) => sf.max(x, 0)],
  geluTanh: [5, sf.geluTanh],
  geluErf: [6, sf.geluErf],
  sqrt: [7, sf.sqrt],
  rsqrt: [8, sf.rsqrt],
  neg: [9, sf.neg],
  abs: [10, sf.abs],
  erf: [12, special.erf],
  sin: [13, special.sin],
  cos: [14, special.cos],
  reciprocal: [15, (x: number) => sf.div(1, x)],
} as const satisfies Record<string, readonly [number, (x: number) => number]>
const SCALE_ID = 11
const binaryOps = {
  add: [16, sf.add],
  sub: [17, sf.sub],
  mul: [18, sf.mul],
  div: [19, sf.div],
} as const satisfies Record<string, readonly [number, (a: number, b: number) => number]>
const gradOps = {
  relu: [32, reluGrad],
  geluTanh: [33, geluTanhGrad],
  geluErf: [34, geluErfGrad],
  sigmoid: [35, sigmoidGrad],
  tanh: [36, tanhGrad],
} as const satisfies Record<string, readonly [number, (x: number, g: number) => number]>

export type UnaryOp = keyof typeof unaryOps
export type BinaryOp = keyof typeof binaryOps
export type GradOp = keyof typeof gradOps
export const UNARY_OPS = Object.keys(unaryOps) as UnaryOp[]
export const BINARY_OPS = Object.keys(binaryOps) as BinaryOp[]
export const GRAD_OPS = Object.keys(gradOps) as GradOp[]

export function unaryRef(op: UnaryOp, x: Float32Array): Float32Array {
  const f = unaryOps[op][1]
  return sf.f32Array(x.length, (i) => f(x[i]))
}

export function scaleRef(x: Float32Array, s: number): Float32Array {
  const factor = Math.fround(s)
  return sf.f32Array(x.length, (i) => sf.mul(x[i], factor))
}

/** a op b, with b the same length as a or one row that repeats over a (a bias). */
export function binaryRef(op: BinaryOp, a: Float32Array, b: Float32Array): Float32Array {
  if (b.length !== a.length && (b.length === 0 || a.length % b.length !== 0)) {
    throw new ShapeError(`${op}: ${b.length} values do not tile ${a.length}.`)
  }
  const f = binaryOps[op][1]
  return sf.f32Array(a.length, (i) => f(a[i], b[i % b.length]))
}

export function gradRef(op: GradOp, x: Float32Array, dy: Float32Array): Float32Array {
  if (x.length !== dy.length)
    throw new ShapeError(`${op} grad: x has ${x.length} values but dy ${dy.length}.`)
  const f = gradOps[op][1]
  return sf.f32Array(x.length, (i) => f(x[i], dy[i]))
}

/** y = op(x) on the GPU, bit-identical to unaryRef. The caller releases y. */
export async function unary(gpu: Gpu, op: UnaryOp, x: GpuTensor): Promise<GpuTensor> {
  requireDType(op, x, 'f32')
  return launch(gpu, unaryOps[op][0], x, x, numel(x.shape), 0)
}

/** y = s x, with s rounded to f32 first. */
export async function scale(gpu: Gpu, x: GpuTensor, s: number): Promise<GpuTensor> {
  requireDType('scale', x, 'f32')
  return launch(gpu, SCALE_ID, x, x, numel(x.shape), sf.f32Bits(Math.fround(s)))
}

/** a op b for b of a's shape, or b = [n] repeated over every row of a = [..., n] (a bias). */
export async function binary(gpu: Gpu, op: BinaryOp, a: GpuTensor, b: GpuTensor): Promise<GpuTensor> {
  requireDType(op, a, 'f32')
  requireDType(op, b, 'f32')
  const row = a.shape[a.shape.length - 1]
  const isBias = b.shape.length === 1 && a.shape.length > 1 && b.shape[0] === row
  if (!isBias) requireSameShape(op, a, b)
  return launch(gpu, binaryOps[op][0], a, b, isBias ? row : numel(a.shape), 0)
}

/** dx = op'(x) dy, from the forward input x and the upstream gradient dy. */
export async function grad(gpu: Gpu, op: GradOp, x: GpuTensor, dy: GpuTensor): Promise<GpuTensor> {
  requireDType(`${op} grad`, x, 'f32')
  requireDType(`${op} grad`, dy, 'f32')
  requireSameShape(`${op} grad`, x, dy)
  return launch(gpu, gradOps[op][0], x, dy, numel(x.shape), 0)
}

/** Workgroups as [x, y]: x up to the per-dimension limit, y rows of them. */
export function grid(groups: number, maxPerDimension: number): [number, number] {
  const x = Math.max(1, Math.min(groups, maxPerDimension))
  return [x, Math.ceil(groups / x)]
}

async function launch(
  gpu: Gpu,
  op: number,
  a: GpuTensor,
  b: GpuTensor,
  period: number,
  scalar: number,
): Promise<GpuTensor> {
  const n = numel(a.shape)
  if (n === 0) return empty(gpu, a.shape)
  const code = shader('elementwise', source, { nativeDot4: gpu.nativeDot4 })
  const constants = { OP: op }
  const out = empty(gpu, a.shape)
  const params = new Uint32Array([n, Math.max(1, period), scalar, 0])
  const groups = grid(Math.ceil(n / 64), gpu.limits.maxComputeWorkgroupsPerDimension)
  const buffers = [a.buffer, b.buffer, out.buffer]
  if (!FAST_OPS.has(op)) {
    gpu.dispatch(await gpu.pipeline(code, { constants }), params, buffers, groups)
    return out
  }
  // Two passes, the same bits as one: `fast` answers the elements its normal-range arithmetic can and
  // lists the rest, which `redo` recomputes with the full functions (shaders/lib/softfloat_fast.wgsl).
  const passes = await Promise.all([
    gpu.pipeline(code, { entryPoint: 'fast', constants }),
    gpu.pipeline(code, { entryPoint: 'redo', constants }),
  ])
  dispatchTwoPass(gpu, passes, params, buffers, groups, n)
  return out
}

/** Ops whose kernel runs `fast` then `redo` (ew_fast in shaders/elementwise.wgsl): GELU and its gradient. */
const FAST_OPS = new Set<number>([unaryOps.geluTanh[0], gradOps.geluTanh[0]])
