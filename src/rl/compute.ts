// The RlCompute on any Backend (src/rl/types.ts): the CPU reference in Node and the simulator, the GPU
// in the page's worker. Each call builds a Trainer from the checkpoint it is given and disposes of it,
// so calls share nothing and a peer's models never mix.
import type { Hex } from 'viem'
import type { Backend } from '../train/backend.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import { grpoParams, grpoUpdate, type TaskLookup } from './grpo.ts'
import type { GrpoParams, Policy, RlCompute, RolloutGroup, SamplingRule, Task } from './types.ts'

/** Rollout generation: rollout.ts' generateGroups. */
export type GenerateGroups = (
  policy: Policy,
  state: Hex,
  tasks: readonly Task[],
  G: number,
  rule: SamplingRule,
) => Promise<RolloutGroup[]>

export interface RlComputeOptions {
  /** The task behind a group's id (tasks.ts' taskFromId): prompts come from ids, never from senders. */
  tasks: TaskLookup
  /** How rollouts are generated (rollout.ts' generateGroups). */
  generate: GenerateGroups
  /** The reference policy of GRPO's KL term (the warm start); needed when beta > 0. */
  reference?: Checkpoint
}

/**
 * GRPO and rollouts on `be`, with the trainer's own state commitment.
 *
 * @example
 * const compute = backendRlCompute(cpuBackend, { tasks: taskFromId, generate: generateGroups })
 * const { checkpoint, steps } = await compute.update(model, scored, RL_GRPO)
 */
export function backendRlCompute<T>(be: Backend<T>, options: RlComputeOptions): RlCompute {
  const using = async <R>(model: Checkpoint, f: (t: Trainer<T>) => Promise<R>): Promise<R> => {
    const trainer = Trainer.create(be, model.config, model)
    try {
      return await f(trainer)
    } finally {
      trainer.dispose()
    }
  }
  return {
    rollouts: (model, tasks, G, rule) =>
      using(model, async (t) => options.generate(t, await t.stateHash(), tasks, G, rule)),
    update: async (model, groups, params) =>
      using(withLr(model, params), async (t) => {
        const reference = params.beta > 0 && options.reference ? options.reference : undefined
        const run = (ref?: Trainer<T>) => grpoUpdate(t, groups, options.tasks, params, ref)
        const steps = reference ? await using(reference, run) : await run()
        return { checkpoint: await t.checkpoint(), steps }
      }),
    stateHash: (model) => using(model, (t) => t.stateHash()),
  }
}

/**
 * The checkpoint set to train at GRPO's learning rate from now on: lr and minLr both (past the end of
 * its schedule a trainer uses minLr; before it, a schedule that peaks there). The checkpoint it returns
 * carries that config, so it says what it was trained with; the state hash covers weights, not config.
 */
function withLr(model: Checkpoint, params: GrpoParams): Checkpoint {
  const { lr } = grpoParams(params)
  return lr === undefined ? model : { ...model, config: { ...model.config, lr, minLr: lr } }
}
