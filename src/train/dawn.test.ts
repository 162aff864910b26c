// The same engine headless in Node through Dawn (the optional `webgpu` package): what verifiers and CI
// use to replay steps on a GPU without a browser. Runs where Dawn finds a Vulkan device (scripts/test.mjs
// points it at Chromium's SwiftShader); otherwise it says why it skipped.
import { describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { cpuBackend } from './cpu.ts'
import { gpuBackend } from './gpu.ts'
import { KJV_PENTATEUCH, splitBy } from './corpus.ts'
import { kjvBytes } from './testing.ts'
import { presets } from './gpt.ts'
import { Trainer, defaultTrainConfig } from './trainer.ts'

async function dawn(): Promise<GPU | string> {
  try {
    const { create, globals } = await import('webgpu')
    Object.assign(globalThis, globals)
    const gpu = create([])
    return (await gpu.requestAdapter()) ? gpu : 'Dawn found no Vulkan adapter'
  } catch (e) {
    return `Dawn is not available: ${e instanceof Error ? e.message : String(e)}`
  }
}

const entry = await dawn()

describe('training in Node through Dawn', () => {
  it.skipIf(typeof entry === 'string')(
    'gives the CPU reference state hashes',
    async () => {
      const gpu = await Gpu.create({ gpu: entry as GPU })
      try {
        const { train } = splitBy(KJV_PENTATEUCH, kjvBytes)
        const config = defaultTrainConfig(presets.tiny, { steps: 3, batch: 2 })
        const onDawn = Trainer.create(gpuBackend(gpu), config)
        const onCpu = Trainer.create(cpuBackend, config)
        for (let i = 0; i < 3; i++)
          expect(await onDawn.trainStep(train)).toEqual(await onCpu.trainStep(train))
        onDawn.dispose()
      } finally {
        gpu.destroy()
      }
    },
    300_000,
  )
})

if (typeof entry === 'string') console.warn(`[dawn.test] skipped: ${entry}`)
