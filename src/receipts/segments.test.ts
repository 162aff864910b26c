import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend } from '../train/cpu.ts'
import { splitBy, KJV_PENTATEUCH } from '../train/corpus.ts'
import { kjvBytes } from '../train/testing.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { MICRO, trainedReceipt } from './testing.ts'
import { planSegments, replaySegment } from './segments.ts'
import type { TrainingReceipt } from './training.ts'

const signer = privateKeyToAccount(`0x${'11'.repeat(32)}`)
const of = (startStep: number, endStep: number) => ({ body: { startStep, endStep } }) as TrainingReceipt

describe('planSegments', () => {
  it('cuts at every checkpoint inside the receipt and deals contiguous groups of about equal steps', () => {
    const groups = planSegments(of(0, 12), [0, 3, 6, 9, 12, 40], 2)
    expect(groups).toEqual([
      [
        { from: 0, to: 3 },
        { from: 3, to: 6 },
      ],
      [
        { from: 6, to: 9 },
        { from: 9, to: 12 },
      ],
    ])
    expect(planSegments(of(0, 12), [5], 8)).toEqual([[{ from: 0, to: 5 }], [{ from: 5, to: 12 }]])
    expect(planSegments(of(0, 4), [], 4)).toEqual([[{ from: 0, to: 4 }]])
  })

  it('needs the start checkpoint of a receipt that does not start at step 0', () => {
    expect(planSegments(of(4, 8), [6], 2)).toMatch(/starts at step 4: supply that checkpoint/)
  })
})

describe('replaySegment', () => {
  const config = defaultTrainConfig(MICRO, { steps: 4, batch: 2 })
  const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)

  it('rebuilds step 0 from the seed, whatever checkpoint is offered there', async () => {
    const receipt = await trainedReceipt({ signer, config, bytes: kjvBytes })
    const other = Trainer.create(cpuBackend, { ...config, seed: config.seed + 1 })
    const lie = await other.checkpoint() // another seed's weights, at step 0
    other.dispose()
    const r = await replaySegment(receipt, cpuBackend, train, { from: 0, to: 4 }, lie)
    expect(r.ok).toBe(true)
    expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3, 4])
  }, 60_000)

  it('refuses a checkpoint that is not the committed state, or is another step', async () => {
    const receipt = await trainedReceipt({ signer, config, bytes: kjvBytes })
    const trainer = Trainer.create(cpuBackend, config)
    await trainer.trainStep(train)
    await trainer.trainStep(train)
    const atTwo = await trainer.checkpoint()
    await trainer.trainStep(train)
    const atThree = await trainer.checkpoint()
    trainer.dispose()
    expect((await replaySegment(receipt, cpuBackend, train, { from: 2, to: 4 }, atTwo)).ok).toBe(true)
    const wrongStep = await replaySegment(receipt, cpuBackend, train, { from: 2, to: 4 }, atThree)
    expect(wrongStep).toMatchObject({ ok: false, detail: 'the checkpoint for step 2 holds step 3' })
    atTwo.tensors[0].data[0] += 1
    const edited = await replaySegment(receipt, cpuBackend, train, { from: 2, to: 4 }, atTwo)
    expect(edited.detail).toMatch(/the checkpoint after step 2 hashes to 0x[0-9a-f]+, not the committed/)
  }, 60_000)
})
