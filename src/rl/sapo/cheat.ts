// "Make this peer forge": a compute whose published completions its model did not produce, for the
// tests, the simulator and the experiment. The lie is the kind only regeneration catches: the state
// hash and the blob are honest, the tasks are its own, and every completion is well formed; half of each
// group is replaced by the exact answer, so its groups look informative (mixed rewards) and attractive.
import { END_TOKEN, type RlCompute } from '../types.ts'

export function forgingCompute(inner: RlCompute): RlCompute {
  return {
    ...inner,
    async rollouts(model, tasks, G, rule) {
      const groups = await inner.rollouts(model, tasks, G, rule)
      return groups.map((g, i) => {
        const answer = [...new TextEncoder().encode(tasks[i].answer), END_TOKEN].slice(0, rule.maxNewTokens)
        return { ...g, completions: g.completions.map((c, j) => (j % 2 === 0 ? answer : c)) }
      })
    },
  }
}
