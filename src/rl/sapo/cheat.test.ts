import { describe, expect, it } from 'vitest'
import { forgingCompute } from './cheat.ts'
import type { RlCompute, Task } from '../types.ts'
import type { Checkpoint } from '../../train/trainer.ts'

const tasks: Task[] = [
  { id: 'add/1/7', family: 'add', level: 1, prompt: '\n3+4=', answer: '7' },
  { id: 'reverse/2/9', family: 'reverse', level: 2, prompt: '\nabcd=', answer: 'dcba' },
]
const honest: RlCompute = {
  rollouts: async (_m, ts, G) =>
    ts.map((t) => ({ taskId: t.id, state: '0x01', completions: Array.from({ length: G }, () => [63, 10]) })),
  update: async (model) => ({ checkpoint: model, steps: [] }),
  stateHash: async () => '0x02',
}
const model = {} as Checkpoint
const rule = { temperature: 1, top_k: 0, maxNewTokens: 4 }

describe('forgingCompute', () => {
  it('passes the honest rollouts through while off', async () => {
    const forged = forgingCompute(honest, () => false)
    expect(await forged.rollouts(model, tasks, 2, rule)).toEqual(await honest.rollouts(model, tasks, 2, rule))
    expect(await forged.stateHash(model)).toBe('0x02')
  })

  it('answers every other completion exactly right while on, cut to the token budget, keeping task and state', async () => {
    let on = true
    const forged = forgingCompute(honest, () => on)
    const groups = await forged.rollouts(model, tasks, 3, rule)
    expect(groups.map((g) => g.taskId)).toEqual(['add/1/7', 'reverse/2/9'])
    expect(groups.every((g) => g.state === '0x01')).toBe(true)
    expect(groups[0].completions).toEqual([
      [55, 10],
      [63, 10],
      [55, 10],
    ])
    // "dcba\n" is 5 tokens; the rule allows 4.
    expect(groups[1].completions[0]).toEqual([100, 99, 98, 97])
    on = false
    expect((await forged.rollouts(model, tasks, 1, rule))[0].completions).toEqual([[63, 10]])
  })
})
