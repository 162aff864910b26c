// One training run: the trainer, the corpus split it trains on, the per-step commitments and losses,
// saving and resuming, and the receipts that state what was done. It runs wherever it is given a
// backend and bytes: the training worker exposes it to the page (workers/train.worker.ts), tests drive
// it in Node on the CPU reference (run.test.ts).
import type { Address, Hex } from 'viem'
import { NoRunError } from '../errors/train.ts'
import { kernelsHash } from '../receipts/kernels.ts'
import {
  signTrainingReceipt,
  trainingReceiptBody,
  type ReceiptSigner,
  type TrainingReceipt,
  type TrainingReceiptBody,
} from '../receipts/training.ts'
import { createInferenceReceipt, type InferenceReceipt } from '../receipts/inference.ts'
import type { Backend } from './backend.ts'
import { memoryRunStore, type RunStore } from './checkpoints.ts'
import { openCorpus, receiptData, type Corpus } from './corpus.ts'
import { decode, encode, sampleBatch, type Split } from './data.ts'
import { countParams } from './gpt.ts'
import { exportOnnx } from './onnx.ts'
import { exportDecoderOnnx } from './onnxDecoder.ts'
import { Trainer, type Checkpoint, type StepResult, type TrainConfig } from './trainer.ts'

export interface TrainingRunOptions {
  backend: Backend<unknown>
  config: TrainConfig
  runId: string
  corpus: Corpus
  /** The corpus file's bytes: checked against `corpus.sha256`, then split by its fraction. */
  bytes: Uint8Array
  /** Where the run is saved and resumed from (default: memory, gone with the process). */
  store?: RunStore
}

/** One step as the page sees it: the step's result, its time, and validation loss when measured. */
export interface StepEvent extends StepResult {
  ms: number
  val?: number
}

export interface TrainOptions {
  /** After each step; the next step waits for what it returns (a checkpoint written to disk). */
  onStep?: (e: StepEvent) => void | Promise<void>
  /** Save every this many steps (and always on the way out). */
  saveEvery?: number
  /** Measure validation loss every this many steps; 0: never. */
  evalEvery?: number
  /**
   * Queue each step before the one before it is read back (Trainer.trainSteps), up to the next save or
   * validation: on the GPU the host's work and the device's overlap. onStep must then not read the run's
   * state (the next step may be queued already); saves and validation still see their step's state.
   */
  overlap?: boolean
}

/** What the page needs to show a run it just opened. */
export interface RunSummary {
  backend: 'gpu' | 'cpu'
  params: number
  step: number
  resumed: boolean
  commitments: Hex[]
  losses: number[]
}

// The validation batches are drawn with their own seed, so they never depend on the run's.
const VAL_SEED = 0x5eed

export class TrainingRun {
  readonly runId: string
  readonly corpus: Corpus
  readonly resumed: boolean
  readonly startStateHash: Hex
  #trainer: Trainer<unknown> | null
  #split: Split
  #store: RunStore
  #commitments: Hex[]
  #losses: number[]
  #stopping = false

  private constructor(o: {
    runId: string
    corpus: Corpus
    trainer: Trainer<unknown>
    split: Split
    store: RunStore
    startStateHash: Hex
    commitments: Hex[]
    losses: number[]
    resumed: boolean
  }) {
    this.runId = o.runId
    this.corpus = o.corpus
    this.#trainer = o.trainer
    this.#split = o.split
    this.#store = o.store
    this.startStateHash = o.startStateHash
    this.#commitments = o.commitments
    this.#losses = o.losses
    this.resumed = o.resumed
  }

  /** A fresh run, or the stored one with this run id, resumed where it was saved. */
  static async open(o: TrainingRunOptions): Promise<TrainingRun> {
    const split = await openCorpus(o.corpus, o.bytes)
    const store = o.store ?? memoryRunStore()
    const stored = await store.load(o.runId)
    const trainer = Trainer.create(o.backend, o.config, stored?.checkpoint)
    return new TrainingRun({
      runId: o.runId,
      corpus: o.corpus,
      trainer,
      split,
      store,
      startStateHash: stored?.startStateHash ?? (await trainer.stateHash()),
      commitments: stored?.commitments ?? [],
      losses: stored?.losses ?? [],
      resumed: !!stored,
    })
  }

  get #t(): Trainer<unknown> {
    if (!this.#trainer) throw new NoRunError()
    return this.#trainer
  }

  get step(): number {
    return this.#t.step
  }

  get config(): TrainConfig {
    return this.#t.config
  }

  summary(): RunSummary {
    return {
      backend: this.#t.be.kind,
      params: countParams(this.config.model),
      step: this.step,
      resumed: this.resumed,
      commitments: [...this.#commitments],
      losses: [...this.#losses],
    }
  }

  /**
   * Trains up to `steps` more steps, reporting each; returns how many it took. stop() ends it at the
   * next step boundary: a step is never cut in half. Saves every `saveEvery` steps and on the way out,
   * so every step reported is in the stored checkpoint.
   */
  async train(steps: number, options: TrainOptions = {}): Promise<number> {
    const { onStep, saveEvery = 10, evalEvery = 0, overlap = false } = options
    const trainer = this.#t
    this.#stopping = false
    let done = 0
    const until = (every: number) =>
      every > 0 && Number.isFinite(every) ? every - (trainer.step % every) : Infinity
    while (done < steps && !this.#stopping) {
      const count = overlap ? Math.min(steps - done, until(saveEvery), until(evalEvery)) : 1
      // Wall time from one step's result to the next, all of it: with overlap a step computes while the
      // last one's result is handled (validation, save), and results can arrive in bursts, so only the
      // mean of these is a step's time (what the page's smoothed figures show).
      let last = performance.now()
      await trainer.trainSteps(this.#split.train, count, {
        stop: () => this.#stopping,
        onStep: async (r) => {
          this.#commitments.push(r.stateHash)
          this.#losses.push(r.loss)
          done++
          const now = performance.now()
          const ms = now - last
          last = now
          // At a save or validation step nothing is queued behind it: the state is this step's.
          const val = evalEvery > 0 && r.step % evalEvery === 0 ? await this.evaluate(2) : undefined
          await onStep?.({ ...r, ms, val })
          if (r.step % saveEvery === 0) await this.save()
          // A macrotask between steps: on the CPU reference a step never yields to the event loop, and a
          // stop (a worker message) would otherwise wait until the whole run had finished.
          await new Promise((resolve) => setTimeout(resolve, 0))
        },
      })
    }
    await this.save()
    return done
  }

  /** Ends train() at the next step boundary (pause and cancel alike). */
  stop(): void {
    this.#stopping = true
  }

  async save(): Promise<void> {
    await this.#store.save({
      runId: this.runId,
      savedAt: Date.now(),
      checkpoint: await this.#t.checkpoint(),
      startStateHash: this.startStateHash,
      commitments: [...this.#commitments],
      losses: [...this.#losses],
    })
  }

  /** The text of the first sequence in the batch that step `step` (0-based) trains on. */
  batchText(step: number): string {
    const c = this.config
    const { inputs } = sampleBatch(this.#split.train, {
      seed: c.seed,
      step,
      batch: c.batch,
      seqLen: c.model.seqLen,
    })
    return decode(inputs.subarray(0, c.model.seqLen))
  }

  /** Mean validation loss over `batches` fixed batches of the held-out split. */
  async evaluate(batches = 4): Promise<number> {
    let total = 0
    for (let i = 0; i < batches; i++) total += await this.#t.loss(this.#split.val, i, VAL_SEED)
    return total / batches
  }

  async sample(prompt: string, count: number): Promise<string> {
    return decode(await this.#t.sample(new Uint8Array(encode(prompt)), count))
  }

  /** The current weights as an ONNX model, its metadata naming the state hash they come from. */
  async onnx(): Promise<Uint8Array> {
    const t = this.#t
    return exportOnnx(t.config.model, await t.weights(), {
      metadata: { 'lockstep.stateHash': await t.stateHash(), 'lockstep.step': String(t.step) },
    })
  }

  /** The weights as the KV-cache decoder the generation loop drives (src/train/onnxDecoder.ts). */
  async decoder(): Promise<Uint8Array> {
    const t = this.#t
    return exportDecoderOnnx(t.config.model, await t.weights(), {
      metadata: { 'lockstep.stateHash': await t.stateHash(), 'lockstep.step': String(t.step) },
    })
  }

  /** The unsigned receipt body for every step so far, naming `producer` and the corpus as it was split. */
  receiptBody(producer: Address): TrainingReceiptBody {
    return trainingReceiptBody({
      runId: this.runId,
      config: this.config,
      data: receiptData(this.corpus),
      startStep: 0,
      endStep: this.#commitments.length,
      startStateHash: this.startStateHash,
      stepHashes: [...this.#commitments],
      kernelsHash: kernelsHash(),
      producer,
    })
  }

  /** A receipt for every step so far, signed by `signer` for one chain and registry. */
  receipt(
    signer: ReceiptSigner,
    target: { chainId: number; verifyingContract: Address },
  ): Promise<TrainingReceipt> {
    return signTrainingReceipt(this.receiptBody(signer.address), signer, target)
  }

  /**
   * Runs the current model, exported to ONNX, on `prompt` with the deterministic ONNX runtime: the model
   * bytes and a signed inference receipt naming `modelUri` as where the model will be found.
   */
  async inferenceReceipt(
    signer: ReceiptSigner,
    target: { chainId: number; verifyingContract: Address },
    prompt: string,
    modelUri: string,
  ): Promise<{ model: Uint8Array; receipt: InferenceReceipt }> {
    const model = await this.onnx()
    const T = this.config.model.seqLen
    const ids = Array.from(encode(prompt).slice(-T))
    while (ids.length < T) ids.push(32) // right-padded: causal, so the prompt's positions never see it
    const receipt = await createInferenceReceipt(
      model,
      { input_ids: { dims: [1, T], data: ids } },
      { uri: modelUri, account: signer, target, adapter: 'CPU reference (in the browser)' },
    )
    return { model, receipt }
  }

  checkpoint(): Promise<Checkpoint> {
    return this.#t.checkpoint()
  }

  /** Frees the backend's tensors; the run cannot be used after. */
  dispose(): void {
    this.#trainer?.dispose()
    this.#trainer = null
  }
}
