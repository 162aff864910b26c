// "Make this peer forge": a compute whose published completions its model did not produce, for the
// tests, the simulator, the experiment and the page's cheat switch. The lie is the kind only
// regeneration catches: the state hash and the blob are honest, the tasks are its own, and every
// completion is well formed; half of each group is replaced by the exact answer, so its groups look
// informative (mixed rewards) and attractive. forgingCompute wraps the whole compute, so a forging
// peer's own regenerations of others' groups are bent too (it then drops honest peers and runs on
// alone); RlPeer's `forging` option forges only what the peer publishes, as a real cheat would.
import { encode } from '../../train/data.ts'
import { END_TOKEN, type RlCompute, type RolloutGroup, type SamplingRule, type Task } from '../types.ts'

/** `groups` (in the order of `tasks`) with every other completion replaced by the exact answer. */
export function forgeGroups(
  groups: RolloutGroup[],
  tasks: readonly Task[],
  rule: SamplingRule,
): RolloutGroup[] {
  return groups.map((g, i) => {
    const answer = [...encode(tasks[i].answer), END_TOKEN].slice(0, rule.maxNewTokens)
    return { ...g, completions: g.completions.map((c, j) => (j % 2 === 0 ? [...answer] : c)) }
  })
}

/** `inner`, except that while `on()` is true (always, unless given) half of every group is forged. */
export function forgingCompute(inner: RlCompute, on: () => boolean = () => true): RlCompute {
  return {
    ...inner,
    async rollouts(model, tasks, G, rule) {
      const groups = await inner.rollouts(model, tasks, G, rule)
      return on() ? forgeGroups(groups, tasks, rule) : groups
    },
  }
}
