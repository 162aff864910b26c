// The deterministic aggregation rule: the element-wise mean of the included peers' end checkpoints
// (parameters and both AdamW moments), summed in float64 in a fixed order and rounded once to f32.
// IEEE-754 double addition and division are correctly rounded in every JavaScript engine, so the same
// inputs in the same order give the same bits on every peer: the round's model hash is agreed.
import { AggregationError } from '../../errors/swarm.ts'

export { AggregationError }
import type { Checkpoint } from '../../train/trainer.ts'

/**
 * Averages `updates`, which must be in the agreed order (the decide message's, by peer id). The result
 * carries `config` (the swarm's config: per-peer batch seeds do not survive the round).
 */
export function averageCheckpoints(updates: readonly Checkpoint[], config: Checkpoint['config']): Checkpoint {
  if (updates.length === 0) throw new AggregationError('Nothing to average: no update was included.')
  const [first] = updates
  for (const u of updates) {
    if (u.step !== first.step)
      throw new AggregationError(`Updates disagree on the step (${u.step} vs ${first.step}).`)
    if (
      u.tensors.length !== first.tensors.length ||
      u.tensors.some(
        (t, i) => t.name !== first.tensors[i].name || t.data.length !== first.tensors[i].data.length,
      )
    )
      throw new AggregationError('Updates disagree on their tensors.')
  }
  const n = updates.length
  const tensors = first.tensors.map((t, i) => {
    const sum = new Float64Array(t.data.length)
    for (const u of updates) {
      const d = u.tensors[i].data
      for (let j = 0; j < d.length; j++) sum[j] += d[j]
    }
    // Float32Array assignment rounds to nearest even: the one rounding step.
    const mean = new Float32Array(sum.length)
    for (let j = 0; j < sum.length; j++) mean[j] = sum[j] / n
    return { name: t.name, shape: [...t.shape], data: mean }
  })
  return { config, step: first.step, tensors }
}
