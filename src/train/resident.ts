// The GPU's optimizer step (Backend.stepper): the gradient norm, the clip, the refusal of a non-finite
// step and the state commitment all stay on the device. A step reads back one block of 64 bytes — loss,
// gradient norm, the finite flag and the 32-byte state hash — in one map, whatever the model's size,
// and starts that read at once, so the host can queue the next step while this one runs.
import type { Gpu } from '../gpu/runtime.ts'
import { release, upload, type GpuTensor } from '../gpu/tensor.ts'
import { STEP_SCALARS, adamw, globalGradNorm, stepGuard } from '../kernels/adamw.ts'
import { DIGEST_WORDS, digestHex } from '../kernels/keccak.ts'
import { commitState } from './commit.ts'
import { canonical, type ParamState, type StepOutcome, type Stepper } from './step.ts'

/** Where the state hash sits in a step's scalars (after stepGuard's words). */
const HASH_WORD = 8

/** A step's scalars with the finite flag set: how a run starts, and resumes after a refusal. */
function freshScalars(gpu: Gpu): GpuTensor {
  const words = new Uint32Array(STEP_SCALARS)
  words[1] = 1
  return upload(gpu, words)
}

function outcome(bytes: ArrayBuffer): StepOutcome {
  const words = new Uint32Array(bytes)
  const f32 = new Float32Array(bytes)
  return {
    loss: f32[2],
    gradNorm: f32[0],
    stateHash: words[1] === 1 ? digestHex(words.slice(HASH_WORD, HASH_WORD + DIGEST_WORDS)) : null,
  }
}

export function gpuStepper(gpu: Gpu, state: readonly ParamState<GpuTensor>[]): Stepper<GpuTensor> {
  const tensors = canonical(state)
  let scalars = freshScalars(gpu)
  return {
    async update(u) {
      const norm = await globalGradNorm(gpu, u.grads)
      await stepGuard(gpu, u.loss, norm, scalars)
      for (const [i, s] of state.entries()) {
        await adamw(gpu, s.p, u.grads[i], s.m, s.v, {
          ...u.hyper,
          weightDecay: s.decay ? u.hyper.weightDecay : 0,
          step: u.step,
          clip: { norm: scalars, maxNorm: u.clip, guarded: true },
        })
      }
      // A refused step hashes the unchanged state too; its outcome says so and the hash is dropped.
      await commitState(gpu, u.step, tensors, scalars.buffer, HASH_WORD)
      release(gpu, norm)
      // Queue order: the copy is taken before any later step writes these scalars.
      const read = gpu.read(scalars.buffer, 4 * STEP_SCALARS)
      return { outcome: read.then(outcome) }
    },
    async commit(step) {
      const out = gpu.buffer(4 * DIGEST_WORDS)
      try {
        await commitState(gpu, step, tensors, out)
        return digestHex(new Uint32Array(await gpu.read(out, 4 * DIGEST_WORDS)))
      } finally {
        gpu.release(out)
      }
    },
    reset() {
      release(gpu, scalars)
      scalars = freshScalars(gpu)
    },
    dispose() {
      release(gpu, scalars)
    },
  }
}
