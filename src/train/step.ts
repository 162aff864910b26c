// The optimizer half of a training step — clip by the global gradient norm, AdamW, commit to the new
// state — behind one interface, so that a backend can keep it where its tensors live (the GPU's:
// resident.ts) and the trainer is written once. This file's host stepper is the reference and every
// other backend's path (the CPU reference, tracing, float64): the kernels one by one, the refusal decided
// on the host, the commitment hashed with viem.
import { clipScale } from '../kernels/adamw.ts'
import type { ParamState, Stepper } from '../ops/stepper.ts'

export type { ParamState, StepOutcome, Stepper, StepUpdate } from '../ops/stepper.ts'
import type { Backend } from '../ops/op.ts'
import { stateHash, type NamedTensor } from './state.ts'

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
