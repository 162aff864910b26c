// The training loop: one step = sample the batch for (seed, step), forward and backward through the
// tape, clip by the global gradient norm, AdamW, then commit to the new state with a hash.
// Everything is a pure function of (config, corpus, step), so any machine can replay any step.
// The optimizer half runs in the backend's stepper (step.ts): on the GPU it stays on the device and a
// step reads back a few scalars and its state hash (resident.ts).
import type { Hex } from 'viem'
import { CheckpointError, ConfigError, NonFiniteError } from '../errors/train.ts'
import { lrSchedule } from '../kernels/schedule.ts'
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
import { DeviceLimitError, ShapeError } from '../errors/gpu.ts'
import { mulberry32 } from '../util/random.ts'
import type { NamedTensor } from './state.ts'
import {
  downloadAll,
  hostStepper,
  stateTensors,
  type ParamState,
  type StepOutcome,
  type Stepper,
} from './step.ts'

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

export interface TrainStepsOptions {
  /** Hears each step as its result arrives; the next step is already queued, so it must not read the state. */
  onStep?: (r: StepResult) => void | Promise<void>
  /** Asked before each next step is queued: true ends the run after the steps already queued. */
  stop?: () => boolean
}

/** A step queued on the backend, its result still to come. */
interface Queued {
  step: number
  lr: number
  outcome: Promise<StepOutcome>
}

/** A batch to train on as given (GRPO's, src/rl/grpo.ts): [rows, seqLen] ids, one weight per target. */
export interface WeightedBatch {
  inputs: Int32Array
  targets: Int32Array
  /** The loss is Σ weights[i]·cross-entropy(i) over every position i; finite, any sign. */
  weights: Float32Array
}

export interface Checkpoint {
  config: TrainConfig
  step: number
  /** Parameters, then `m.<name>` and `v.<name>`: the canonical order of state.ts. */
  tensors: NamedTensor[]
}

/** Refuses a model that cannot fit this backend's buffers, before anything is allocated. */
function checkFits<T>(be: Backend<T>, model: GptConfig, batch: number): void {
  const [largest] = largestTensors(model, batch)
  if (be.maxTensorBytes !== undefined && largest.bytes > be.maxTensorBytes) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`
    throw new DeviceLimitError(
      `This model does not fit this GPU: its ${largest.name} needs ${mib(largest.bytes)}.`,
      {
        details: `The GPU allows ${mib(be.maxTensorBytes)} per buffer (maxStorageBufferBindingSize). Pick a smaller model, batch or context.`,
      },
    )
  }
}

/** The error of a step the stepper refused: `done` steps stand, the state as after them. */
function refusal(step: number, o: StepOutcome, done: number): NonFiniteError {
  return new NonFiniteError(
    `Step ${step} was refused: the ${Number.isFinite(o.loss) ? 'gradient norm' : 'loss'} is not finite.`,
    {
      details: `loss ${o.loss}, gradient norm ${o.gradNorm}. The model state was left as it was after step ${done}.`,
    },
  )
}

export class Trainer<T> {
  readonly be: Backend<T>
  readonly config: TrainConfig
  step: number
  #params = new Map<string, T>()
  #state: ParamState<T>[] = []
  #stepper!: Stepper<T>

  private constructor(be: Backend<T>, config: TrainConfig, step: number) {
    this.be = be
    this.config = config
    this.step = step
  }

  /** A fresh run from the config's seed, or a resumed one from a checkpoint. */
  static create<T>(be: Backend<T>, config: TrainConfig, from?: Checkpoint): Trainer<T> {
    checkTrainConfig(from?.config ?? config)
    const c = from?.config ?? config
    checkFits(be, c.model, c.batch)
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
      const zeros = () => new Float32Array(s.shape.reduce((a, b) => a * b, 1))
      const p = get(s.name, () => init!.get(s.name)!)
      trainer.#params.set(s.name, p)
      trainer.#state.push({
        name: s.name,
        shape: s.shape,
        decay: s.decay,
        p,
        m: get(`m.${s.name}`, zeros),
        v: get(`v.${s.name}`, zeros),
      })
    }
    trainer.#stepper = be.stepper?.(trainer.#state) ?? hostStepper(be, trainer.#state)
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

  /**
   * The current model's logits [rows * seqLen, vocab] for [rows, seqLen] token ids: the forward pass
   * alone, the same bits on every backend. RL rollouts sample from these (src/rl/rollout.ts).
   */
  async logits(ids: Int32Array): Promise<Float32Array> {
    const tape = new Tape(this.be)
    try {
      return await this.be.download(await gptLogits(tape, this.#params, this.config.model, ids))
    } finally {
      tape.dispose()
    }
  }

  /**
   * Each position's cross-entropy, −log p(target), of the current model for [rows, seqLen] ids: the
   * log-probabilities GRPO weighs (src/rl/grpo.ts), from the same forward pass as a step's.
   */
  async rowLosses(inputs: Int32Array, targets: Int32Array): Promise<Float32Array> {
    this.#checkBatch('rowLosses', inputs, targets)
    const tape = new Tape(this.be)
    try {
      const logits = await gptLogits(tape, this.#params, this.config.model, inputs)
      const losses = await this.be.crossEntropyRows(logits, targets)
      try {
        return await this.be.download(losses)
      } finally {
        this.be.release(losses)
      }
    } finally {
      tape.dispose()
    }
  }

  /**
   * One optimizer step on a given batch with the weighted loss Σ weights·cross-entropy: the learning
   * rate from the config's schedule at the current step, the same stepper and state commitment as
   * trainStep, refused the same way (state unchanged) on NaN/Inf.
   */
  async trainOn(batch: WeightedBatch): Promise<StepResult> {
    const { inputs, targets, weights } = batch
    this.#checkBatch('trainOn', inputs, targets, weights)
    const q = await this.#queueLoss(this.step, async (tape) => {
      const logits = await gptLogits(tape, this.#params, this.config.model, inputs)
      return tape.crossEntropyWeighted(logits, targets, weights)
    })
    const o = await q.outcome
    if (o.stateHash === null) {
      this.#stepper.reset()
      throw refusal(q.step, o, this.step)
    }
    this.step = q.step
    return { step: q.step, loss: o.loss, gradNorm: o.gradNorm, lr: q.lr, stateHash: o.stateHash }
  }

  #checkBatch(op: string, inputs: Int32Array, targets: Int32Array, weights?: Float32Array): void {
    const T = this.config.model.seqLen
    if (!(inputs instanceof Int32Array) || !(targets instanceof Int32Array))
      throw new ShapeError(`${op}: inputs and targets must be Int32Arrays.`)
    if (inputs.length === 0 || inputs.length % T !== 0)
      throw new ShapeError(`${op}: a batch must be [rows, ${T}] token ids; got ${inputs.length}.`)
    if (targets.length !== inputs.length || (weights && weights.length !== inputs.length))
      throw new ShapeError(
        `${op}: ${inputs.length} inputs need as many targets${weights ? ' and weights' : ''}; got ${targets.length}${weights ? ` and ${weights.length}` : ''}.`,
      )
    checkFits(this.be, this.config.model, inputs.length / T)
  }

  /** One training step on the batch for the current step. Refuses (state unchanged) on NaN/Inf. */
  async trainStep(data: Uint8Array): Promise<StepResult> {
    const [r] = await this.trainSteps(data, 1)
    return r
  }

  /**
   * `count` training steps, the same as `count` trainStep calls, with each one queued before the one
   * before it is read back: on the GPU the host prepares step t + 1 while the device runs step t. A
   * refused step throws as trainStep does, after the steps before it were reported: the state and
   * `step` are as after the last good step, and nothing queued behind the refused one changed them.
   */
  async trainSteps(data: Uint8Array, count: number, options: TrainStepsOptions = {}): Promise<StepResult[]> {
    const results: StepResult[] = []
    let next: Queued | null = count > 0 ? await this.#queue(data, this.step) : null
    while (next) {
      const current: Queued = next
      next = null
      let failure: unknown = null
      if (results.length + 1 < count && !options.stop?.()) {
        try {
          next = await this.#queue(data, current.step)
        } catch (e) {
          failure = e
        }
      }
      let o: StepOutcome
      try {
        o = await current.outcome
      } catch (e) {
        await next?.outcome.catch(() => {})
        throw e
      }
      if (o.stateHash === null) {
        await next?.outcome.catch(() => {})
        this.#stepper.reset()
        throw refusal(current.step, o, this.step)
      }
      this.step = current.step
      const r = {
        step: current.step,
        loss: o.loss,
        gradNorm: o.gradNorm,
        lr: current.lr,
        stateHash: o.stateHash,
      }
      results.push(r)
      try {
        await options.onStep?.(r)
      } catch (e) {
        if (next) await this.#settle(next)
        throw e
      }
      if (failure) throw failure
    }
    return results
  }

  /** A queued step no one will hear of: `step` follows the state it left (or it was refused). */
  async #settle(q: Queued): Promise<void> {
    const o = await q.outcome
    if (o.stateHash === null) this.#stepper.reset()
    else this.step = q.step
  }

  /** Queues the step after `index` steps: forward, backward and the stepper's update. */
  async #queue(data: Uint8Array, index: number): Promise<Queued> {
    const c = this.config
    const { inputs, targets } = sampleBatch(data, {
      seed: c.seed,
      step: index,
      batch: c.batch,
      seqLen: c.model.seqLen,
    })
    return this.#queueLoss(index, async (tape) => {
      const { loss } = await gptLoss(tape, this.#params, c.model, inputs, targets)
      return loss
    })
  }

  /** Queues the step after `index` steps on the loss `lossOf` builds: backward and the stepper's update. */
  async #queueLoss(index: number, lossOf: (tape: Tape<T>) => Promise<T>): Promise<Queued> {
    const c = this.config
    const tape = new Tape(this.be)
    try {
      const loss = await lossOf(tape)
      await tape.backward(loss, loss)
      const grads = this.#state.map((s) => tape.grad(s.p)!)
      const lr = lrSchedule(index, { peak: c.lr, warmup: c.warmup, total: c.steps, min: c.minLr })
      const hyper = { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay }
      const { outcome } = await this.#stepper.update({ step: index + 1, loss, grads, hyper, clip: c.clip })
      outcome.catch(() => {}) // awaited later; a failure must not go unhandled meanwhile
      return { step: index + 1, lr, outcome }
    } finally {
      tape.dispose()
    }
  }

  /** The canonical state: parameters, then m, then v. */
  async tensors(): Promise<NamedTensor[]> {
    return stateTensors(this.be, this.#state)
  }

  /** The parameters alone (no optimizer state), by name. */
  async weights(): Promise<Map<string, Float32Array>> {
    const data = await downloadAll(
      this.be,
      this.#state.map((s) => s.p),
    )
    return new Map(this.#state.map((s, i) => [s.name, data[i]]))
  }

  /** The commitment to the current state (state.ts), computed where the state lives. */
  async stateHash(): Promise<Hex> {
    return this.#stepper.commit(this.step)
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
    this.#stepper.dispose()
    for (const s of this.#state) this.be.release(s.p, s.m, s.v)
  }
}
