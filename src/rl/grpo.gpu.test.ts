// GRPO on the GPU gives the CPU reference's bits: row losses, and each step's loss, gradient norm and
// state hash (the weighted cross-entropy kernels and the GPU-resident stepper), on a tiny model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { expectBitsEqual } from '../kernels/testing.ts'
import { cpuBackend } from '../train/cpu.ts'
import { gpuBackend } from '../train/gpu.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { grpoBatch, grpoUpdate } from './grpo.ts'
import type { ScoredGroup, Task } from './types.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const model = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }
const config = defaultTrainConfig(model, { lr: 1e-2 })
const task: Task = { id: 'add/1/1', family: 'add', level: 1, prompt: '\n1+2=', answer: '3' }
const tasks = new Map([[task.id, task]])
const groups: ScoredGroup[] = [
  {
    taskId: task.id,
    state: `0x${'0'.repeat(64)}`,
    completions: [
      [51, 10],
      [52, 10],
      [51, 51, 10],
    ],
    rewards: [1000, 0, -200],
  },
]

describe('GRPO on the GPU', () => {
  it('row losses and every step equal the CPU reference bit for bit', async () => {
    const onGpu = Trainer.create(gpuBackend(gpu), config)
    const onCpu = Trainer.create(cpuBackend, config)
    const { inputs, targets } = grpoBatch(groups, tasks, model)
    expectBitsEqual(
      await onGpu.rowLosses(inputs, targets),
      await onCpu.rowLosses(inputs, targets),
      'rowLosses',
    )
    const p = { epsLow: 0.2, epsHigh: 0.28, beta: 0, iterations: 2 }
    const g = await grpoUpdate(onGpu, groups, tasks, p)
    expect(g).toEqual(await grpoUpdate(onCpu, groups, tasks, p))
    expect(g.length).toBe(2)
    onGpu.dispose()
  }, 300_000)
})
