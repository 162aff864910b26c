import { describe, expect, it } from 'vitest'
import { cpuBackend } from './cpu.ts'
import { f64Backend } from './f64.ts'
import { KJV_PENTATEUCH, splitBy } from './corpus.ts'
import { kjvBytes } from './testing.ts'
import { checkConfig, countParams, presets, type GptConfig } from './gpt.ts'
import { Trainer, defaultTrainConfig } from './trainer.ts'
import { NonFiniteError } from '../errors/train.ts'

const { train, val } = splitBy(KJV_PENTATEUCH, kjvBytes)
const micro: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }
const config = defaultTrainConfig(micro, { steps: 12, batch: 2, warmup: 2 })

async function run(trainer: Trainer<unknown>, steps: number) {
  const hashes: string[] = []
  for (let i = 0; i < steps; i++) hashes.push((await trainer.trainStep(train)).stateHash)
  return hashes
}

describe('reproducible training steps', () => {
  it('two runs of one config give the same state hash at every step', async () => {
    const a = await run(Trainer.create(cpuBackend, config), 4)
    const b = await run(Trainer.create(cpuBackend, config), 4)
    expect(a).toEqual(b)
    expect(new Set(a).size).toBe(4)
    const other = await run(Trainer.create(cpuBackend, { ...config, seed: 2 }), 1)
    expect(other[0]).not.toBe(a[0])
  })

  it('resuming from a mid-run checkpoint reproduces the uninterrupted hashes', async () => {
    const whole = await run(Trainer.create(cpuBackend, config), 6)
    const first = Trainer.create(cpuBackend, config)
    await run(first, 3)
    const checkpoint = structuredClone(await first.checkpoint()) // as if stored and reloaded
    const resumed = Trainer.create(cpuBackend, config, checkpoint)
    expect(await resumed.stateHash()).toBe(whole[2])
    expect(await run(resumed, 3)).toEqual(whole.slice(3))
  })
})

describe('bad input', () => {
  it('refuses a step whose loss is not finite and leaves the state as it was', async () => {
    const trainer = Trainer.create(cpuBackend, config)
    await run(trainer, 1)
    const checkpoint = await trainer.checkpoint()
    checkpoint.tensors.find((t) => t.name === 'h0.mlp.w1')!.data[5] = NaN
    const poisoned = Trainer.create(cpuBackend, config, checkpoint)
    const before = await poisoned.stateHash()
    await expect(poisoned.trainStep(train)).rejects.toThrow(NonFiniteError)
    await expect(poisoned.trainStep(train)).rejects.toThrow(/Step 2 was refused: the loss is not finite/)
    expect(poisoned.step).toBe(1)
    expect(await poisoned.stateHash()).toBe(before)
  })

  it('rejects invalid model configs with the reason', () => {
    expect(() => checkConfig({ ...micro, nHead: 3 })).toThrow(/not a multiple of nHead/)
    expect(() => checkConfig({ ...micro, dModel: 0 })).toThrow(/dModel must be a positive integer/)
    expect(() => checkConfig({ ...micro, seqLen: 2.5 })).toThrow(/seqLen/)
    expect(() => Trainer.create(cpuBackend, { ...config, model: { ...micro, nLayer: -1 } })).toThrow(/nLayer/)
    expect(() => Trainer.create(cpuBackend, { ...config, batch: 0 })).toThrow(
      /batch must be a positive integer/,
    )
    expect(() => Trainer.create(cpuBackend, { ...config, warmup: 50 })).toThrow(
      /warmup must be an integer in \[0, steps\]/,
    )
    expect(() => Trainer.create(cpuBackend, { ...config, lr: NaN })).toThrow(/lr must be a positive number/)
    expect(() => Trainer.create(cpuBackend, { ...config, beta2: 1 })).toThrow(/beta2 must be in \[0, 1\)/)
    expect(defaultTrainConfig(micro, { steps: 5 }).warmup).toBe(0)
  })

  it('rejects a checkpoint whose tensors do not fit the model', async () => {
    const checkpoint = await Trainer.create(cpuBackend, config).checkpoint()
    checkpoint.tensors = checkpoint.tensors.filter((t) => t.name !== 'wpe')
    expect(() => Trainer.create(cpuBackend, config, checkpoint)).toThrow(/missing or has a wrong-sized wpe/)
  })
})

describe('learning', () => {
  it('lowers training and validation loss, within 2% of a float64 trainer of the same model and data', async () => {
    const cfg = defaultTrainConfig(micro, { steps: 60, batch: 4, warmup: 5, lr: 1e-2, minLr: 1e-3 })
    const det = Trainer.create(cpuBackend, cfg)
    const ref = Trainer.create(f64Backend, cfg)
    const valBefore = await det.loss(val, 0)
    let last = { det: 0, ref: 0 }
    for (let i = 0; i < 60; i++)
      last = { det: (await det.trainStep(train)).loss, ref: (await ref.trainStep(train)).loss }
    const [valDet, valRef] = [await det.loss(val, 0), await ref.loss(val, 0)]
    expect(valDet).toBeLessThan(valBefore - 1)
    expect(Math.abs(last.det - last.ref) / last.ref).toBeLessThan(0.02)
    expect(Math.abs(valDet - valRef) / valRef).toBeLessThan(0.02)
  }, 120_000)

  it('has presets of the sizes the docs claim', () => {
    expect(countParams(presets.tiny)).toBeLessThan(30_000)
    expect(countParams(presets.demo)).toBeGreaterThan(100_000)
    expect(countParams(presets.demo)).toBeLessThan(1_000_000)
  })
})
