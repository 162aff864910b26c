import type { Hex } from 'viem'
import { beforeAll, describe, expect, it } from 'vitest'
import { RolloutError } from '../errors/rl.ts'
import { sample } from '../generate/sample.ts'
import { cpuBackend } from '../train/cpu.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { RL_MODEL, RL_SAMPLING } from './model.ts'
import { generateGroups, regenerationProblem, rolloutSeed } from './rollout.ts'
import { taskFromId } from './tasks.ts'
import { END_TOKEN, type Policy, type RolloutGroup } from './types.ts'

const ZERO = `0x${'00'.repeat(32)}` as Hex
// The RL model's context with a narrow body: the rules are the same, the test is fast.
const model = { ...RL_MODEL, dModel: 16, nLayer: 1, nHead: 2 }
const tasks = ['add/2/1', 'sort/4/7', 'compare/1/3'].map(taskFromId)
let trainer: Trainer<unknown>
let state: Hex
let groups: RolloutGroup[]
let forwards = 0
const policy: Policy = {
  config: { model },
  logits: (ids) => (forwards++, trainer.logits(ids)),
}

beforeAll(async () => {
  trainer = Trainer.create(cpuBackend, defaultTrainConfig(model, { seed: 7 })) as Trainer<unknown>
  state = await trainer.stateHash()
  groups = await generateGroups(policy, state, tasks, 3, RL_SAMPLING)
})

describe('rolloutSeed', () => {
  it('is 53 bits of keccak over (state, task, index), pinned', () => {
    expect(rolloutSeed(ZERO, 'add/1/0', 0)).toBe(2740878680228232)
    expect(rolloutSeed(ZERO, 'add/1/0', 1)).toBe(3949207591278119)
    const seeds = new Set([
      rolloutSeed(ZERO, 'add/1/0', 0),
      rolloutSeed(ZERO, 'add/1/1', 0),
      rolloutSeed(`0x${'00'.repeat(31)}01`, 'add/1/0', 0),
    ])
    expect(seeds.size).toBe(3)
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true)
  })

  it('refuses a state that is not 32 bytes and a bad index', () => {
    expect(() => rolloutSeed('0x1234', 'add/1/0', 0)).toThrow(RolloutError)
    expect(() => rolloutSeed(ZERO, 'add/1/0', -1)).toThrow(RolloutError)
    expect(() => rolloutSeed(ZERO, 'add/1/0', 2 ** 32)).toThrow(RolloutError)
  })
})

describe('generateGroups', () => {
  it('gives G completions per task, each ended by END_TOKEN, the budget or the context', () => {
    expect(groups.map((g) => g.taskId)).toEqual(tasks.map((t) => t.id))
    for (const [k, g] of groups.entries()) {
      expect(g.state).toBe(state)
      expect(g.completions).toHaveLength(3)
      for (const c of g.completions) {
        expect(c.length).toBeGreaterThan(0)
        const room = Math.min(RL_SAMPLING.maxNewTokens, model.seqLen - tasks[k].prompt.length)
        expect(c.at(-1) === END_TOKEN || c.length === room).toBe(true)
        expect(c.slice(0, -1)).not.toContain(END_TOKEN)
      }
    }
    expect(forwards).toBeLessThanOrEqual(RL_SAMPLING.maxNewTokens)
  })

  it('samples each token as one row alone with sample() would', async () => {
    const task = tasks[1]
    const i = 2
    const tokens = [...new TextEncoder().encode(task.prompt)]
    const completion: number[] = []
    while (
      completion.at(-1) !== END_TOKEN &&
      completion.length < RL_SAMPLING.maxNewTokens &&
      tokens.length < model.seqLen
    ) {
      const ids = new Int32Array(model.seqLen).fill(END_TOKEN)
      ids.set(tokens)
      const logits = await trainer.logits(ids)
      const at = (tokens.length - 1) * model.vocab
      const p = { temperature: 1, top_k: 0, top_p: 1, seed: rolloutSeed(state, task.id, i) }
      const t = sample(logits.subarray(at, at + model.vocab), p, completion.length)
      tokens.push(t)
      completion.push(t)
    }
    expect(groups[1].completions[i]).toEqual(completion)
  })

  it('is the same for a task alone, and on a second run', async () => {
    const [alone] = await generateGroups(policy, state, [tasks[1]], 3, RL_SAMPLING)
    expect(alone).toEqual(groups[1])
    expect(await generateGroups(policy, state, tasks, 3, RL_SAMPLING)).toEqual(groups)
  })

  it('changes with the state the seeds come from', async () => {
    const other = await generateGroups(policy, ZERO, tasks, 3, RL_SAMPLING)
    expect(other.map((g) => g.completions)).not.toEqual(groups.map((g) => g.completions))
  })

  it('refuses a bad G, budget, rule, or a prompt that leaves no room', async () => {
    const go = (G: number, rule = RL_SAMPLING, p = policy) => generateGroups(p, state, tasks, G, rule)
    await expect(go(0)).rejects.toThrow(RolloutError)
    await expect(go(65)).rejects.toThrow(RolloutError)
    const many = Array.from({ length: 1025 }, () => tasks[0])
    await expect(generateGroups(policy, state, many, 4, RL_SAMPLING)).rejects.toThrow(/over 4096 rows/)
    await expect(go(1, { ...RL_SAMPLING, maxNewTokens: 0 })).rejects.toThrow(RolloutError)
    await expect(go(1, { ...RL_SAMPLING, maxNewTokens: model.seqLen + 1 })).rejects.toThrow(RolloutError)
    await expect(go(1, { ...RL_SAMPLING, temperature: -1 })).rejects.toThrow(RolloutError)
    const short: Policy = { config: { model: { ...model, seqLen: 8 } }, logits: policy.logits }
    await expect(go(1, { ...RL_SAMPLING, maxNewTokens: 4 }, short)).rejects.toThrow(/leaves no room/)
  })
})

describe('regenerationProblem', () => {
  it('is null for an honest group', async () => {
    for (const g of groups) expect(await regenerationProblem(policy, state, g, RL_SAMPLING)).toBeNull()
  })

  it('names the first forged token', async () => {
    const forged = structuredClone(groups[1])
    const c = forged.completions[1]
    c[0] = c[0] === 97 ? 98 : 97
    expect(await regenerationProblem(policy, state, forged, RL_SAMPLING)).toMatch(
      new RegExp(
        `^completion 1 of sort/4/7, token 0: published ${c[0]}, regenerated ${groups[1].completions[1][0]}$`,
      ),
    )
    const longer = structuredClone(groups[0])
    longer.completions[2].push(END_TOKEN)
    const t = groups[0].completions[2].length
    expect(await regenerationProblem(policy, state, longer, RL_SAMPLING)).toBe(
      `completion 2 of add/2/1, token ${t}: published ${END_TOKEN}, regenerated nothing`,
    )
  })

  it('names a group from another state, a bad size or a bad task id', async () => {
    expect(await regenerationProblem(policy, ZERO, groups[0], RL_SAMPLING)).toMatch(/names state/)
    const none = { ...groups[0], completions: [] }
    expect(await regenerationProblem(policy, state, none, RL_SAMPLING)).toMatch(/0 completions/)
    const bad = { ...groups[0], taskId: 'add/9/1' }
    expect(await regenerationProblem(policy, state, bad, RL_SAMPLING)).toMatch(
      /task id is not a task \(Not a task id: "add\/9\/1"\.\)/,
    )
  })
})
