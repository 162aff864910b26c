// Producers for dispute demos and tests: an honest one, or one whose backend corrupts one operator's
// output at one step, a small and plausible lie. Each yields a signed receipt (anvil's development
// keys) and can answer a challenge with its trace of any step, as a real party would.
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend, type CpuTensor } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { Trainer, defaultTrainConfig, type TrainConfig } from '../train/trainer.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import { MICRO, trainedReceipt } from '../receipts/testing.ts'
import { NoLieError } from '../errors/dispute.ts'
import { TracingBackend, type OpRecord } from './trace.ts'
import type { StepTrace } from './dispute.ts'
import { stepTraceFile, type StepTraceFile } from './stepTrace.ts'

/** anvil's first two development keys: never for real funds. */
export const testKeys = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
] as const

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
  const { train } = splitBy(KJV_PENTATEUCH, corpus)
  const tracing = new TracingBackend(cpuBackend)
  let step = 0
  tracing.tamper = async (record: OpRecord, outputs: CpuTensor[]) => {
    if (cheat && step === cheat[0] && record.index === cheat[1]) outputs[0].data[0] += 1e-3
  }
  const receipt = await trainedReceipt({
    signer: privateKeyToAccount(key),
    bytes: corpus,
    backend: tracing,
    config,
    runId: cheat ? 'cheater' : 'honest',
    beforeStep: (s) => {
      step = s
      tracing.reset()
    },
  })
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
export const demoConfig = defaultTrainConfig(MICRO, { steps: 5, batch: 2 })

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
  throw new NoLieError('Could not plant a lie that changes the state (10 draws).', {
    metaMessages: ['Try the demo again: it draws another step and operator.'],
  })
}
