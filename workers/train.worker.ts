// The training worker: holds one TrainingRun (src/train/run.ts) on the GPU when it can, else on the
// CPU reference, so the page never blocks. The page talks to it through comlink
// (src/state/training.svelte.ts); everything the run does is in the TrainingRun, tested in Node.
import { expose, transfer } from 'comlink'
import { privateKeyToAccount } from 'viem/accounts'
import type { Address, Hex } from 'viem'
import { carryErrors } from '../src/errors/transfer.ts'
import { NoRunError } from '../src/errors/train.ts'
import { Gpu } from '../src/gpu/runtime.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import { idbRunStore } from '../src/train/idbStore.ts'
import { fetchCorpus, type Corpus } from '../src/train/corpus.ts'
import { TrainingRun, type RunSummary, type StepEvent, type TrainOptions } from '../src/train/run.ts'
import type { TrainConfig } from '../src/train/trainer.ts'
import type { Backend } from '../src/train/backend.ts'
import { DEV_TARGET } from '../src/receipts/devkey.ts'

carryErrors()
const store = idbRunStore()
let run: TrainingRun | null = null
let gpu: Gpu | null = null

function current(): TrainingRun {
  if (!run) throw new NoRunError()
  return run
}

const api = {
  /** Starts (or resumes, when IndexedDB holds the run) a training run. */
  async create(
    config: TrainConfig,
    options: { runId: string; corpus: Corpus; corpusUrl: string; backend: 'gpu' | 'cpu' },
  ): Promise<RunSummary> {
    run?.dispose()
    run = null
    const bytes = await fetchCorpus(options.corpus, options.corpusUrl)
    let backend = cpuBackend as Backend<unknown>
    if (options.backend === 'gpu') {
      gpu ??= await Gpu.create()
      backend = gpuBackend(gpu) as Backend<unknown>
    }
    run = await TrainingRun.open({
      backend,
      config,
      runId: options.runId,
      corpus: options.corpus,
      bytes,
      store,
    })
    return run.summary()
  },

  // The page's callback is not awaited: a step does not wait for a round trip to the page; nor does it
  // read the run's state, so the next step may be queued while the page hears of this one.
  train: (steps: number, onStep: (e: StepEvent) => void, options: Omit<TrainOptions, 'onStep'> = {}) =>
    current().train(steps, { overlap: true, ...options, onStep: (e) => void onStep(e) }),
  pause: () => run?.stop(),
  batchText: (step: number) => current().batchText(step),
  evaluate: (batches = 4) => current().evaluate(batches),
  sample: (prompt: string, count: number) => current().sample(prompt, count),

  async exportOnnx(): Promise<Uint8Array> {
    const bytes = await current().onnx()
    return transfer(bytes, [bytes.buffer as ArrayBuffer])
  },

  async exportDecoder(): Promise<Uint8Array> {
    const bytes = await current().decoder()
    return transfer(bytes, [bytes.buffer as ArrayBuffer])
  },

  /** A signed receipt for every step so far, with the page's dev key (workers have no localStorage). */
  receipt: (devKey: Hex) => current().receipt(privateKeyToAccount(devKey), DEV_TARGET),

  /** The unsigned receipt body naming `producer`: a wallet on the page signs it. */
  receiptBody: (producer: Address) => current().receiptBody(producer),

  async inferenceReceipt(devKey: Hex, prompt: string, modelUri: string) {
    const result = await current().inferenceReceipt(privateKeyToAccount(devKey), DEV_TARGET, prompt, modelUri)
    return transfer(result, [result.model.buffer as ArrayBuffer])
  },
}

export type TrainWorkerApi = typeof api

expose(api)
