import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { cpuBackend } from './cpu.ts'
import { gpuBackend } from './gpu.ts'
import { splitCorpus } from './data.ts'
import { presets } from './gpt.ts'
import { Trainer, defaultTrainConfig } from './trainer.ts'

let gpu: Gpu
let train: Uint8Array
beforeAll(async () => {
  gpu = await Gpu.create()
  const bytes = new Uint8Array(await (await fetch('/corpus/kjv-pentateuch.txt')).arrayBuffer())
  train = splitCorpus(bytes).train
})
afterAll(() => gpu?.destroy())

describe('training on the GPU', () => {
  it('gives the CPU reference state hash after every one of 20 steps', async () => {
    const config = defaultTrainConfig(presets.tiny, { steps: 20, batch: 2, warmup: 3 })
    const onGpu = Trainer.create(gpuBackend(gpu), config)
    const onCpu = Trainer.create(cpuBackend, config)
    expect(await onGpu.stateHash()).toBe(await onCpu.stateHash())
    const losses: number[] = []
    for (let i = 0; i < 20; i++) {
      const g = await onGpu.trainStep(train)
      const c = await onCpu.trainStep(train)
      expect(g, `step ${i + 1}`).toEqual(c)
      losses.push(g.loss)
    }
    expect(losses[19]).toBeLessThan(losses[0])
    onGpu.dispose()
  }, 600_000)
})
