// Whether a well-formed ROLLOUTS message fits the swarm, and the rewards of its completions as this peer
// computes them. The sender chooses nothing here: its tasks are tasksFor(seed, round, sender, L), the
// group size is the swarm's G, and every reward is recomputed from the task id (the sender sends none).
import type { Hex } from 'viem'
import { SchemaError } from '../../swarm/protocol/schema.ts'
import { END_TOKEN, type ScoredGroup, type Task } from '../types.ts'
import type { TaskBook } from './book.ts'
import type { Rollouts } from './messages.ts'
import type { SapoParams } from './params.ts'

/** A sender's rollouts for a round, checked against the swarm and scored by this peer. */
export interface Accepted {
  from: string
  round: number
  state: Hex
  blob: Hex
  tasks: Task[]
  groups: ScoredGroup[]
  /** Mean reward (thousandths) over all its completions. */
  meanReward: number
  trainedOn: Rollouts['trainedOn']
}

/** `m` from `from` → its scored groups, or a SchemaError naming the first thing that does not fit. */
export function acceptRollouts(m: Rollouts, from: string, params: SapoParams, book: TaskBook): Accepted {
  const bad = (path: string, why: string): never => {
    throw new SchemaError(`rollouts.${path}: ${why}`)
  }
  const { local, G, rule } = params
  if (m.groups.length !== local) bad('groups', `expected ${local} groups, got ${m.groups.length}`)
  const tasks = book.tasksFor(params.seed, m.round, from, local)
  let sum = 0
  const groups = m.groups.map((g, i): ScoredGroup => {
    const task = tasks[i]
    if (g.taskId !== task.id) bad(`groups[${i}].taskId`, `expected ${task.id} (tasksFor), got ${g.taskId}`)
    if (g.completions.length !== G) bad(`groups[${i}].completions`, `expected ${G} completions`)
    const rewards = g.completions.map((c, j) => {
      if (c.length > rule.maxNewTokens)
        bad(`groups[${i}].completions[${j}]`, `over maxNewTokens (${rule.maxNewTokens})`)
      // Generation stops at the end token: one anywhere else was not sampled by the rule.
      if (c.indexOf(END_TOKEN) >= 0 && c.indexOf(END_TOKEN) !== c.length - 1)
        bad(`groups[${i}].completions[${j}]`, 'tokens after the end token')
      const r = book.reward(task, c)
      sum += r
      return r
    })
    return { taskId: g.taskId, state: m.state, completions: g.completions, rewards }
  })
  return {
    from,
    round: m.round,
    state: m.state,
    blob: m.blob,
    tasks,
    groups,
    meanReward: sum / (local * G),
    trainedOn: m.trainedOn,
  }
}
