// Trainer.trainOn (one step on a given, weighted batch) and rowLosses (each position's loss): with
// every weight 1/rows they are the language-model step and its mean loss bit for bit; a step that
// overflows is refused like trainStep's; malformed batches are refused by name.
import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import { NonFiniteError } from '../errors/train.ts'
import { reduceRef } from '../kernels/reduce.ts'
import { cpuBackend } from './cpu.ts'
import { KJV_PENTATEUCH, splitBy } from './corpus.ts'
import { sampleBatch } from './data.ts'
import type { GptConfig } from './gpt.ts'
import { kjvBytes } from './testing.ts'
import { Trainer, defaultTrainConfig } from './trainer.ts'

const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
const micro: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }
// 2 × 8 = 16 positions: 1/16 is exact, so the weighted sum is the mean.
const config = defaultTrainConfig(micro, { steps: 12, batch: 2, warmup: 2 })
const batchAt = (step: number) =>
  sampleBatch(train, { seed: config.seed, step, batch: config.batch, seqLen: micro.seqLen })
const uniform = (n: number) => new Float32Array(n).fill(1 / n)

describe('Trainer.trainOn and rowLosses', () => {
  it('with weights 1/rows: the same steps as trainStep, bit for bit (loss, norm, lr, state hash)', async () => {
    const lm = Trainer.create(cpuBackend, config)
    const given = Trainer.create(cpuBackend, config)
    for (let step = 0; step < 3; step++) {
      const want = await lm.trainStep(train)
      const { inputs, targets } = batchAt(step)
      expect(await given.trainOn({ inputs, targets, weights: uniform(inputs.length) })).toEqual(want)
    }
    expect(given.step).toBe(3)
  })

  it('rowLosses: their exact mean is the loss of the batch', async () => {
    const trainer = Trainer.create(cpuBackend, config)
    const { inputs, targets } = batchAt(5)
    const rows = await trainer.rowLosses(inputs, targets)
    expect(rows.length).toBe(inputs.length)
    expect(rows.every((v) => v > 0)).toBe(true)
    expect(reduceRef(rows, [1, rows.length], 'mean')[0]).toBe(await trainer.loss(train, 5))
    expect(trainer.step).toBe(0) // no training
  })

  it('zero weights do not train: the gradient is zero, only weight decay moves the weights', async () => {
    const trainer = Trainer.create(cpuBackend, config)
    const { inputs, targets } = batchAt(0)
    const r = await trainer.trainOn({ inputs, targets, weights: new Float32Array(inputs.length) })
    expect(r.loss).toBe(0)
    expect(r.gradNorm).toBe(0)
  })

  it('refuses a step whose loss overflows, state unchanged; refuses malformed batches by name', async () => {
    const trainer = Trainer.create(cpuBackend, config)
    const before = await trainer.stateHash()
    const { inputs, targets } = batchAt(0)
    const huge = new Float32Array(inputs.length).fill(3e38)
    await expect(trainer.trainOn({ inputs, targets, weights: huge })).rejects.toThrow(NonFiniteError)
    expect(await trainer.stateHash()).toBe(before)
    expect(trainer.step).toBe(0)
    const ok = { inputs, targets, weights: uniform(16) }
    await expect(trainer.trainOn({ ...ok, inputs: inputs.subarray(1) })).rejects.toThrow(/\[rows, 8\]/)
    await expect(trainer.trainOn({ ...ok, weights: uniform(15) })).rejects.toThrow(ShapeError)
    await expect(trainer.trainOn({ ...ok, weights: uniform(16).fill(NaN, 3, 4) })).rejects.toThrow(
      /not finite/,
    )
    await expect(trainer.rowLosses(inputs, targets.subarray(2))).rejects.toThrow(ShapeError)
    // After refusals the trainer still trains.
    expect((await trainer.trainOn(ok)).step).toBe(1)
  })
})
