// `lockstep train`: a producer in Node. Trains a preset on the corpus, writes a signed training receipt
// and, with --checkpoints DIR, the checkpoints a verifier spot-checks from (every --every steps).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { basename, join } from 'node:path'
import type { Address, Hex, LocalAccount } from 'viem'
import { presets, type PresetName } from '../train/gpt.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { kernelsHash } from '../receipts/kernels.ts'
import { signTrainingReceipt, trainingReceiptBody } from '../receipts/training.ts'
import { encodeCheckpoint } from '../swarm/protocol/codec.ts'
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
  const preset = (flag(args, 'preset') ?? 'tiny') as PresetName
  if (!out || !(preset in presets)) {
    console.error(`lockstep train needs --out FILE and a --preset of ${Object.keys(presets).join(', ')}`)
    return 2
  }
  const int = (name: string, fallback: number) => {
    const v = Number(flag(args, name) ?? fallback)
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`)
    return v
  }
  const steps = int('steps', 10)
  const every = int('every', 5)
  const config = defaultTrainConfig(presets[preset], { steps, batch: int('batch', 8), seed: int('seed', 1) })
  const corpusFile = flag(args, 'corpus') ?? defaultCorpus
  const corpus = new Uint8Array(readFileSync(corpusFile))
  const dir = flag(args, 'checkpoints')
  if (dir) mkdirSync(dir, { recursive: true })
  const trainer = Trainer.create(backend.be, config)
  const save = async () => {
    if (dir)
      writeFileSync(join(dir, `step-${trainer.step}.lscp`), encodeCheckpoint(await trainer.checkpoint()))
  }
  try {
    const startStateHash = await trainer.stateHash()
    await save()
    const { train } = splitCorpus(corpus)
    const stepHashes: Hex[] = []
    for (let i = 0; i < steps; i++) {
      const r = await trainer.trainStep(train)
      stepHashes.push(r.stateHash)
      console.log(`step ${r.step}: loss ${r.loss.toFixed(4)} ${r.stateHash}`)
      if (r.step % every === 0 || r.step === steps) await save()
    }
    const body = trainingReceiptBody({
      runId: `${preset}-seed${config.seed}-steps${steps}`,
      config,
      data: {
        name: basename(corpusFile, '.txt'),
        sha256: createHash('sha256').update(corpus).digest('hex'),
        split: 'train',
        valFraction: 0.1,
      },
      startStep: 0,
      endStep: steps,
      startStateHash,
      stepHashes,
      kernelsHash: kernelsHash(),
      producer: account.address,
    })
    const receipt = await signTrainingReceipt(body, account, target)
    writeFileSync(out, JSON.stringify(receipt, null, 2) + '\n')
    console.log(
      `wrote ${out} (${backend.name}), signed by ${account.address}${dir ? `; checkpoints in ${dir}` : ''}`,
    )
    return 0
  } finally {
    trainer.dispose()
  }
}
