// The tasks and rewards the round protocol needs, behind one small interface: src/rl/tasks.ts and
// reward.ts provide them (rlTaskBook), tests a fake (testing.ts). All three are pure functions of their
// arguments, so every peer derives the same questions and the same rewards from the same ids.
import type { Hex } from 'viem'
import { reward } from '../reward.ts'
import { taskFromId, tasksFor } from '../tasks.ts'
import type { Task } from '../types.ts'

export interface TaskBook {
  /** The `count` tasks of `peer` in `round`, derived from the swarm's seed: nobody chooses them. */
  tasksFor(seed: Hex, round: number, peer: string, count: number): Task[]
  /** The task an id names; throws a named error for a malformed id. */
  taskFromId(id: string): Task
  /** Reward of one completion, in thousandths (an integer). */
  reward(task: Task, completion: readonly number[]): number
}

/** The swarm's task families and rewards (tasks.ts, reward.ts), every family and level. */
export const rlTaskBook: TaskBook = {
  tasksFor: (seed, round, peer, count) => tasksFor(seed, round, peer, count),
  taskFromId,
  reward,
}
