// The optimizer half of a training step — clip by the global gradient norm, AdamW, commit to the new
// state — behind one interface, so that a backend can keep it where its tensors live (the GPU's:
// resident.ts) and the trainer is written once. This file's host stepper is the reference and every
// other backend's path (the CPU reference, tracing, float64): the kernels one by one, the refusal decided
// on the host, the commitment hashed with viem.
import type { Hex } from 'viem'
import { clipScale } from '../kernels/adamw.ts'
import type { Backend } from '../ops/op.ts'
import type { AdamHyper } from '../ops/adamw.ts'
import { stateHash, type NamedTensor } from './state.ts'

/** One parameter as the optimizer holds it: the weights and AdamW's two moments. */
export interface ParamState<T> {
  name: string
  shape: readonly number[]
  /** Whether weight decay applies. */
  decay: boolean
  p: T
  m: T
  v: T
}

/** What the optimizer needs once a step's backward pass has run. */
export interface StepUpdate<T> {
  /** The 1-based step this update makes: the state it commits to is at this step. */
  step: number
  /** The step's loss, one value. */
  loss: T
  /** One per parameter, in the stepper's order. */
  grads: readonly T[]
  /** AdamW's hyperparameters; weightDecay applies to the parameters marked `decay`. */
  hyper: Omit<AdamHyper, 'gradScale' | 'step'>
  /** The global gradient-norm clip. */
  clip: number
}

export interface StepOutcome {
  loss: number
  gradNorm: number
  /** The commitment to the state after the step; null when the step was refused and changed nothing. */
  stateHash: Hex | null
}

/**
 * Clipping, AdamW and the commitment of one trainer's state. A step whose loss or gradient norm is
 * not finite is refused and leaves the state unchanged; so does every update after it until reset(),
 * since those were queued against a state the refused step never made.
 */
export interface Stepper<T> {
  /**
   * Queues step `u.step`'s update; resolves once it is queued, to the promise of its outcome. The
   * update's tensors may be released as soon as it resolves.
   */
  update(u: StepUpdate<T>): Promise<{ outcome: Promise<StepOutcome> }>
  /** The commitment to the state as it stands, at `step` (state.ts). */
  commit(step: number): Promise<Hex>
  /** Lets updates apply again after a refusal. */
  reset(): void
  dispose(): void
}

/** The state in the canonical order of state.ts: parameters, then `m.<name>`, then `v.<name>`. */
export function canonical<T>(
  state: readonly ParamState<T>[],
): { name: string; shape: readonly number[]; t: T }[] {
  return [
    ...state.map((s) => ({ name: s.name, shape: s.shape, t: s.p })),
    ...state.map((s) => ({ name: `m.${s.name}`, shape: s.shape, t: s.m })),
    ...state.map((s) => ({ name: `v.${s.name}`, shape: s.shape, t: s.v })),
  ]
}

/** Several tensors back: in one batch where the backend can, else one by one. */
export async function downloadAll<T>(be: Backend<T>, ts: readonly T[]): Promise<Float32Array[]> {
  if (be.downloadMany) return be.downloadMany(ts)
  const out: Float32Array[] = []
  for (const t of ts) out.push(await be.download(t))
  return out
}

/** The state's tensors, read back, in the canonical order. */
export async function stateTensors<T>(
  be: Backend<T>,
  state: readonly ParamState<T>[],
): Promise<NamedTensor[]> {
  const entries = canonical(state)
  const data = await downloadAll(
    be,
    entries.map((e) => e.t),
  )
  return entries.map((e, i) => ({ name: e.name, shape: e.shape, data: data[i] }))
}

/** The stepper of a backend without its own: every kernel called from the host, in order. */
export function hostStepper<T>(be: Backend<T>, state: readonly ParamState<T>[]): Stepper<T> {
  let refused = false
  const commit = async (step: number) => stateHash(step, await stateTensors(be, state))
  return {
    async update(u) {
      const loss = (await be.download(u.loss))[0]
      const gradNorm = await be.gradNorm(u.grads)
      if (refused || !Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        refused = true
        return { outcome: Promise.resolve({ loss, gradNorm, stateHash: null }) }
      }
      const gradScale = clipScale(gradNorm, u.clip)
      for (const [i, s] of state.entries()) {
        await be.adamw(s.p, u.grads[i], s.m, s.v, {
          ...u.hyper,
          weightDecay: s.decay ? u.hyper.weightDecay : 0,
          step: u.step,
          gradScale,
        })
      }
      return { outcome: Promise.resolve({ loss, gradNorm, stateHash: await commit(u.step) }) }
    },
    commit,
    reset: () => void (refused = false),
    dispose: () => {},
  }
}
