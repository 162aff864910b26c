// Greedy accuracy per family and level on tasks drawn with a seed of their own (not the warm start
// corpus's), the figure docs/rl.md quotes for the warm start.
import type { Hex } from 'viem'
import { RL_SAMPLING } from './model.ts'
import { isCorrect } from './reward.ts'
import { generateGroups } from './rollout.ts'
import { FAMILIES, MAX_LEVEL, taskFromId, tasksFor } from './tasks.ts'
import type { Policy, TaskFamily } from './types.ts'

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
