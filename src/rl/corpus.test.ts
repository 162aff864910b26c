// The shipped warm start (public/rl/, scripts/rl-warmstart.mjs) is what it says it is: the corpus is
// taskCorpus()'s bytes, the receipt trained the RL model on exactly them, and the checkpoint is the
// receipt's end state, and its described reward is its own. Replaying the receipt's steps is `lockstep verify`'s work, not this test's.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { cpuBackend } from '../train/cpu.ts'
import { Trainer } from '../train/trainer.ts'
import { sha256Hex } from '../util/hash.ts'
import { heldOutTasks, sampledRewards } from './accuracy.ts'
import { taskCorpus } from './corpus.ts'
import { RL_TRAIN } from './model.ts'

const shipped = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../public/rl/${name}`, import.meta.url)))

describe('the warm start', () => {
  it('corpus is taskCorpus(), byte for byte', () => {
    const bytes = shipped('tasks.txt')
    expect(Buffer.from(new TextEncoder().encode(taskCorpus())).equals(Buffer.from(bytes))).toBe(true)
    expect(new TextDecoder().decode(bytes.subarray(0, 18))).toBe('\ncount b:bdaabbd=3')
  })

  it('receipt trained the RL model on that corpus, and the checkpoint is its end state', async () => {
    const receipt = JSON.parse(new TextDecoder().decode(shipped('warmstart.receipt.json'))) as TrainingReceipt
    const checks = await validateTrainingReceipt(receipt)
    for (const name of [
      'structure',
      'limits',
      'config hash',
      'steps root',
      'end state',
      'receipt hash',
      'signature',
    ])
      expect(
        checks.find((c) => c.name === name),
        name,
      ).toMatchObject({ ok: true })
    const b = receipt.body
    expect(b.config).toEqual(RL_TRAIN)
    expect(b.data).toMatchObject({
      name: 'tasks',
      sha256: await sha256Hex(shipped('tasks.txt')),
      split: 'train',
    })
    const checkpoint = decodeCheckpoint(shipped('warmstart.lscp'), 1 << 20)
    expect(checkpoint.config).toEqual(b.config)
    expect(checkpoint.step).toBe(b.endStep)
    const trainer = Trainer.create(cpuBackend, checkpoint.config, checkpoint)
    expect(await trainer.stateHash()).toBe(b.endStateHash)
    // The descriptor the app and peers read agrees with both files.
    const described = JSON.parse(new TextDecoder().decode(shipped('warmstart.json')))
    expect(described).toMatchObject({
      checkpoint: { file: 'warmstart.lscp', sha256: await sha256Hex(shipped('warmstart.lscp')) },
      stateHash: b.endStateHash,
      step: b.endStep,
      corpus: { file: 'tasks.txt', sha256: b.data.sha256 },
    })
    // The level the RL dashboard draws the warm start at is this checkpoint's: the mean of the per-task
    // sums, and a sample of those regenerated exactly (all 256 are scripts/rl-warmstart.mjs's minute).
    const { G, mean, perTask } = described.reward as { G: number; mean: number; perTask: number[] }
    const tasks = heldOutTasks()
    expect([G, perTask.length]).toEqual([4, tasks.length])
    expect(mean).toBe(perTask.reduce((a, b) => a + b, 0) / (tasks.length * G))
    const sample = [0, 37, 101, 160, 222, tasks.length - 1]
    const sums = await sampledRewards(
      trainer,
      b.endStateHash,
      sample.map((i) => tasks[i]),
      G,
    )
    expect(sums).toEqual(sample.map((i) => perTask[i]))
    // Hashing the 300 KB receipt's corpus and checkpoint: seconds on a loaded 2-core machine.
  }, 30_000)
})
