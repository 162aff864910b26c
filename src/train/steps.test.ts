// trainSteps: several steps with each queued before the one before it is read back, which must be the
// same as that many trainStep calls, refusals included (the GPU's overlap is checked in
// resident.gpu.test.ts; here the host stepper, the CPU reference's).
import { describe, expect, it } from 'vitest'
import { NonFiniteError } from '../errors/train.ts'
import { cpuBackend } from './cpu.ts'
import { KJV_PENTATEUCH, splitBy } from './corpus.ts'
import type { GptConfig } from './gpt.ts'
import { kjvBytes } from './testing.ts'
import { Trainer, defaultTrainConfig, type StepResult } from './trainer.ts'

const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
const micro: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }
const config = defaultTrainConfig(micro, { steps: 12, batch: 2, warmup: 2 })
/** A learning rate so large that step 1 throws the weights to ~1e30 and step 2's loss is not finite. */
const diverging = { ...config, lr: 1e30, minLr: 1e30, warmup: 0 }

describe('trainSteps', () => {
  it('equals trainStep called as often, reporting each step in order', async () => {
    const one = Trainer.create(cpuBackend, config)
    const want: StepResult[] = []
    for (let i = 0; i < 3; i++) want.push(await one.trainStep(train))
    const many = Trainer.create(cpuBackend, config)
    const heard: StepResult[] = []
    expect(await many.trainSteps(train, 3, { onStep: (r) => void heard.push(r) })).toEqual(want)
    expect(heard).toEqual(want)
    expect(many.step).toBe(3)
    expect(await many.stateHash()).toBe(want[2].stateHash)
  })

  it('ends early when asked to stop, after the steps already queued', async () => {
    const t = Trainer.create(cpuBackend, config)
    let asked = 0
    const results = await t.trainSteps(train, 5, { stop: () => ++asked >= 2 })
    expect(results.map((r) => r.step)).toEqual([1, 2])
    expect(t.step).toBe(2)
  })

  it('keeps step with the state when onStep throws with the next step already queued', async () => {
    const t = Trainer.create(cpuBackend, config)
    const fail = (r: StepResult) => {
      if (r.step === 1) throw new Error('listener failed')
    }
    await expect(t.trainSteps(train, 4, { onStep: fail })).rejects.toThrow('listener failed')
    expect(t.step).toBe(2) // step 2 was queued, and ran, before step 1 was heard
    const ref = Trainer.create(cpuBackend, config)
    await ref.trainSteps(train, 2)
    expect(await t.stateHash()).toBe(await ref.stateHash())
  })

  it('refuses a non-finite step mid-run: the state stays as after the last good step', async () => {
    const t = Trainer.create(cpuBackend, diverging)
    const heard: number[] = []
    await expect(t.trainSteps(train, 4, { onStep: (r) => void heard.push(r.step) })).rejects.toThrow(
      NonFiniteError,
    )
    expect(heard).toEqual([1])
    expect(t.step).toBe(1)
    const ref = Trainer.create(cpuBackend, diverging)
    await ref.trainStep(train)
    expect(await t.stateHash()).toBe(await ref.stateHash())
    await expect(ref.trainStep(train)).rejects.toThrow(/Step 2 was refused: the loss is not finite/)
    // A retry runs the step again (and is refused again, the weights being what they are).
    await expect(t.trainStep(train)).rejects.toThrow(/Step 2 was refused: the loss is not finite/)
  })
})
