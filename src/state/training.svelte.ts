import { proxy, type Remote } from 'comlink'
import type { TrainWorkerApi } from '../../workers/train.worker.ts'
import { corpusUrl, startTrainWorker } from './workers.ts'
import { devKey } from '../receipts/devkey.ts'
import { defaultTrainConfig } from '../train/trainer.ts'
import { countParams, presets, type PresetName } from '../train/gpt.ts'

export interface Point {
  step: number
  loss: number
}

/** The page's view of one training run in the training worker. */
export class Training {
  preset = $state<PresetName>('tiny')
  steps = $state(200)
  status = $state<'idle' | 'starting' | 'training' | 'paused' | 'failed'>('idle')
  backend = $state<'gpu' | 'cpu' | null>(null)
  step = $state(0)
  losses = $state<Point[]>([])
  stateHash = $state('')
  tokensPerSecond = $state(0)
  valLoss = $state<number | null>(null)
  sampleText = $state('')
  error = $state<{ message: string; details?: string } | null>(null)
  resumed = $state(false)
  readonly params = $derived(countParams(presets[this.preset]))
  #worker: Worker | null = null
  #api: Remote<TrainWorkerApi> | null = null

  get config() {
    return defaultTrainConfig(presets[this.preset], { steps: this.steps })
  }

  get runId(): string {
    return `${this.preset}-seed${this.config.seed}-steps${this.steps}`
  }

  async start(useGpu: boolean): Promise<void> {
    this.error = null
    this.status = 'starting'
    try {
      const api = this.#remote()
      const run = await api.create(this.config, {
        runId: this.runId,
        corpusUrl: corpusUrl(),
        backend: useGpu ? 'gpu' : 'cpu',
      })
      this.backend = run.backend
      this.resumed = run.resumed
      this.step = run.step
      this.losses = run.losses.map((loss, i) => ({ step: i + 1, loss }))
      this.stateHash = run.commitments.at(-1) ?? ''
      this.status = 'training'
      const tokensPerStep = this.config.batch * this.config.model.seqLen
      await api.train(
        this.steps - run.step,
        proxy((r: { step: number; loss: number; stateHash: string; ms: number }) => {
          this.step = r.step
          this.losses.push({ step: r.step, loss: r.loss })
          this.stateHash = r.stateHash
          this.tokensPerSecond = tokensPerStep / (r.ms / 1000)
        }),
      )
      this.status = this.step >= this.steps ? 'idle' : 'paused'
    } catch (e) {
      this.fail(e)
    }
  }

  pause(): void {
    void this.#api?.pause()
  }

  async evaluate(): Promise<void> {
    try {
      this.valLoss = (await this.#api?.evaluate(4)) ?? null
    } catch (e) {
      this.fail(e)
    }
  }

  async sample(prompt = 'And God said'): Promise<void> {
    try {
      this.sampleText = prompt + ((await this.#api?.sample(prompt, 80)) ?? '')
    } catch (e) {
      this.fail(e)
    }
  }

  /** Saves a signed training receipt for every step so far (local dev key) as a JSON download. */
  async downloadReceipt(): Promise<void> {
    try {
      const receipt = await this.#api?.receipt(devKey())
      if (!receipt) return
      this.#save(
        new Blob([JSON.stringify(receipt, null, 2)], { type: 'application/json' }),
        `lockstep-${this.runId}-receipt.json`,
      )
    } catch (e) {
      this.fail(e)
    }
  }

  /**
   * Saves the model as ONNX and a signed inference receipt for `prompt` on it (deterministic runtime);
   * the receipt names the model file by the name it is saved under.
   */
  async downloadInference(prompt = 'And God said'): Promise<void> {
    try {
      const name = `lockstep-${this.runId}-step${this.step}.onnx`
      const result = await this.#api?.inferenceReceipt(devKey(), prompt, name)
      if (!result) return
      this.#save(
        new Blob([result.model as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
        name,
      )
      const json = JSON.stringify(result.receipt, null, 2)
      this.#save(
        new Blob([json], { type: 'application/json' }),
        `lockstep-${this.runId}-inference-receipt.json`,
      )
    } catch (e) {
      this.fail(e)
    }
  }

  /** Saves the current weights as an ONNX file through the browser's download. */
  async downloadOnnx(): Promise<void> {
    try {
      const bytes = await this.#api?.exportOnnx()
      if (!bytes) return
      const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' })
      this.#save(blob, `lockstep-${this.runId}-step${this.step}.onnx`)
    } catch (e) {
      this.fail(e)
    }
  }

  dispose(): void {
    this.#worker?.terminate()
    this.#worker = null
    this.#api = null
  }

  fail(e: unknown): void {
    this.status = 'failed'
    const err = e as { shortMessage?: string; message?: string; details?: string }
    this.error = { message: err.shortMessage ?? err.message ?? String(e), details: err.details }
  }

  #save(blob: Blob, name: string): void {
    const url = URL.createObjectURL(blob)
    Object.assign(document.createElement('a'), { href: url, download: name }).click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }

  #remote(): Remote<TrainWorkerApi> {
    if (!this.#api) ({ worker: this.#worker, api: this.#api } = startTrainWorker())
    return this.#api
  }
}
