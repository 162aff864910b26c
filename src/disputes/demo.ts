// Producers for dispute demos and tests: an honest one, or one whose backend corrupts one operator's
// output at one step, a small and plausible lie. Each yields a signed receipt (anvil's development
// keys) and can answer a challenge with its trace of any step, as a real party would.
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend, type CpuTensor } from '../train/cpu.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, defaultTrainConfig, type TrainConfig } from '../train/trainer.ts'
import { signTrainingReceipt, trainingReceiptBody, type TrainingReceipt } from '../receipts/training.ts'
import { kernelsHash } from '../receipts/kernels.ts'
import { sha256Hex } from '../util/hash.ts'
import { TracingBackend, type OpRecord } from './trace.ts'
import type { StepTrace } from './dispute.ts'
import { stepTraceFile, type StepTraceFile } from './stepTrace.ts'

/** anvil's first two development keys: never for real funds. */
export const testKeys = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
] as const
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }

export interface TestProducer {
  receipt: TrainingReceipt
  traceStep(step: number): Promise<StepTrace>
}

/** Trains `config.steps` steps; `cheat` = [step, operator index] corrupts that operator's first output. */
export async function testProducer(
  config: TrainConfig,
  corpus: Uint8Array,
  key: Hex,
  cheat?: [number, number],
): Promise<TestProducer> {
  const { train } = splitCorpus(corpus)
  const tracing = new TracingBackend(cpuBackend)
  let step = 0
  tracing.tamper = async (record: OpRecord, outputs: CpuTensor[]) => {
    if (cheat && step === cheat[0] && record.index === cheat[1]) outputs[0].data[0] += 1e-3
  }
  const trainer = Trainer.create(tracing, config)
  const start = await trainer.stateHash()
  const hashes: Hex[] = []
  for (step = 1; step <= config.steps; step++) {
    tracing.reset()
    hashes.push((await trainer.trainStep(train)).stateHash)
  }
  const account = privateKeyToAccount(key)
  const body = trainingReceiptBody({
    runId: cheat ? 'cheater' : 'honest',
    config,
    data: { name: 'kjv-pentateuch', sha256: await sha256Hex(corpus), split: 'train', valFraction: 0.1 },
    startStep: 0,
    endStep: config.steps,
    startStateHash: start,
    stepHashes: hashes,
    kernelsHash: kernelsHash(),
    producer: account.address,
  })
  const receipt = await signTrainingReceipt(body, account, target)
  return {
    receipt,
    async traceStep(at: number) {
      const t = Trainer.create(tracing, config)
      for (step = 1; step < at; step++) await t.trainStep(train)
      step = at
      tracing.reset()
      await t.trainStep(train)
      return { records: [...tracing.records], values: new Map(tracing.values) }
    },
  }
}

/** The model and run length of the demo dispute: one layer, five steps, about a second on a CPU. */
export const demoConfig = defaultTrainConfig(
  { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 },
  { steps: 5, batch: 2 },
)

/**
 * A ready-made dispute for the Settle panel: an honest receipt, a cheater's receipt that corrupts one
 * operator of one step (drawn at random), and the cheater's trace of that step. A corrupted value that
 * never reaches the state (say, a masked-out attention score) is no dispute, so such draws are redrawn.
 */
export async function demoDispute(
  corpus: Uint8Array,
  random: () => number = Math.random,
): Promise<{
  honest: TrainingReceipt
  cheater: TrainingReceipt
  cheat: [number, number]
  trace: StepTraceFile
}> {
  const honest = await testProducer(demoConfig, corpus, testKeys[0])
  for (let attempt = 0; attempt < 10; attempt++) {
    const cheat: [number, number] = [2 + Math.floor(random() * 3), Math.floor(random() * 80)]
    const cheater = await testProducer(demoConfig, corpus, testKeys[1], cheat)
    if (cheater.receipt.body.endStateHash === honest.receipt.body.endStateHash) continue
    const trace = stepTraceFile(cheater.receipt.receiptHash, cheat[0], await cheater.traceStep(cheat[0]))
    return { honest: honest.receipt, cheater: cheater.receipt, cheat, trace }
  }
  throw new Error('Could not plant a lie that changes the state (10 draws).')
}
