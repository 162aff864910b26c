// The GPU's resident optimizer step against the host stepper (the CPU reference's): the same outcomes
// for the same updates, refusals and their stickiness included; and the trainer's overlapped steps
// and batched checkpoint reads on the GPU, against the CPU reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NonFiniteError } from '../errors/train.ts'
import { Gpu } from '../gpu/runtime.ts'
import { mulberry32 } from '../util/random.ts'
import type { Backend } from '../ops/op.ts'
import { cpuBackend } from './cpu.ts'
import { gpuBackend } from './gpu.ts'
import { KJV_PENTATEUCH, corpusPath, fetchCorpus, splitBy } from './corpus.ts'
import { presets } from './gpt.ts'
import { hostStepper, stateTensors, type ParamState, type StepOutcome } from './step.ts'
import { Trainer, defaultTrainConfig, type StepResult } from './trainer.ts'

let gpu: Gpu
let train: Uint8Array
beforeAll(async () => {
  gpu = await Gpu.create()
  const bytes = await fetchCorpus(KJV_PENTATEUCH, `/${corpusPath(KJV_PENTATEUCH)}`)
  train = splitBy(KJV_PENTATEUCH, bytes).train
})
afterAll(() => gpu?.destroy())

const random = (n: number, seed: number, scale: number) => {
  const next = mulberry32(seed)
  return Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * scale)
}

/** A stepper's outcomes and final state over: good, refused, queued behind it, reset, good again. */
async function scenario<T>(be: Backend<T>) {
  const shapes = [[3, 5], [7], [130]] as const
  const state: ParamState<T>[] = shapes.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1)
    const up = (seed: number, scale: number) => be.upload(random(n, seed, scale), shape)
    return { name: `w${i}`, shape, decay: i !== 1, p: up(i, 2), m: up(10 + i, 0.01), v: up(20 + i, 0) }
  })
  const stepper = be.stepper?.(state) ?? hostStepper(be, state)
  const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }
  const grads = (seed: number) =>
    state.map((s, i) =>
      be.upload(
        random(
          s.shape.reduce((a, b) => a * b, 1),
          seed + i,
          3,
        ),
        s.shape,
      ),
    )
  const update = async (step: number, loss: number, seed: number) => {
    const { outcome } = await stepper.update({
      step,
      loss: be.upload(Float32Array.of(loss), [1]),
      grads: grads(seed),
      hyper,
      clip: 1,
    })
    return outcome
  }
  const outcomes: StepOutcome[] = []
  outcomes.push(await await update(1, 2.5, 100))
  const refused = await update(2, NaN, 200)
  const behind = await update(3, 2.25, 300) // queued before the refusal is known
  outcomes.push(await refused, await behind)
  const afterRefusal = await stepper.commit(1)
  stepper.reset()
  outcomes.push(await await update(2, 2.0, 400))
  const tensors = await stateTensors(be, state)
  return { outcomes, afterRefusal, tensors, commit: await stepper.commit(2) }
}

describe('the GPU stepper', () => {
  it('gives the host stepper outcomes and state, refusals sticking until reset', async () => {
    const want = await scenario(cpuBackend)
    expect(want.outcomes.map((o) => o.stateHash === null)).toEqual([false, true, true, false])
    expect(want.afterRefusal).toBe(want.outcomes[0].stateHash)
    expect(want.commit).toBe(want.outcomes[3].stateHash)
    const got = await scenario(gpuBackend(gpu))
    expect(got.outcomes.map((o) => o.stateHash)).toEqual(want.outcomes.map((o) => o.stateHash))
    // The refused steps' loss is NaN on both: compare bits, not values.
    const bits = (o: StepOutcome[]) =>
      o.map((x) => new Uint32Array(Float32Array.of(x.loss, x.gradNorm).buffer).join())
    expect(bits(got.outcomes)).toEqual(bits(want.outcomes))
    expect(got.afterRefusal).toBe(want.afterRefusal)
    expect(got.commit).toBe(want.commit)
    expect(got.tensors).toEqual(want.tensors)
  })
})

describe('training on the GPU, steps overlapped', () => {
  it('gives the CPU reference results, state hash and checkpoint', async () => {
    const config = defaultTrainConfig(presets.tiny, { steps: 6, batch: 2, warmup: 1 })
    const onCpu = Trainer.create(cpuBackend, config)
    const want: StepResult[] = []
    for (let i = 0; i < 3; i++) want.push(await onCpu.trainStep(train))
    const onGpu = Trainer.create(gpuBackend(gpu), config)
    expect(await onGpu.trainSteps(train, 3)).toEqual(want)
    expect(await onGpu.stateHash()).toBe(want[2].stateHash)
    expect(await onGpu.checkpoint()).toEqual(await onCpu.checkpoint())
    expect(await onGpu.weights()).toEqual(await onCpu.weights())
    onGpu.dispose()
  }, 300_000)

  it('refuses a non-finite step mid-run and leaves the state as after the last good one', async () => {
    const config = defaultTrainConfig(presets.tiny, { steps: 6, batch: 2, lr: 1e30, minLr: 1e30, warmup: 0 })
    const onCpu = Trainer.create(cpuBackend, config)
    await onCpu.trainStep(train)
    const onGpu = Trainer.create(gpuBackend(gpu), config)
    const heard: number[] = []
    const run = onGpu.trainSteps(train, 4, { onStep: (r) => void heard.push(r.step) })
    await expect(run).rejects.toThrow(NonFiniteError)
    await expect(onCpu.trainStep(train)).rejects.toThrow(/Step 2 was refused/)
    expect(heard).toEqual([1])
    expect(onGpu.step).toBe(1)
    expect(await onGpu.stateHash()).toBe(await onCpu.stateHash())
    expect(await onGpu.checkpoint()).toEqual(await onCpu.checkpoint())
    onGpu.dispose()
  }, 300_000)
})
