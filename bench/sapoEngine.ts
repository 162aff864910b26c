// What the SAPO bench runs on: the tasks, the compute, the warm start and the parameters, as one value.
// 'fake' is the protocol tests' stand-in (src/rl/sapo/testing.ts: cheap, deterministic, learns by a
// rule, not by GRPO); 'real' is the RL engine on the CPU reference.
import type { Hex } from 'viem'
import type { TaskBook } from '../src/rl/sapo/book.ts'
import { maxBlobBytes, type SapoParams } from '../src/rl/sapo/params.ts'
import { fakeBook, fakeCompute, fakeModel, fakeParams, fakePeerParams } from '../src/rl/sapo/testing.ts'
import type { Checkpoint } from '../src/train/trainer.ts'
import type { GrpoParams, RlCompute } from '../src/rl/types.ts'

export interface Engine {
  name: string
  book: TaskBook
  compute(): RlCompute
  /** The warm start. */
  model: Checkpoint
  params(seed: Hex): SapoParams
  grpo: GrpoParams
  blobBytes: number
  /** A ROLLOUTS message's size for L groups when none was measured: every completion at maxNewTokens. */
  messageBytes(L: number): number
}

export async function loadEngine(
  name: string,
  _o: { warmstart?: string; warmSteps: number; cache: string; log?: (s: string) => void } = {
    warmSteps: 600,
    cache: 'node_modules/.cache/lockstep-sapo-warm.lscp',
  },
): Promise<Engine> {
  if (name === 'fake') {
    const params = fakeParams()
    return {
      name: 'fake compute (src/rl/sapo/testing.ts)',
      book: fakeBook,
      compute: fakeCompute,
      model: fakeModel(0.2),
      params: (seed) => fakeParams({ seed }),
      grpo: fakePeerParams().grpo,
      blobBytes: maxBlobBytes(params),
      messageBytes: (L) => worstMessageBytes({ ...params, local: L }),
    }
  }
  throw new Error(`Unknown engine ${name}: fake (real needs src/rl/compute.ts and rollout.ts on main).`)
}

/** A ROLLOUTS message with every completion at maxNewTokens of 3-digit tokens: the most it can be. */
export function worstMessageBytes(p: SapoParams): number {
  const completion = 4 * p.rule.maxNewTokens + 1
  const group = 40 + p.G * completion
  return 200 + p.local * group
}
