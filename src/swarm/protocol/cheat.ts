// "Make this peer cheat": a compute that lies consistently, for the fault tests, the simulator, the
// Join panel's cheat switch and teach mode. The lie is the kind only re-execution catches: the update is
// nudged and its state hash recomputed, so the receipt, the checkpoints and the hashes all agree.
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { SwarmCompute } from './compute.ts'

/**
 * Wraps `inner` so that, whenever `when(start, seed)` is true at the start of a run, the run's last step
 * is nudged (one weight + 1e-3) and its state hash recomputed. Its checks of others are wrong the same way
 * (a check replays the other's batch seed: `seed` tells them from its own training), so a cheating peer
 * also accuses honest peers (and is excluded for that too).
 */
export function byzantineCompute(
  inner: SwarmCompute,
  when: (start: Checkpoint, seed: number) => boolean = () => true,
): SwarmCompute {
  return {
    ...inner,
    async train(start, seed, steps) {
      const lie = when(start, seed)
      const out = await inner.train(start, seed, steps)
      if (!lie) return out
      const last = out.checkpoints.at(-1)!
      last.tensors[0].data[0] += 1e-3
      out.stepHashes[steps - 1] = stateHash(last.step, last.tensors)
      return out
    },
  }
}
