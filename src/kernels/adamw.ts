import source from '../../shaders/adamw.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, numel, requireDType, requireSameShape, type GpuTensor } from '../gpu/tensor.ts'
import { fixedAccumulate, fixedToF32Bits, fxExponent } from './fixed.ts'
import { checkWorkgroupSize } from './reduce.ts'
import { biasCorrection } from './schedule.ts'
import * as sf from './softfloat.ts'

/** AdamW's hyperparameters for one step, as the op modules and the trainer's stepper pass them. */
export interface AdamHyper {
  /** Learning rate for this step (already scheduled), an f32 value. */
  lr: number
  beta1: number
  beta2: number
  eps: number
  weightDecay: number
  /** 1-based step number t, for the bias corrections. */
  step: number
  /** Gradient multiplier (global-norm clipping); 1 when not clipping. */
  gradScale: number
}

export interface AdamWOptions {
  /** The learning rate for this step (e.g. from lrSchedule), rounded to f32. */
  lr: number
  /** The 1-based step number t of the bias corrections 1 - beta^t. */
  step: number
  beta1?: number
  beta2?: number
  eps?: number
  weightDecay?: number
  /** Multiplies the gradient first (default 1), e.g. clipScale(norm, maxNorm) computed on the CPU. */
  gradScale?: number
  /**
   * Clip on the GPU instead, with no read-back: scale = min(1, maxNorm / norm[0]). `guarded`: `norm`
   * is a step's scalars from {@link stepGuard}, and the update is skipped unless their flag says finite.
   */
  clip?: { norm: GpuTensor; maxNorm: number; guarded?: boolean }
  /** Threads per workgroup, an override constant; elementwise, so it cannot change a bit. */
  workgroupSize?: number
}

/** The f32 scalars of one update, exactly as the shader receives them. */
export interface AdamWScalars {
  lr: number
  beta1: number
  beta2: number
  oneMinusBeta1: number
  oneMinusBeta2: number
  bias1: number
  bias2: number
  eps: number
  weightDecay: number
  gradScale: number
}

/**
 * One AdamW update, in place: m, v and then p are overwritten (an optimizer owns its state, and a
 * copy of every parameter would double the memory). Per element, each step rounded once:
 * g = grad * scale; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m/(1 - b1^t) /
 * (sqrt(v/(1 - b2^t)) + eps) + wd p). Bit-identical on every adapter and to {@link adamwRef}.
 *
 * @example
 * const norm = await globalGradNorm(gpu, grads)
 * const lr = lrSchedule(t - 1, schedule)
 * for (const [i, p] of params.entries())
 *   await adamw(gpu, p, grads[i], m[i], v[i], { lr, step: t, clip: { norm, maxNorm: 1 } })
 */
export async function adamw(
  gpu: Gpu,
  p: GpuTensor,
  grad: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  options: AdamWOptions,
): Promise<void> {
  for (const [name, t] of Object.entries({ p, grad, m, v })) {
    requireDType(`adamw (${name})`, t, 'f32')
    requireSameShape('adamw', p, t)
  }
  if (new Set([p.buffer, grad.buffer, m.buffer, v.buffer]).size !== 4) {
    throw new ShapeError('adamw: p, grad, m and v must be four different buffers (p, m and v are written).')
  }
  const { clip } = options
  if (clip) {
    if (options.gradScale !== undefined) throw new ShapeError('adamw: pass gradScale or clip, not both.')
    if (clip.guarded) {
      requireDType('adamw (clip.norm)', clip.norm, 'u32')
      if (numel(clip.norm.shape) !== STEP_SCALARS)
        throw new ShapeError(`adamw: a guarded clip.norm must be a step's ${STEP_SCALARS} scalars.`)
    } else {
      requireDType('adamw (clip.norm)', clip.norm, 'f32')
      if (numel(clip.norm.shape) !== 1) throw new ShapeError('adamw: clip.norm must hold one value.')
    }
  }
  const s = adamwScalars(options)
  // With clip, the shader's `scale` slot carries maxNorm; the scale itself is made per thread.
  const scale = clip ? checkScalar('adamw', 'clip.maxNorm', clip.maxNorm) : s.gradScale
  const wg = checkWorkgroupSize(gpu, 'adamw', options.workgroupSize ?? 64)
  const n = numel(p.shape)
  if (n === 0) return
  const groups = Math.ceil(n / wg)
  const gx = Math.min(groups, gpu.limits.maxComputeWorkgroupsPerDimension)
  const scalars = [s.lr, s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.bias1, s.bias2, s.eps]
  const uniforms = new Uint32Array([
    n,
    gx,
    clip ? (clip.guarded ? 2 : 1) : 0,
    ...[...scalars, s.weightDecay, scale].map(sf.f32Bits),
  ])
  // Without clipping the norm binding is never read; the layout still wants a buffer there.
  const normBuffer = clip ? clip.norm.buffer : gpu.buffer(4)
  const pipeline = await gpu.pipeline(shader('adamw', source, { nativeDot4: gpu.nativeDot4 }), {
    entryPoint: 'adamw_step',
    constants: { WG: wg },
  })
  gpu.dispatch(
    pipeline,
    uniforms,
    [p.buffer, grad.buffer, m.buffer, v.buffer, normBuffer],
    [gx, Math.ceil(groups / gx)],
  )
  if (!clip) gpu.release(normBuffer)
}

/**
 * Words of a training step's scalars as {@link stepGuard} writes them: [0] the gradient norm, [1] 1
 * while this step's loss and norm and every one's since the flag was last set to 1 were finite, else 0,
 * [2] the loss (f32 bits). Words 3.. are the caller's (the trainer's state hash is at 8..15).
 */
export const STEP_SCALARS = 16

/**
 * Records a step's guard: copies `loss[0]` and `norm[0]` into `scalars` and clears its finite flag
 * unless both are finite. A cleared flag stays cleared, so an AdamW with a guarded clip on these
 * scalars skips this step's update and every later one's until the host sets the flag again.
 */
export async function stepGuard(
  gpu: Gpu,
  loss: GpuTensor,
  norm: GpuTensor,
  scalars: GpuTensor,
): Promise<void> {
  requireDType('stepGuard (loss)', loss, 'f32')
  requireDType('stepGuard (norm)', norm, 'f32')
  requireDType('stepGuard (scalars)', scalars, 'u32')
  if (numel(loss.shape) !== 1 || numel(norm.shape) !== 1 || numel(scalars.shape) !== STEP_SCALARS)
    throw new ShapeError(`stepGuard: needs one loss, one norm and ${STEP_SCALARS} scalars.`)
  const code = shader('adamw', source, { nativeDot4: gpu.nativeDot4 })
  const pipeline = await gpu.pipeline(code, { entryPoint: 'step_guard' })
  gpu.dispatch(pipeline, null, [loss.buffer, norm.buffer, scalars.buffer], [1])
}

/** Validates the hyperparameters and computes the f32 scalars (bias corrections via softfloat). */
export function adamwScalars(options: AdamWOptions): AdamWScalars {
  const { step } = options
  if (!Number.isInteger(step) || step < 1 || step > 2 ** 31 - 1) {
    throw new ShapeError(`adamw: step must be an integer >= 1 (the first update is step 1); got ${step}.`)
  }
  const beta1 = checkScalar('adamw', 'beta1', options.beta1 ?? 0.9)
  const beta2 = checkScalar('adamw', 'beta2', options.beta2 ?? 0.999)
  for (const [name, b] of Object.entries({ beta1, beta2 })) {
    if (!(b >= 0 && b < 1)) throw new ShapeError(`adamw: ${name} must be in [0, 1); got ${b}.`)
  }
  return {
    lr: checkScalar('adamw', 'lr', options.lr),
    beta1,
    beta2,
    oneMinusBeta1: sf.sub(1, beta1),
    oneMinusBeta2: sf.sub(1, beta2),
    bias1: biasCorrection(beta1, step),
    bias2: biasCorrection(beta2, step),
    eps: checkScalar('adamw', 'eps', options.eps ?? 1e-8),
    weightDecay: checkScalar('adamw', 'weightDecay', options.weightDecay ?? 0),
    gradScale: checkScalar('adamw', 'gradScale', options.gradScale ?? 1),
  }
}

function checkScalar(op: string, name: string, x: number): number {
  const f = Math.fround(x)
  if (!Number.isFinite(f)) throw new ShapeError(`${op}: ${name} must be a finite f32; got ${x}.`)
  return f
}

/** min(1, maxNorm / norm), the gradient scale of global-norm clipping (NaN norm: NaN; Inf: 0). */
export function clipScale(norm: number, maxNorm: number): number {
  return sf.min(1, sf.div(Math.fround(maxNorm), Math.fround(norm)))
}

/**
 * The CPU reference for {@link adamw}: returns the new p, m and v (the inputs are not modified).
 * `gradScale` plays the role of either option of the GPU call: pass clipScale(norm, maxNorm).
 */
export function adamwRef(
  p: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  options: Omit<AdamWOptions, 'clip' | 'workgroupSize'>,
) {
  if (grad.length !== p.length || m.length !== p.length || v.length !== p.length) {
    throw new ShapeError(
      `adamw: p, grad, m and v need equal lengths; got ${[p, grad, m, v].map((a) => a.length)}.`,
    )
  }
  const s = adamwScalars(options)
  const out = { p: new Uint32Array(p.length), m: new Uint32Array(p.length), v: new Uint32Array(p.length) }
  for (let i = 0; i < p.length; i++) {
    const g = sf.mul(grad[i], s.gradScale)
    const mi = sf.add(sf.mul(s.beta1, m[i]), sf.mul(s.oneMinusBeta1, g))
    const vi = sf.add(sf.mul(s.beta2, v[i]), sf.mul(s.oneMinusBeta2, sf.mul(g, g)))
    const mHat = sf.div(mi, s.bias1)
    const vHat = sf.div(vi, s.bias2)
    const step = sf.add(sf.div(mHat, sf.add(sf.sqrt(vHat), s.eps)), sf.mul(s.weightDecay, p[i]))
    out.p[i] = sf.f32Bits(sf.sub(p[i], sf.mul(s.lr, step)))
    out.m[i] = sf.f32Bits(mi)
    out.v[i] = sf.f32Bits(vi)
  }
  return {
    p: new Float32Array(out.p.buffer),
    m: new Float32Array(out.m.buffer),
    v: new Float32Array(out.v.buffer),
  }
}

// ---- Global gradient norm ----

const NORM_SCALE = 128
const MAX_NORM_GROUPS = 1024

/**
 * sqrt(sum of g^2) over all elements of all the tensors, as a [1] f32 tensor, bit-identical on every
 * adapter and to {@link globalGradNormRef}. The squares of g * 2^-s (s from the largest exponent, so
 * nothing overflows) are summed exactly in fixed point and rounded once; any NaN gives NaN, any
 * infinity +Inf.
 */
export async function globalGradNorm(
  gpu: Gpu,
  grads: readonly GpuTensor[],
  options: { workgroupSize?: number } = {},
): Promise<GpuTensor> {
  grads.forEach((g, i) => requireDType(`globalGradNorm (tensor ${i})`, g, 'f32'))
  const wg = checkWorkgroupSize(gpu, 'globalGradNorm', options.workgroupSize ?? gpu.rowWorkgroupSize)
  const sizes = grads.map((g) => numel(g.shape))
  // Workgroups per 64 elements whatever their size: the partials buffer (and the memory src/train/memory.ts
  // counts) is then the same on every adapter.
  const groups = sizes.map((n) => Math.min(Math.ceil(n / 64), MAX_NORM_GROUPS))
  const total = groups.reduce((a, b) => a + b, 0)
  const code = shader('adamw', source, { nativeDot4: gpu.nativeDot4 })
  const pipe = (entryPoint: string) => gpu.pipeline(code, { entryPoint, constants: { WG: wg } })
  const [scalePass, partialPass, finishPass] = await Promise.all(
    ['norm_scale', 'norm_partial', 'norm_finish'].map(pipe),
  )
  const state = gpu.upload(new Uint32Array([0, 0]))
  const partials = gpu.buffer(Math.max(16, total * 16))
  const out = empty(gpu, [1])
  // Each entry point binds only what it uses: the tensor, then state, partials, out in turn.
  const run = (pipeline: GPUComputePipeline, buffers: (GPUBuffer | null)[], u: number[], count: number) =>
    gpu.dispatch(pipeline, new Uint32Array(u), buffers, [count])
  grads.forEach((g, i) => {
    if (groups[i]) run(scalePass, [g.buffer, state], [sizes[i], groups[i], 0], groups[i])
  })
  let offset = 0
  grads.forEach((g, i) => {
    if (groups[i]) run(partialPass, [g.buffer, state, partials], [sizes[i], groups[i], offset], groups[i])
    offset += groups[i]
  })
  run(finishPass, [null, state, partials, out.buffer], [total, 1, 0], 1)
  gpu.release(state)
  gpu.release(partials)
  return out
}

/** The CPU reference for {@link globalGradNorm}. */
export function globalGradNormRef(grads: readonly Float32Array[]): number {
  let eMax = 0
  for (const g of grads)
    for (const b of new Uint32Array(g.buffer, g.byteOffset, g.length)) eMax = Math.max(eMax, fxExponent(b))
  const s = eMax - 127
  const squares: number[] = []
  for (const g of grads) {
    for (const x of g) {
      const t = sf.ldexp(x, -s)
      squares.push(sf.f32Bits(sf.mul(t, t)))
    }
  }
  const sum = sf.f32FromBits(fixedToF32Bits(fixedAccumulate(squares, NORM_SCALE)))
  return sf.ldexp(sf.sqrt(sum), s)
}
