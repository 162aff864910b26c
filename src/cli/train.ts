// `lockstep train`: a producer in Node. Trains a preset on the corpus with a TrainingRun (as the app's
// worker does), writes a signed training receipt and, with --checkpoints DIR, the checkpoints a verifier
// spot-checks from (every --every steps).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Address, LocalAccount } from 'viem'
import { presets, type PresetName } from '../train/gpt.ts'
import { describeCorpus } from '../train/corpus.ts'
import { TrainingRun } from '../train/run.ts'
import { defaultTrainConfig } from '../train/trainer.ts'
import { encodeCheckpoint } from '../swarm/protocol/codec.ts'
import { RL_TRAIN } from '../rl/model.ts'
import { FlagError } from '../errors/cli.ts'
import { flag } from './args.ts'
import type { CliBackend } from './backend.ts'

export async function trainCommand(
  args: string[],
  backend: CliBackend,
  account: LocalAccount,
  target: { chainId: number; verifyingContract: Address },
  defaultCorpus: string,
): Promise<number> {
  const out = flag(args, 'out')
  const preset = (flag(args, 'preset') ?? 'tiny') as PresetName | 'rl'
  if (!out || !(preset in presets || preset === 'rl')) {
    console.error(
      `lockstep train needs --out FILE and a --preset of ${[...Object.keys(presets), 'rl'].join(', ')}`,
    )
    return 2
  }
  const int = (name: string, fallback: number) => {
    const v = Number(flag(args, name) ?? fallback)
    if (!Number.isInteger(v) || v < 1) throw new FlagError(`--${name} must be a positive integer.`)
    return v
  }
  const steps = int('steps', 10)
  const every = int('every', 5)
  // `rl` is the RL swarm's model with its warm start's optimizer settings (src/rl/model.ts).
  const config =
    preset === 'rl'
      ? {
          ...RL_TRAIN,
          steps,
          warmup: Math.min(RL_TRAIN.warmup, steps),
          batch: int('batch', RL_TRAIN.batch),
          seed: int('seed', RL_TRAIN.seed),
        }
      : defaultTrainConfig(presets[preset], { steps, batch: int('batch', 8), seed: int('seed', 1) })
  const corpusFile = flag(args, 'corpus') ?? defaultCorpus
  const bytes = new Uint8Array(readFileSync(corpusFile))
  const dir = flag(args, 'checkpoints')
  if (dir) mkdirSync(dir, { recursive: true })
  const run = await TrainingRun.open({
    backend: backend.be,
    config,
    runId: `${preset}-seed${config.seed}-steps${steps}`,
    corpus: await describeCorpus(basename(corpusFile, '.txt'), bytes),
    bytes,
  })
  const save = async () => {
    if (dir) writeFileSync(join(dir, `step-${run.step}.lscp`), encodeCheckpoint(await run.checkpoint()))
  }
  try {
    await save()
    await run.train(steps, {
      saveEvery: Infinity,
      onStep: async (r) => {
        console.log(`step ${r.step}: loss ${r.loss.toFixed(4)} ${r.stateHash}`)
        if (r.step % every === 0 || r.step === steps) await save()
      },
    })
    const receipt = await run.receipt(account, target)
    writeFileSync(out, JSON.stringify(receipt, null, 2) + '\n')
    console.log(
      `wrote ${out} (${backend.name}), signed by ${account.address}${dir ? `; checkpoints in ${dir}` : ''}`,
    )
    return 0
  } finally {
    run.dispose()
  }
}
