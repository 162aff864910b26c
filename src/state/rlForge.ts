// "Make this peer cheat" for the RL swarm: publish rollouts the model did not produce. Each completion is
// replaced by the task's correct answer, the most tempting lie (full reward for work not done). The
// others recompute the reward (it is right) but regenerate the group from its claimed state and seeds
// in a spot check, get other tokens, and drop this peer's rollouts (docs/rl.md).
// The switch wraps the compute, so it also bends this tab's own regenerations of others' groups: a
// cheating tab then drops honest peers too. That harms nobody else (each peer keeps its own model and
// its own list of dropped senders), and it stops when the switch goes off.
import { encode } from '../train/data.ts'
import { END_TOKEN, type RlCompute } from '../rl/types.ts'

/** `honest`, except that while `on()` is true every rollout answers exactly right. */
export function forgingCompute(honest: RlCompute, on: () => boolean): RlCompute {
  return {
    async rollouts(model, tasks, G, rule) {
      const groups = await honest.rollouts(model, tasks, G, rule)
      if (!on()) return groups
      // Groups come in the order of their tasks (RlCompute.rollouts).
      return groups.map((g, i) => {
        const answer = [...encode(tasks[i].answer), END_TOKEN].slice(0, rule.maxNewTokens)
        return { ...g, completions: g.completions.map(() => [...answer]) }
      })
    },
    update: (model, groups, params) => honest.update(model, groups, params),
    stateHash: (model) => honest.stateHash(model),
  }
}
