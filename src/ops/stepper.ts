// What a backend's stepper is: the optimizer half of a training step (clip, AdamW, commitment) behind one
// interface, implemented by src/train/step.ts (on the host) and src/train/resident.ts (on the GPU). Declared
// here, beside the Backend it is part of (op.ts), so neither imports the trainer.
import type { Hex } from 'viem'
import type { AdamHyper } from '../kernels/adamw.ts'

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
