// The training loop: one step = sample the batch for (seed, step), forward and backward through the
// tape, clip by the global gradient norm, AdamW, then commit to the new state with a hash.
// Everything is a pure function of (config, corpus, step), so any machine can replay any step.
import type { Hex } from 'viem'
import { CheckpointError, ConfigError, NonFiniteError } from '../errors/train.ts'
import { lrSchedule } from '../kernels/schedule.ts'
import { clipScale } from '../kernels/adamw.ts'
import { Tape } from './autograd.ts'
import type { Backend } from './backend.ts'
import { sampleBatch } from './data.ts'
import {
  checkConfig,
  gptLogits,
  gptLoss,
  initParams,
  largestTensors,
  paramSpecs,
  type GptConfig,
} from './gpt.ts'
import { DeviceLimitError } from '../errors/gpu.ts'
import { mulberry32 } from '../util/random.ts'
import { stateHash, type NamedTensor } from './state.ts'

export interface TrainConfig {
  model: GptConfig
  /** Seeds the initial weights and the batch sampler. */
  seed: number
  batch: number
  /** Length of the learning-rate schedule. */
  steps: number
  lr: number
  warmup: number
  minLr: number
  weightDecay: number
  beta1: number
  beta2: number
  eps: number
  /** Global gradient-norm clip. */
  clip: number
}

export function defaultTrainConfig(model: GptConfig, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const steps = overrides.steps ?? 1000
  return {
    model,
    seed: 1,
    batch: 8,
    steps,
    lr: 3e-3,
    warmup: Math.min(20, Math.floor(steps / 10)),
    minLr: 3e-4,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    clip: 1,
    ...overrides,
  }
}

export function checkTrainConfig(c: TrainConfig): void {
  checkConfig(c.model)
  const bad = (why: string) => {
    throw new ConfigError(`Invalid training config: ${why}.`)
  }
  for (const k of ['batch', 'steps'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer (got ${c[k]})`)
  if (!Number.isInteger(c.warmup) || c.warmup < 0 || c.warmup > c.steps)
    bad(`warmup must be an integer in [0, steps] (got ${c.warmup})`)
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff)
    bad(`seed must be a 32-bit unsigned integer (got ${c.seed})`)
  for (const k of ['lr', 'minLr', 'clip', 'eps'] as const)
    if (!(c[k] > 0) || !Number.isFinite(c[k])) bad(`${k} must be a positive number (got ${c[k]})`)
  if (c.minLr > c.lr) bad(`minLr (${c.minLr}) must not exceed lr (${c.lr})`)
  for (const k of ['beta1', 'beta2'] as const)
    if (!(c[k] >= 0 && c[k] < 1)) bad(`${k} must be in [0, 1) (got ${c[k]})`)
  if (!(c.weightDecay >= 0) || !Number.isFinite(c.weightDecay))
    bad(`weightDecay must be a non-negative number (got ${c.weightDecay})`)
}

export interface StepResult {
  /** The number of steps done after this one. */
  step: number
  loss: number
  gradNorm: number
  lr: number
  /** The commitment to the state after this step (state.ts). */
  stateHash: Hex
}

export interface Checkpoint {
  config: TrainConfig
  step: number
  /** Parameters, then `m.<name>` and `v.<name>`: the canonical order of state.ts. */
  tensors: NamedTensor[]
}

export class Trainer<T> {
  readonly be: Backend<T>
  readonly config: TrainConfig
  step: number
  #names: string[]
  #params = new Map<string, T>()
  #m = new Map<string, T>()
  #v = new Map<string, T>()

  private constructor(be: Backend<T>, config: TrainConfig, step: number) {
    this.be = be
    this.config = config
    this.step = step
    this.#names = paramSpecs(config.model).map((s) => s.name)
  }

  /** A fresh run from the config's seed, or a resumed one from a checkpoint. */
  static create<T>(be: Backend<T>, config: TrainConfig, from?: Checkpoint): Trainer<T> {
    checkTrainConfig(from?.config ?? config)
    const c = from?.config ?? config
    const [largest] = largestTensors(c.model, c.batch)
    if (be.maxTensorBytes !== undefined && largest.bytes > be.maxTensorBytes) {
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`
      throw new DeviceLimitError(
        `This model does not fit this GPU: its ${largest.name} needs ${mib(largest.bytes)}.`,
        {
          details: `The GPU allows ${mib(be.maxTensorBytes)} per buffer (maxStorageBufferBindingSize). Pick a smaller model, batch or context.`,
        },
      )
    }
    const trainer = new Trainer(be, from?.config ?? config, from?.step ?? 0)
    const specs = paramSpecs(trainer.config.model)
    const init = from ? null : initParams(trainer.config.model, trainer.config.seed)
    const saved = new Map(from?.tensors.map((t) => [t.name, t.data]))
    for (const s of specs) {
      const get = (name: string, fallback: () => Float32Array) => {
        const data = from ? saved.get(name) : fallback()
        if (!data || data.length !== s.shape.reduce((a, b) => a * b, 1))
          throw new CheckpointError(`Checkpoint is missing or has a wrong-sized ${name}.`)
        return be.upload(data, s.shape)
      }
      trainer.#params.set(
        s.name,
        get(s.name, () => init!.get(s.name)!),
      )
      trainer.#m.set(
        s.name,
        get(`m.${s.name}`, () => new Float32Array(s.shape.reduce((a, b) => a * b, 1))),
      )
      trainer.#v.set(
        s.name,
        get(`v.${s.name}`, () => new Float32Array(s.shape.reduce((a, b) => a * b, 1))),
      )
    }
    return trainer
  }

  /** Loss of the current weights on the batch of (seed, step) from `data`, without training. */
  async loss(data: Uint8Array, step: number, seed = this.config.seed): Promise<number> {
    const { inputs, targets } = sampleBatch(data, {
      seed,
      step,
      batch: this.config.batch,
      seqLen: this.config.model.seqLen,
    })
    const tape = new Tape(this.be)
    try {
      const { loss } = await gptLoss(tape, this.#params, this.config.model, inputs, targets)
      return (await this.be.download(loss))[0]
    } finally {
      tape.dispose()
    }
  }

  /** One training step on the batch for the current step. Refuses (state unchanged) on NaN/Inf. */
  async trainStep(data: Uint8Array): Promise<StepResult> {
    const c = this.config
    const { inputs, targets } = sampleBatch(data, {
      seed: c.seed,
      step: this.step,
      batch: c.batch,
      seqLen: c.model.seqLen,
    })
    const tape = new Tape(this.be)
    try {
      const { loss } = await gptLoss(tape, this.#params, c.model, inputs, targets)
      await tape.backward(loss, loss)
      const grads = this.#names.map((n) => tape.grad(this.#params.get(n)!)!)
      const lossValue = (await this.be.download(loss))[0]
      const norm = await this.be.gradNorm(grads)
      if (!Number.isFinite(lossValue) || !Number.isFinite(norm)) {
        throw new NonFiniteError(
          `Step ${this.step + 1} was refused: the ${Number.isFinite(lossValue) ? 'gradient norm' : 'loss'} is not finite.`,
          {
            details: `loss ${lossValue}, gradient norm ${norm}. The model state was left as it was after step ${this.step}.`,
          },
        )
      }
      const t = this.step + 1
      const lr = lrSchedule(this.step, { peak: c.lr, warmup: c.warmup, total: c.steps, min: c.minLr })
      const gradScale = clipScale(norm, c.clip)
      const specs = paramSpecs(c.model)
      for (let i = 0; i < specs.length; i++) {
        const name = specs[i].name
        await this.be.adamw(this.#params.get(name)!, grads[i], this.#m.get(name)!, this.#v.get(name)!, {
          lr,
          beta1: c.beta1,
          beta2: c.beta2,
          eps: c.eps,
          weightDecay: specs[i].decay ? c.weightDecay : 0,
          step: t,
          gradScale,
        })
      }
      this.step = t
      return { step: t, loss: lossValue, gradNorm: norm, lr, stateHash: await this.stateHash() }
    } finally {
      tape.dispose()
    }
  }

  /** The canonical state: parameters, then m, then v. */
  async tensors(): Promise<NamedTensor[]> {
    const specs = paramSpecs(this.config.model)
    const out: NamedTensor[] = []
    for (const [prefix, map] of [
      ['', this.#params],
      ['m.', this.#m],
      ['v.', this.#v],
    ] as const) {
      for (const s of specs)
        out.push({ name: prefix + s.name, shape: s.shape, data: await this.be.download(map.get(s.name)!) })
    }
    return out
  }

  /** The parameters alone (no optimizer state), by name. */
  async weights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>()
    for (const [name, t] of this.#params) out.set(name, await this.be.download(t))
    return out
  }

  async stateHash(): Promise<Hex> {
    return stateHash(this.step, await this.tensors())
  }

  async checkpoint(): Promise<Checkpoint> {
    return { config: this.config, step: this.step, tensors: await this.tensors() }
  }

  /**
   * Continues `prompt` by `count` bytes, sampling at `temperature` from a seeded generator. For
   * showing what the model learned; not part of any commitment.
   */
  async sample(
    prompt: Uint8Array,
    count: number,
    options: { temperature?: number; seed?: number } = {},
  ): Promise<Uint8Array> {
    const T = this.config.model.seqLen
    const next = mulberry32(options.seed ?? 1)
    const temperature = options.temperature ?? 0.8
    const text = Array.from(prompt.length ? prompt : [10])
    for (let i = 0; i < count; i++) {
      const context = text.slice(-T)
      const last = context.length - 1
      const ids = Int32Array.from({ length: T }, (_, k) => context[k] ?? 32) // right-padded; causal, so unseen
      const tape = new Tape(this.be)
      try {
        const logits = await this.be.download(await gptLogits(tape, this.#params, this.config.model, ids))
        const row = logits.subarray(last * this.config.model.vocab, (last + 1) * this.config.model.vocab)
        const max = row.reduce((a, b) => Math.max(a, b), -Infinity)
        const weights = Array.from(row, (v) => Math.exp((v - max) / temperature))
        let u = (next() / 2 ** 32) * weights.reduce((a, b) => a + b, 0)
        let pick = 0
        while (pick < weights.length - 1 && (u -= weights[pick]) > 0) pick++
        text.push(pick)
      } finally {
        tape.dispose()
      }
    }
    return Uint8Array.from(text.slice(prompt.length ? prompt.length : 1))
  }

  dispose(): void {
    for (const map of [this.#params, this.#m, this.#v]) for (const t of map.values()) this.be.release(t)
  }
}
