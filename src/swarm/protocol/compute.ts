// The compute a peer needs, behind one interface so it can run anywhere: in a Web Worker on the GPU
// in the page (through comlink; checkpoints are plain data that structured clone carries), or on the
// CPU reference in tests and in Node. Both backends give the same bits, so peers may mix them.
import type { Hex } from 'viem'
import type { Backend } from '../../train/backend.ts'
import { splitCorpus } from '../../train/data.ts'
import { Trainer, type Checkpoint } from '../../train/trainer.ts'

export interface TrainOutput {
  /** The state hash after each step. */
  stepHashes: Hex[]
  losses: number[]
  /** The checkpoint after each step (the last one is the update). */
  checkpoints: Checkpoint[]
}

export interface SwarmCompute {
  /** Trains (or, for a check, re-executes) `steps` steps from `start`, sampling batches with `seed` (the checkpoint's own seed is ignored). */
  train(start: Checkpoint, seed: number, steps: number): Promise<TrainOutput>
  /** The round-0 model of a config: weights from its seed, zero moments. */
  initial(config: Checkpoint['config']): Promise<Checkpoint>
  /** Mean loss of a model on fixed held-out batches: the same number on every peer. */
  evaluate(model: Checkpoint): Promise<number>
}

const EVAL_BATCHES = 2

/** A SwarmCompute on any Backend: `cpuBackend` in Node, the WebGPU backend in a worker. */
export function backendCompute<T>(be: Backend<T>, corpus: Uint8Array, valFraction: number): SwarmCompute {
  const { train, val } = splitCorpus(corpus, valFraction)
  const withSeed = (c: Checkpoint, seed: number): Checkpoint => ({ ...c, config: { ...c.config, seed } })
  const run = async <R>(c: Checkpoint, f: (t: Trainer<T>) => Promise<R>): Promise<R> => {
    const trainer = Trainer.create(be, c.config, c)
    try {
      return await f(trainer)
    } finally {
      trainer.dispose()
    }
  }
  return {
    train: (start, seed, steps) =>
      run(withSeed(start, seed), async (t) => {
        const out: TrainOutput = { stepHashes: [], losses: [], checkpoints: [] }
        for (let i = 0; i < steps; i++) {
          const r = await t.trainStep(train)
          out.stepHashes.push(r.stateHash)
          out.losses.push(r.loss)
          out.checkpoints.push(await t.checkpoint())
        }
        return out
      }),
    initial: async (config) => {
      const t = Trainer.create(be, config)
      try {
        return await t.checkpoint()
      } finally {
        t.dispose()
      }
    },
    evaluate: (model) =>
      run(model, async (t) => {
        let sum = 0
        for (let i = 0; i < EVAL_BATCHES; i++) sum += await t.loss(val, i, 0x5eed)
        return sum / EVAL_BATCHES
      }),
  }
}
