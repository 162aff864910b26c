import { proxy, type Remote } from 'comlink'
import type { TrainWorkerApi } from '../../workers/train.worker.ts'
import { corpusUrl, startTrainWorker } from './workers.ts'
import { devKey } from '../receipts/devkey.ts'
import { handoff } from './handoff.svelte.ts'
import { hrefOf } from './route.ts'
import { signTrainingReceipt, type ReceiptSigner, type TrainingReceipt } from '../receipts/training.ts'
import type { Address } from 'viem'
import { defaultTrainConfig } from '../train/trainer.ts'
import type { StepEvent } from '../train/run.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { countParams, presets, type PresetName } from '../train/gpt.ts'
import { lrSchedule } from '../kernels/schedule.ts'
import { TrainSeries } from './series.svelte.ts'
import { saveBlob } from './download.ts'

export type TrainStatus = 'idle' | 'starting' | 'training' | 'paused' | 'cancelling' | 'cancelled' | 'failed'

/** The page's view of one training run in the training worker. */
export class Training {
  preset = $state<PresetName>('tiny')
  steps = $state(200)
  status = $state<TrainStatus>('idle')
  backend = $state<'gpu' | 'cpu' | null>(null)
  step = $state(0)
  readonly series = new TrainSeries()
  stateHash = $state('')
  tokensPerSecond = $state(0)
  /** A moving average of the time per step, for the ETA. */
  msPerStep = $state(0)
  valLoss = $state<number | null>(null)
  sampleText = $state('')
  /** What the worker is busy with when it is not a step, in words (loading, validation, export). */
  task = $state('')
  error = $state<ErrorInfo | null>(null)
  /** The step the run resumed from IndexedDB at, or null for a fresh run. */
  resumedAt = $state<number | null>(null)
  readonly params = $derived(countParams(presets[this.preset]))
  #worker: Worker | null = null
  #api: Remote<TrainWorkerApi> | null = null
  /** Which run the worker holds (runId and backend), so resume and "step once" skip reloading it. */
  #loaded = ''
  #useGpu = false

  get config() {
    return defaultTrainConfig(presets[this.preset], { steps: this.steps })
  }

  get runId(): string {
    return `${this.preset}-seed${this.config.seed}-steps${this.steps}`
  }

  /** Trains to the end of the run, or at most `limit` more steps ("step once" passes 1). */
  async start(useGpu: boolean, limit = Infinity): Promise<void> {
    this.error = null
    this.status = 'starting'
    try {
      // Cancel while loading terminates the worker: this await then never settles, and nothing is left
      // to do (no step was taken).
      await this.#ensure(useGpu)
      const api = this.#remote()
      this.status = 'training'
      const tokensPerStep = this.config.batch * this.config.model.seqLen
      const evalEvery = Math.max(10, Math.ceil(this.steps / 20))
      await api.train(
        Math.min(limit, this.steps - this.step),
        proxy((r: StepEvent) => {
          this.step = r.step
          this.series.push(r)
          if (r.val !== undefined) this.#val(r.step, r.val)
          this.stateHash = r.stateHash
          // Smoothed: overlapped steps report their results in bursts (run.ts), so one interval says little.
          this.msPerStep = this.msPerStep ? 0.8 * this.msPerStep + 0.2 * r.ms : r.ms
          this.tokensPerSecond = this.msPerStep > 0 ? tokensPerStep / (this.msPerStep / 1000) : 0
        }),
        { evalEvery },
      )
      // cancel() may have changed the status while train() ran; TypeScript cannot see that.
      if ((this.status as TrainStatus) === 'cancelling') {
        this.#drop() // the worker saved its checkpoint before answering; nothing is lost
        this.status = 'cancelled'
      } else this.status = this.step >= this.steps ? 'idle' : 'paused'
    } catch (e) {
      if (this.status !== 'cancelled') this.fail(e)
    }
  }

  pause(): void {
    void this.#api?.pause()
  }

  /**
   * Stops the run at the next step boundary, keeps its checkpoint and frees the worker (and its GPU
   * memory). While the run is still loading nothing is committed, so the worker is dropped at once;
   * likewise during a read-only task (validation loss, sampling, an export).
   */
  cancel(): void {
    if (this.status === 'starting') {
      this.#drop()
      this.status = 'cancelled'
    } else if (this.status === 'training') {
      this.status = 'cancelling'
      void this.#api?.pause()
    } else if (this.task) {
      // Validation loss, samples and exports only read the run, whose checkpoint was saved when its
      // last step ended: dropping the worker mid-task loses nothing.
      this.#drop()
    }
  }

  async evaluate(): Promise<void> {
    await this.#task('Measuring validation loss…', async (api) => {
      this.#val(this.step, await api.evaluate(4))
    })
  }

  async sample(prompt = 'And God said'): Promise<void> {
    await this.#task('Sampling text…', async (api) => {
      this.sampleText = prompt + (await api.sample(prompt, 80))
    })
  }

  /** The text of the first sequence the given step (1-based) trains on. */
  async batchText(step: number): Promise<string> {
    return this.#loaded ? this.#remote().batchText(step - 1) : ''
  }

  /** Saves a signed training receipt for every step so far (local dev key) as a JSON download. */
  async downloadReceipt(): Promise<void> {
    await this.#task('Signing the receipt…', async (api) => {
      const receipt = await api.receipt(devKey())
      saveBlob(JSON.stringify(receipt, null, 2), `lockstep-${this.runId}-receipt.json`)
    })
  }

  /** A signed training receipt for every step so far (local dev key), as JSON text. */
  async receiptJson(): Promise<string> {
    await this.#ensure(this.#useGpu)
    return JSON.stringify(await this.#remote().receipt(devKey()))
  }

  /**
   * A receipt for every step so far, signed by `signer` (the connected wallet, or the dev key) for
   * `target`. Errors (a rejected signature) go to the caller: they are not a failure of the run.
   */
  async signedReceipt(
    signer: ReceiptSigner,
    target: { chainId: number; verifyingContract: Address },
  ): Promise<TrainingReceipt> {
    await this.#ensure(this.#useGpu)
    return signTrainingReceipt(await this.#remote().receiptBody(signer.address), signer, target)
  }

  /**
   * Saves the model as ONNX and a signed inference receipt for `prompt` on it (deterministic runtime);
   * the receipt names the model file by the name it is saved under.
   */
  async downloadInference(prompt = 'And God said'): Promise<void> {
    await this.#task('Running the model on the deterministic ONNX runtime…', async (api) => {
      const name = `lockstep-${this.runId}-step${this.step}.onnx`
      const result = await api.inferenceReceipt(devKey(), prompt, name)
      saveBlob(result.model, name)
      saveBlob(JSON.stringify(result.receipt, null, 2), `lockstep-${this.runId}-inference-receipt.json`)
    })
  }

  /** The current weights as a KV-cache decoder, handed to the Generate page (in this tab). */
  async generateWith(): Promise<void> {
    await this.#task('Exporting the decoder…', async (api) => {
      const name = `lockstep-${this.runId}-step${this.step}-decoder.onnx`
      const bytes = await api.exportDecoder()
      handoff.model = { name, bytes, label: `the model you trained (${this.runId}, step ${this.step})` }
      location.hash = hrefOf('generate')
    })
  }

  /** Saves the current weights as an ONNX file through the browser's download. */
  async downloadOnnx(): Promise<void> {
    await this.#task('Exporting ONNX…', async (api) => {
      saveBlob(await api.exportOnnx(), `lockstep-${this.runId}-step${this.step}.onnx`)
    })
  }

  dispose(): void {
    this.#drop()
  }

  fail(e: unknown): void {
    this.status = 'failed'
    this.error = errorInfo(e)
  }

  #val(step: number, loss: number): void {
    this.valLoss = loss
    this.series.setVal(step, loss)
  }

  async #task(label: string, run: (api: Remote<TrainWorkerApi>) => Promise<void>): Promise<void> {
    this.task = label
    try {
      await this.#ensure(this.#useGpu)
      await run(this.#remote())
    } catch (e) {
      this.fail(e)
    } finally {
      this.task = ''
    }
  }

  /**
   * Loads this run into the worker (created, or resumed from IndexedDB) unless it already holds it.
   * Returns nothing: a comlink remote must not be the value of a promise (its `then` would be called).
   */
  async #ensure(useGpu: boolean): Promise<void> {
    const api = this.#remote()
    const key = `${this.runId}/${useGpu}`
    if (this.#loaded === key) return
    this.#useGpu = useGpu
    this.task = 'Loading the corpus and preparing the model…'
    const run = await api.create(this.config, {
      runId: this.runId,
      corpus: KJV_PENTATEUCH,
      corpusUrl: corpusUrl(KJV_PENTATEUCH),
      backend: useGpu ? 'gpu' : 'cpu',
    })
    this.task = ''
    this.#loaded = key
    this.backend = run.backend
    this.resumedAt = run.resumed ? run.step : null
    this.step = run.step
    this.series.clear()
    const c = this.config
    run.losses.forEach((loss, i) =>
      this.series.push({
        step: i + 1,
        loss,
        lr: lrSchedule(i, { peak: c.lr, warmup: c.warmup, total: c.steps, min: c.minLr }),
      }),
    )
    this.stateHash = run.commitments.at(-1) ?? ''
  }

  #drop(): void {
    this.#worker?.terminate()
    this.#worker = null
    this.#api = null
    this.#loaded = ''
    this.task = ''
  }

  #remote(): Remote<TrainWorkerApi> {
    if (!this.#api) ({ worker: this.#worker, api: this.#api } = startTrainWorker())
    return this.#api
  }
}
