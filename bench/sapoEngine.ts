// What the SAPO bench runs on: the tasks, the compute, the warm start and the parameters, as one value.
// 'fake' is the protocol tests' stand-in (src/rl/sapo/testing.ts: cheap, deterministic, learns by a
// rule, not by GRPO); 'real' is the RL engine on the CPU reference.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Hex } from 'viem'
import { RL_GRPO, RL_G, RL_L, RL_SAMPLING, RL_TRAIN } from '../src/rl/model.ts'
import { taskCorpus } from '../src/rl/corpus.ts'
import { cpuRlCompute } from '../src/rl/sim.ts'
import { decodeCheckpoint, encodeCheckpoint } from '../src/swarm/protocol/codec.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { Trainer } from '../src/train/trainer.ts'
import { rlTaskBook, type TaskBook } from '../src/rl/sapo/book.ts'
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

/**
 * The warm start: `file` (a checkpoint in the swarm codec, .lscp: public/rl/'s, scripts/rl-warmstart.mjs)
 * when given; otherwise `steps` of stream LM training on the same task corpus (src/rl/corpus.ts), made
 * here and cached in `cache`: RL_TRAIN with its cosine schedule shortened to `steps`, so RL goes on at
 * minLr as it does after the shipped one.
 */
export async function warmStart(o: {
  file?: string
  steps: number
  cache: string
  log?: (s: string) => void
}) {
  const max = 64 * 1024 * 1024
  if (o.file) return decodeCheckpoint(new Uint8Array(readFileSync(o.file)), max)
  if (existsSync(o.cache)) return decodeCheckpoint(new Uint8Array(readFileSync(o.cache)), max)
  const corpus = new TextEncoder().encode(taskCorpus())
  // The schedule ends with the stand-in's steps, so RL goes on at minLr, as after the shipped warm start.
  const trainer = Trainer.create(cpuBackend, { ...RL_TRAIN, steps: o.steps })
  const t0 = performance.now()
  for (let i = 0; i < o.steps; i++) {
    const r = await trainer.trainStep(corpus)
    if (i % 100 === 0 || i === o.steps - 1)
      o.log?.(
        `warm start step ${i + 1}/${o.steps}: loss ${r.loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      )
  }
  const c = await trainer.checkpoint()
  trainer.dispose()
  mkdirSync(dirname(o.cache), { recursive: true })
  writeFileSync(o.cache, encodeCheckpoint(c))
  return c
}

export async function loadEngine(
  name: string,
  o: { warmstart?: string; warmSteps: number; cache: string; log?: (s: string) => void } = {
    warmSteps: 600,
    cache: 'node_modules/.cache/lockstep-sapo-warm.lscp',
  },
): Promise<Engine> {
  if (name === 'real') {
    const model = await warmStart({ file: o.warmstart, steps: o.warmSteps, cache: o.cache, log: o.log })
    // The swarm's config is its warm start's: its model shape is what every blob must have.
    const params = (seed: Hex): SapoParams => ({
      seed,
      local: RL_L,
      G: RL_G,
      rule: RL_SAMPLING,
      config: model.config,
    })
    return {
      name: `RL engine, CPU reference (model ${JSON.stringify(model.config.model)}, warm start at step ${model.step})`,
      book: rlTaskBook,
      compute: cpuRlCompute,
      model,
      params,
      grpo: RL_GRPO,
      blobBytes: maxBlobBytes(params(`0x${'00'.repeat(32)}`)),
      messageBytes: (L) => worstMessageBytes({ ...params(`0x${'00'.repeat(32)}`), local: L }),
    }
  }
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
  throw new Error(`Unknown engine ${name}: real or fake.`)
}

/** A ROLLOUTS message with every completion at maxNewTokens of 3-digit tokens: the most it can be. */
export function worstMessageBytes(p: SapoParams): number {
  const completion = 4 * p.rule.maxNewTokens + 1
  const group = 40 + p.G * completion
  return 200 + p.local * group
}
