// A cheap, deterministic stand-in for the RL engine and the task families, so the round protocol's tests
// run in milliseconds: fakeBook asks a+b questions; fakeCompute answers them right with a probability
// (its "skill", kept in the first weight of a real checkpoint of the micro GPT, so blobs, codec and
// state hashes are the real ones) drawn from keccak256(state ‖ task ‖ i), and its update raises the
// skill by 1/64 per group whose rewards differ (what GRPO can learn from).
import { concat, keccak256, numberToBytes, toBytes, type Hex } from 'viem'
import { FakeTaskIdError } from '../../errors/sapo.ts'
import { checkpointLayout } from '../../swarm/protocol/codec.ts'
import { MICRO } from '../../swarm/sim/swarm.ts'
import { stateHash } from '../../train/state.ts'
import { defaultTrainConfig, type Checkpoint, type TrainConfig } from '../../train/trainer.ts'
import { END_TOKEN, type RlCompute, type Task } from '../types.ts'
import type { TaskBook } from './book.ts'
import type { SapoParams, SapoPeerParams } from './params.ts'

const u32 = (n: number) => numberToBytes(n, { size: 4 })
const bytes = (s: string) => [...new TextEncoder().encode(s)]

export const fakeBook: TaskBook = {
  tasksFor(seed, round, peer, count) {
    return Array.from({ length: count }, (_, i) => {
      const h = keccak256(concat([toBytes('fake tasks'), toBytes(seed), u32(round), toBytes(peer), u32(i)]))
      return fakeBook.taskFromId(`add/1/${Number(BigInt(h) & 0xffffffffn)}`)
    })
  },
  taskFromId(id) {
    const m = /^add\/1\/(\d{1,10})$/.exec(id)
    if (!m || Number(m[1]) > 0xffffffff) throw new FakeTaskIdError(`Not a task id: ${JSON.stringify(id)}.`)
    const n = Number(m[1])
    const a = n % 50
    const b = (n >>> 8) % 50
    return { id, family: 'add', level: 1, prompt: `\n${a}+${b}=`, answer: String(a + b) }
  },
  reward(task, completion) {
    const want = [...bytes(task.answer), END_TOKEN]
    if (completion.length === want.length && want.every((b, i) => completion[i] === b)) return 1000
    return completion.at(-1) === END_TOKEN ? 0 : -200
  },
}

export const FAKE_CONFIG: TrainConfig = defaultTrainConfig(MICRO, { steps: 1000, batch: 2 })

/** A checkpoint of the micro GPT with all-zero tensors but the skill in the first weight. */
export function fakeModel(skill: number, config = FAKE_CONFIG): Checkpoint {
  const tensors = checkpointLayout(config).map(({ name, shape }) => ({
    name,
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
  }))
  tensors[0].data[0] = skill
  return { config, step: 0, tensors }
}

const skillOf = (c: Checkpoint) => c.tensors[0].data[0]

export function fakeCompute(): RlCompute {
  return {
    async stateHash(model) {
      return stateHash(model.step, model.tensors)
    },
    async rollouts(model, tasks, G) {
      const state = stateHash(model.step, model.tensors)
      return tasks.map((task: Task) => ({
        taskId: task.id,
        state,
        completions: Array.from({ length: G }, (_, i) => {
          const h = BigInt(keccak256(concat([toBytes(state), toBytes(task.id), u32(i)])))
          const right = Number(h & 0xffffn) / 0x10000 < skillOf(model)
          return [
            ...bytes(right ? task.answer : String(Number(task.answer) + 1 + Number((h >> 16n) % 9n))),
            END_TOKEN,
          ]
        }),
      }))
    },
    async update(model, groups, params) {
      const learned = groups.filter((g) => g.rewards.some((r) => r !== g.rewards[0])).length
      const tensors = model.tensors.map((t) => ({ ...t, data: t.data.slice() }))
      tensors[0].data[0] = Math.min(1, skillOf(model) + learned / 64)
      const checkpoint = { ...model, step: model.step + params.iterations, tensors }
      return { checkpoint, steps: [] }
    },
  }
}

export const FAKE_SEED: Hex = keccak256(toBytes('lockstep sapo test swarm'))

export function fakeParams(overrides: Partial<SapoParams> = {}): SapoParams {
  return {
    seed: FAKE_SEED,
    local: 2,
    G: 4,
    rule: { temperature: 1, top_k: 0, maxNewTokens: 4 },
    config: FAKE_CONFIG,
    ...overrides,
  }
}

export function fakePeerParams(overrides: Partial<SapoPeerParams> = {}): SapoPeerParams {
  return {
    external: 2,
    grpo: { epsLow: 0.2, epsHigh: 0.28, beta: 0, iterations: 1 },
    checkRate: 1,
    collectMs: 5000,
    ...overrides,
  }
}
