import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { presets } from '../train/gpt.ts'
import { cpuBackend } from '../train/cpu.ts'
import { defaultTrainConfig, type TrainConfig } from '../train/trainer.ts'
import { ConfigLimitError } from '../errors/limits.ts'
import { checkTrainingLimits, stepFootprint, TRAINING_LIMITS } from './limits.ts'
import { hostileTrainingReceipt } from './testing.ts'
import { replayTrainingReceipt } from './replay.ts'
import { validateTrainingReceipt } from './validate.ts'

const producer = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')

describe('training config caps', () => {
  it('take every preset the app offers, at batch 8, with room to spare', () => {
    for (const [name, model] of Object.entries(presets)) {
      const config = defaultTrainConfig(model, { batch: 8 })
      expect(() => checkTrainingLimits(config), name).not.toThrow()
    }
    const medium = stepFootprint(defaultTrainConfig(presets.medium, { batch: 8 }))
    expect(medium.params * 3).toBeLessThan(TRAINING_LIMITS.params)
    expect(medium.flops * 5).toBeLessThan(TRAINING_LIMITS.flopsPerStep)
  })

  it('name the field or the cost that is too large', () => {
    const base = defaultTrainConfig(presets.tiny)
    const big =
      (model: Partial<TrainConfig['model']>, rest: Partial<TrainConfig> = {}) =>
      () =>
        checkTrainingLimits({ ...base, ...rest, model: { ...base.model, ...model } })
    expect(big({ dModel: 1024, nLayer: 8, nHead: 8 })).toThrow(/1\.01e\+8 parameters/)
    expect(big({ nLayer: 1e9 })).toThrow(/nLayer is 1000000000/)
    expect(big({ seqLen: 2.5 })).toThrow(/seqLen is 2.5/)
    expect(big({ ...presets.small, seqLen: 1024 }, { batch: 512 })).toThrow(/FLOPs per step|activation/)
    expect(big({}, { steps: 1e12 })).toThrow(ConfigLimitError)
    expect(() => checkTrainingLimits({ ...base, model: null } as never)).toThrow(ConfigLimitError)
  })

  it('refuse the dModel 1024 / 8-layer receipt in validate and in replay, before allocating', async () => {
    const r = await hostileTrainingReceipt(producer)
    expect(JSON.stringify(r).length).toBeLessThan(2000)
    const t0 = performance.now()
    const failed = (await validateTrainingReceipt(r)).filter((c) => !c.ok)
    expect(failed.map((c) => c.name)).toEqual(['limits'])
    expect(failed[0].detail).toMatch(/^ConfigLimitError: .*parameters/)
    await expect(replayTrainingReceipt(r, cpuBackend, new Uint8Array(8))).rejects.toThrow(ConfigLimitError)
    expect(performance.now() - t0).toBeLessThan(1_000)
  })
})
