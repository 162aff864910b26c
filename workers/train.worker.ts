// The training worker: owns the engine (GPU when it can, else the CPU reference) so the page never
// blocks. The page talks to it through comlink (src/state/training.svelte.ts).
import { expose, transfer } from 'comlink'
import { Gpu } from '../src/gpu/runtime.ts'
import { cpuBackend } from '../src/train/cpu.ts'
import { gpuBackend } from '../src/train/gpu.ts'
import { decode, encode, sampleBatch, splitCorpus, type Split } from '../src/train/data.ts'
import { countParams } from '../src/train/gpt.ts'
import { Trainer, type StepResult, type TrainConfig } from '../src/train/trainer.ts'
import { loadRun, saveRun } from '../src/train/checkpoints.ts'
import { exportOnnx } from '../src/train/onnx.ts'
import { sha256Hex } from '../src/util/hash.ts'
import { kernelsHash } from '../src/receipts/kernels.ts'
import { DEV_TARGET } from '../src/receipts/devkey.ts'
import {
  signTrainingReceipt,
  trainingReceiptBody,
  type TrainingReceipt,
  type TrainingReceiptBody,
} from '../src/receipts/training.ts'
import { createInferenceReceipt, type InferenceReceipt } from '../src/receipts/inference.ts'
import { privateKeyToAccount } from 'viem/accounts'
import type { Backend } from '../src/train/backend.ts'
import type { Address, Hex } from 'viem'

let trainer: Trainer<unknown> | null = null
let data: Split | null = null
let runId = ''
let paused = false
let commitments: Hex[] = []
let startStateHash: Hex = '0x'
let corpusSha256 = ''
let losses: number[] = []
let gpu: Gpu | null = null

async function corpus(url: string): Promise<{ split: Split; sha256: string }> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`Could not load the corpus ${url}: HTTP ${res.status}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { split: splitCorpus(bytes), sha256: await sha256Hex(bytes) }
}

const api = {
  /** Starts (or resumes, when IndexedDB holds the run) a training run. */
  async create(
    config: TrainConfig,
    options: { runId: string; corpusUrl: string; backend: 'gpu' | 'cpu' },
  ): Promise<{
    backend: 'gpu' | 'cpu'
    params: number
    step: number
    resumed: boolean
    commitments: Hex[]
    losses: number[]
  }> {
    trainer?.dispose()
    const loaded = await corpus(options.corpusUrl)
    data = loaded.split
    corpusSha256 = loaded.sha256
    let backend: Backend<unknown> = cpuBackend as Backend<unknown>
    if (options.backend === 'gpu') {
      gpu ??= await Gpu.create()
      backend = gpuBackend(gpu) as Backend<unknown>
    }
    const stored = await loadRun(options.runId)
    trainer = Trainer.create(backend, config, stored?.checkpoint)
    startStateHash = stored?.startStateHash ?? (await trainer.stateHash())
    runId = options.runId
    commitments = stored?.commitments ?? []
    losses = stored?.losses ?? []
    return {
      backend: backend.kind,
      params: countParams(trainer.config.model),
      step: trainer.step,
      resumed: !!stored,
      commitments,
      losses,
    }
  },

  /**
   * Trains up to `steps` more steps, reporting each; stops at the next step boundary when paused (pause
   * and cancel both end here: a step is never cut in half). Saves every `saveEvery` steps and on the way
   * out, so every step the page was told about is in the checkpoint. Every `evalEvery` steps (0: never)
   * it also measures validation loss, for the chart.
   */
  async train(
    steps: number,
    onStep: (r: StepResult & { ms: number; val?: number }) => void,
    options: { saveEvery?: number; evalEvery?: number } = {},
  ): Promise<number> {
    if (!trainer || !data) throw new Error('No run: call create() first.')
    const { saveEvery = 10, evalEvery = 0 } = options
    paused = false
    let done = 0
    while (done < steps && !paused) {
      const start = performance.now()
      const r = await trainer.trainStep(data.train)
      commitments.push(r.stateHash)
      losses.push(r.loss)
      done++
      const ms = performance.now() - start
      const val = evalEvery > 0 && r.step % evalEvery === 0 ? await api.evaluate(2) : undefined
      onStep({ ...r, ms, val })
      if (r.step % saveEvery === 0) await api.save()
      // A macrotask between steps: on the CPU reference a step never yields to the event loop, and a
      // pause or cancel message would otherwise wait until the whole run had finished.
      await new Promise((resolve) => setTimeout(resolve, 0))
    }
    await api.save()
    return done
  },

  pause(): void {
    paused = true
  },

  /** The text of the first sequence in the batch that step `step` (0-based) trains on. */
  batchText(step: number): string {
    if (!trainer || !data) throw new Error('No run: call create() first.')
    const c = trainer.config
    const { inputs } = sampleBatch(data.train, { seed: c.seed, step, batch: c.batch, seqLen: c.model.seqLen })
    return decode(inputs.subarray(0, c.model.seqLen))
  },

  async save(): Promise<void> {
    if (!trainer) return
    await saveRun({
      runId,
      savedAt: Date.now(),
      checkpoint: await trainer.checkpoint(),
      startStateHash,
      commitments,
      losses,
    })
  },

  /** Mean validation loss over `batches` fixed batches. */
  async evaluate(batches = 4): Promise<number> {
    if (!trainer || !data) throw new Error('No run: call create() first.')
    let total = 0
    for (let i = 0; i < batches; i++) total += await trainer.loss(data.val, i, 0x5eed)
    return total / batches
  },

  async sample(prompt: string, count: number): Promise<string> {
    if (!trainer) throw new Error('No run: call create() first.')
    return decode(await trainer.sample(new Uint8Array(encode(prompt)), count))
  },

  /** The current weights as an ONNX model, its metadata naming the state hash they come from. */
  async exportOnnx(): Promise<Uint8Array> {
    if (!trainer) throw new Error('No run: call create() first.')
    const bytes = exportOnnx(trainer.config.model, await trainer.weights(), {
      metadata: { 'lockstep.stateHash': await trainer.stateHash(), 'lockstep.step': String(trainer.step) },
    })
    return transfer(bytes, [bytes.buffer as ArrayBuffer])
  },

  /**
   * A signed training receipt for every step so far, signed with the page's local dev key (workers
   * have no localStorage: the page passes the key in).
   */
  async receipt(devKey: Hex): Promise<TrainingReceipt> {
    const account = privateKeyToAccount(devKey)
    return signTrainingReceipt(await api.receiptBody(account.address), account, DEV_TARGET)
  },

  /** The unsigned receipt body for every step so far, naming `producer`: a wallet on the page signs it. */
  async receiptBody(producer: Address): Promise<TrainingReceiptBody> {
    if (!trainer) throw new Error('No run: call create() first.')
    return trainingReceiptBody({
      runId,
      config: trainer.config,
      data: { name: 'kjv-pentateuch', sha256: corpusSha256, split: 'train', valFraction: 0.1 },
      startStep: 0,
      endStep: commitments.length,
      startStateHash,
      stepHashes: commitments,
      kernelsHash: kernelsHash(),
      producer,
    })
  },

  /**
   * Runs the current model, exported to ONNX, on `prompt` with the deterministic ONNX runtime and returns
   * the model bytes and a signed inference receipt naming `modelUri` as where the model will be found.
   */
  async inferenceReceipt(
    devKey: Hex,
    prompt: string,
    modelUri: string,
  ): Promise<{ model: Uint8Array; receipt: InferenceReceipt }> {
    if (!trainer) throw new Error('No run: call create() first.')
    const model = exportOnnx(trainer.config.model, await trainer.weights(), {
      metadata: { 'lockstep.stateHash': await trainer.stateHash(), 'lockstep.step': String(trainer.step) },
    })
    const T = trainer.config.model.seqLen
    const ids = Array.from(encode(prompt).slice(-T))
    while (ids.length < T) ids.push(32) // right-padded: causal, so the prompt's positions never see it
    const receipt = await createInferenceReceipt(
      model,
      { input_ids: { dims: [1, T], data: ids } },
      {
        uri: modelUri,
        account: privateKeyToAccount(devKey),
        target: DEV_TARGET,
        adapter: 'CPU reference (in the browser)',
      },
    )
    return transfer({ model, receipt }, [model.buffer as ArrayBuffer])
  },

  async checkpoint() {
    if (!trainer) throw new Error('No run: call create() first.')
    const c = await trainer.checkpoint()
    return transfer(
      c,
      c.tensors.map((t) => t.data.buffer as ArrayBuffer),
    )
  },
}

export type TrainWorkerApi = typeof api

expose(api)
