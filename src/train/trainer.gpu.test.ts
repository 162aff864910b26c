import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { cpuBackend } from './cpu.ts'
import { gpuBackend } from './gpu.ts'
import { KJV_PENTATEUCH, corpusPath, fetchCorpus, splitBy } from './corpus.ts'
import { presets } from './gpt.ts'
import { Trainer, defaultTrainConfig } from './trainer.ts'

let gpu: Gpu
let train: Uint8Array
beforeAll(async () => {
  gpu = await Gpu.create()
  const bytes = await fetchCorpus(KJV_PENTATEUCH, `/${corpusPath(KJV_PENTATEUCH)}`)
  train = splitBy(KJV_PENTATEUCH, bytes).train
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

describe('models that do not fit', () => {
  it('are refused up front, naming the tensor and the limit that was hit', async () => {
    // WebGPU never grants less than its default limit (128 MiB per binding): ask for exactly that.
    const small = await Gpu.create({ limits: { maxStorageBufferBindingSize: 128 << 20 } })
    try {
      expect(small.limits.maxStorageBufferBindingSize).toBe(128 << 20)
      const config = defaultTrainConfig(presets.medium, { batch: 128 })
      expect(() => Trainer.create(gpuBackend(small), config)).toThrow(
        /does not fit this GPU: its attention scores \[batch·heads·T, T\] needs 256\.0 MiB/,
      )
      expect(() => Trainer.create(gpuBackend(small), config)).toThrow(/maxStorageBufferBindingSize/)
    } finally {
      small.destroy()
    }
  })

  it('reports the memory the runtime holds', async () => {
    const fresh = await Gpu.create()
    try {
      expect(fresh.memory()).toEqual({ allocated: 0, peak: 0 })
      const t = Trainer.create(gpuBackend(fresh), defaultTrainConfig(presets.tiny, { steps: 2, batch: 2 }))
      await t.trainStep(train)
      const { allocated, peak } = fresh.memory()
      expect(peak).toBeGreaterThanOrEqual(allocated)
      expect(allocated).toBeGreaterThan(4 * 21_000 * 4) // at least p, m, v and a gradient per parameter
      t.dispose()
    } finally {
      fresh.destroy()
    }
  }, 240_000) // a fresh device compiles every pipeline again: slow on a loaded CPU rasteriser
})
