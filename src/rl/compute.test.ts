// backendRlCompute on the CPU reference: update's checkpoint is the state its last step committed to,
// stateHash is the trainer's, rollouts hand the generator the model and its state hash, and the KL
// term uses the reference checkpoint.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../errors/train.ts'
import { cpuBackend } from '../train/cpu.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { backendRlCompute, type GenerateGroups } from './compute.ts'
import type { ScoredGroup, Task } from './types.ts'

const config = defaultTrainConfig({ vocab: 256, seqLen: 10, dModel: 16, nLayer: 1, nHead: 2 }, { lr: 1e-2 })
const task: Task = { id: 'add/1/1', family: 'add', level: 1, prompt: '\n1+2=', answer: '3' }
const tasks = new Map([[task.id, task]])
const params = { epsLow: 0.2, epsHigh: 0.28, beta: 0, iterations: 2 }
const groups: ScoredGroup[] = [
  {
    taskId: task.id,
    state: `0x${'0'.repeat(64)}`,
    completions: [
      [51, 10],
      [52, 10],
    ],
    rewards: [1000, 0],
  },
]
const generate: GenerateGroups = async (policy, state, ts, G) => {
  const logits = await policy.logits(new Int32Array(policy.config.model.seqLen).fill(10))
  expect(logits.length).toBe(policy.config.model.seqLen * policy.config.model.vocab)
  return ts.map((t) => ({ taskId: t.id, state, completions: Array.from({ length: G }, () => [10]) }))
}

describe('backendRlCompute', () => {
  it('update: the checkpoint after the steps, committed to by the last; the input is left alone', async () => {
    const compute = backendRlCompute(cpuBackend, { tasks, generate })
    const model = await Trainer.create(cpuBackend, config).checkpoint()
    const before = await compute.stateHash(model)
    const { checkpoint, steps } = await compute.update(model, groups, params)
    expect(steps.map((s) => s.step)).toEqual([1, 2])
    expect(checkpoint.step).toBe(2)
    expect(await compute.stateHash(checkpoint)).toBe(steps[1].stateHash)
    expect(await compute.stateHash(model)).toBe(before)
    // Deterministic: again from the same checkpoint, the same steps.
    expect((await compute.update(model, groups, params)).steps).toEqual(steps)
  })

  it('lr: trains at that rate from now on, recorded in the checkpoint; refused when not in (0, 1]', async () => {
    const compute = backendRlCompute(cpuBackend, { tasks, generate })
    const model = await Trainer.create(cpuBackend, config).checkpoint()
    const at = (lr: number) => compute.update(model, groups, { ...params, lr })
    const [slow, fast] = await Promise.all([at(1e-4), at(1e-3)])
    expect(slow.checkpoint.config).toMatchObject({ lr: Math.fround(1e-4), minLr: Math.fround(1e-4) })
    expect(slow.steps.at(-1)!.stateHash).not.toBe(fast.steps.at(-1)!.stateHash)
    // The same steps as a checkpoint whose own schedule is that rate.
    const configured = { ...model, config: { ...config, lr: Math.fround(1e-4), minLr: Math.fround(1e-4) } }
    expect((await compute.update(configured, groups, params)).steps).toEqual(slow.steps)
    for (const lr of [0, -1, 2, Number.NaN]) await expect(at(lr)).rejects.toThrow(ConfigError)
  })

  it('rollouts: the generator gets the model as a policy and its state hash', async () => {
    const compute = backendRlCompute(cpuBackend, { tasks, generate })
    const model = await Trainer.create(cpuBackend, config).checkpoint()
    const [g] = await compute.rollouts(model, [task], 3, { temperature: 1, top_k: 0, maxNewTokens: 4 })
    expect(g).toEqual({
      taskId: task.id,
      state: await compute.stateHash(model),
      completions: [[10], [10], [10]],
    })
  })

  it('the KL term needs the reference checkpoint, and it changes the update', async () => {
    const model = await Trainer.create(cpuBackend, config).checkpoint()
    const kl = { ...params, beta: 0.1, iterations: 1 }
    await expect(backendRlCompute(cpuBackend, { tasks, generate }).update(model, groups, kl)).rejects.toThrow(
      ConfigError,
    )
    const reference = await Trainer.create(cpuBackend, { ...config, seed: 2 }).checkpoint()
    const withRef = backendRlCompute(cpuBackend, { tasks, generate, reference })
    const [a] = (await withRef.update(model, groups, kl)).steps
    const [b] = (await withRef.update(model, groups, { ...kl, beta: 0 })).steps
    expect(a.stateHash).not.toBe(b.stateHash)
  })
})
