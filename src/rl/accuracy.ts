// How good a model is, on tasks drawn with a seed of their own (not the warm start corpus's, not any
// round's): greedy accuracy per family and level, the figure docs/rl.md quotes for the warm start, and
// the mean sampled reward, the level the RL dashboard draws the warm start at.
import type { Hex } from 'viem'
import { RL_SAMPLING } from './model.ts'
import { isCorrect, reward } from './reward.ts'
import { generateGroups } from './rollout.ts'
import { FAMILIES, MAX_LEVEL, taskFromId, tasksFor } from './tasks.ts'
import type { Policy, Task, TaskFamily } from './types.ts'

export const EVAL_SEED: Hex = '0x6576616c' // utf8("eval")

/** Per family, per level 1..4: [correct, total] over `perCell` fresh tasks, greedy decoding. */
export async function accuracyTable(
  policy: Policy,
  state: Hex,
  perCell: number,
): Promise<Record<TaskFamily, [number, number][]>> {
  const cells = FAMILIES.flatMap((f) =>
    Array.from({ length: MAX_LEVEL }, (_, i) =>
      tasksFor(EVAL_SEED, 0, 'eval', perCell, { families: [f], levels: [i + 1] }),
    ),
  )
  const groups = await generateGroups(policy, state, cells.flat(), 1, { ...RL_SAMPLING, temperature: 0 })
  const table = Object.fromEntries(FAMILIES.map((f) => [f, [] as [number, number][]])) as Record<
    TaskFamily,
    [number, number][]
  >
  cells.forEach((tasks, c) => {
    const correct = groups
      .slice(c * perCell, (c + 1) * perCell)
      .filter((g) => isCorrect(taskFromId(g.taskId), g.completions[0])).length
    table[FAMILIES[Math.floor(c / MAX_LEVEL)]].push([correct, tasks.length])
  })
  return table
}

/** Held-out tasks for the warm start's reward: every family and level, as a round draws them. */
export const HELD_OUT_TASKS = 256

/** The `count` held-out tasks (their own seed and round: no round of any swarm draws them). */
export const heldOutTasks = (count = HELD_OUT_TASKS) => tasksFor(EVAL_SEED, 1, 'held-out', count)

/**
 * Per task, the summed reward (thousandths) of G completions sampled as the swarm samples (RL_SAMPLING,
 * seeds from `state` and the task): averaged over many tasks, what a round's own mean reward is without
 * the noise of one round's 16 completions. Exact, and each task's sum is its own (any subset regenerates
 * the same sums).
 */
export async function sampledRewards(
  policy: Policy,
  state: Hex,
  tasks: readonly Task[],
  G = 4,
): Promise<number[]> {
  const groups = await generateGroups(policy, state, tasks, G, RL_SAMPLING)
  return groups.map((g, i) => g.completions.reduce((m, c) => m + reward(tasks[i], c), 0))
}
