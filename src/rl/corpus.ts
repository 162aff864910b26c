// The warm start's corpus: solved tasks in the rollout format, "\n<question>=<answer>" one after another
// and a final "\n", so plain stream LM training (`lockstep train`, unchanged receipts) teaches the model
// the prompt format and END_TOKEN before RL starts. A pure function of its seed: anyone regenerates
// public/rl/tasks.txt byte for byte (corpus.test.ts checks the shipped file).
import type { Hex } from 'viem'
import { MAX_TASKS, tasksFor } from './tasks.ts'

/** The seed and size of the shipped corpus (public/rl/tasks.txt). */
export const CORPUS_SEED: Hex = '0x6c6f636b737465702d726c2d7761726d2d7374617274' // utf8("lockstep-rl-warm-start")
export const CORPUS_TASKS = 4096
/** The "peer" the corpus's tasks are drawn for: no swarm peer id looks like it. */
const CORPUS_PEER = 'warm-start corpus'

/**
 * Half the corpus is level 1, a quarter level 2, an eighth each levels 3 and 4: a model this small
 * learns the easy levels first, and RL has something right to reinforce from the start.
 */
const LEVELS = [1, 1, 1, 1, 2, 2, 3, 4]

/** `count` tasks of every family, drawn as tasksFor draws a round's tasks (levels weighted), solved. */
export function taskCorpus(seed: Hex = CORPUS_SEED, count = CORPUS_TASKS): string {
  const parts: string[] = []
  for (let round = 0; round * MAX_TASKS < count; round++)
    for (const t of tasksFor(seed, round, CORPUS_PEER, Math.min(MAX_TASKS, count - round * MAX_TASKS), {
      levels: LEVELS,
    }))
      parts.push(t.prompt + t.answer)
  return parts.join('') + '\n'
}
