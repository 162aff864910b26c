// Test helpers for the chain: a real (tiny) training receipt, signed by whoever the test needs.
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import type { Address, Hex } from 'viem'
import { cpuBackend } from '../train/cpu.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { kernelsHash } from '../receipts/kernels.ts'
import {
  signTrainingReceipt,
  trainingReceiptBody,
  type ReceiptSigner,
  type TrainingReceipt,
} from '../receipts/training.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
const sha256 = createHash('sha256').update(corpus).digest('hex')

/** `steps` real CPU training steps of a micro GPT from `seed`, signed by `signer` for `target`. */
export async function trainedReceipt(
  signer: ReceiptSigner,
  target: { chainId: number; verifyingContract: Address },
  { steps = 3, seed = 1 } = {},
): Promise<TrainingReceipt> {
  const config = defaultTrainConfig(
    { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 },
    { steps, batch: 2, seed },
  )
  const trainer = Trainer.create(cpuBackend, config)
  const startStateHash = await trainer.stateHash()
  const { train } = splitCorpus(corpus)
  const stepHashes: Hex[] = []
  for (let i = 0; i < steps; i++) stepHashes.push((await trainer.trainStep(train)).stateHash)
  const body = trainingReceiptBody({
    runId: `chain-test-${seed}`,
    config,
    data: { name: 'kjv-pentateuch', sha256, split: 'train', valFraction: 0.1 },
    startStep: 0,
    endStep: steps,
    startStateHash,
    stepHashes,
    kernelsHash: kernelsHash(),
    producer: signer.address,
  })
  return signTrainingReceipt(body, signer, target)
}
