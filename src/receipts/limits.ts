// What a verifier will spend on a receipt it has not checked yet. A receipt is self-signed: anyone can
// write one, so every size in it is hostile until re-execution proves otherwise. The page and the CLI
// share these numbers (docs/security.md). Caps sit above what the app makes: `medium` (dModel 256, 6 layers,
// context 256, about 4.9M parameters) at batch 8 is about 7e10 FLOPs and 1.4e8 activation values per step;
// the largest preset, `large` (dModel 512, 8 layers, context 256, 25.5M parameters), at batch 8 is about
// 3.4e11 FLOPs and 2.7e8 activation values.
import type { TrainConfig } from '../train/trainer.ts'
import { ConfigLimitError } from '../errors/limits.ts'

export const TRAINING_LIMITS = {
  vocab: 65_536,
  seqLen: 2_048,
  dModel: 1_024,
  nLayer: 48,
  nHead: 64,
  batch: 512,
  /** The learning-rate schedule's length (the steps replayed are bounded by the receipt's own length). */
  steps: 10_000_000,
  /** Weights; the optimizer holds three more copies (gradient, m, v): 32M × 16 B = 512 MiB. */
  params: 32_000_000,
  /** Values the tape keeps for one step's backward pass (estimate below): 2^29 f32 = 2 GiB, 3.8× `medium` at batch 8. */
  activations: 2 ** 29,
  /** One training step, forward and backward (estimate below): about 7× `medium` at batch 8. */
  flopsPerStep: 5e11,
} as const

export const MODEL_FETCH_LIMITS = {
  /** The ONNX file: a `medium` GPT exports to about 20 MB. */
  maxBytes: 64 * 2 ** 20,
  /** From the request to the response's headers. */
  headersMs: 3_000,
  /** Longest wait for the next chunk of the body. */
  idleMs: 3_000,
  /** The whole download: bounds a server that trickles a byte just often enough to stay under idleMs. */
  totalMs: 30_000,
  /** Redirects followed, each hop checked like the first. */
  redirects: 5,
} as const

export type FetchLimits = Record<keyof typeof MODEL_FETCH_LIMITS, number>

/** What one step of `config` costs, from its sizes alone (nothing allocated). */
export function stepFootprint(config: TrainConfig): { params: number; activations: number; flops: number } {
  const { vocab, seqLen: t, dModel: d, nLayer: l, nHead: h } = config.model
  const b = config.batch
  const tokens = b * t
  const params = vocab * d + t * d + l * (12 * d * d + 13 * d) + 2 * d
  // Per layer the tape keeps about 20 values per token and channel (norms, qkv, MLP at 4d, residuals)
  // plus the attention scores and probabilities; then the logits and their softmax.
  const activations = l * (tokens * d * 20 + 3 * b * h * t * t) + 3 * tokens * vocab
  // 6 FLOPs per weight per token (forward 2, backward 4) and attention's two T×T products per layer.
  const flops = 6 * params * tokens + 12 * l * b * t * t * d
  return { params, activations, flops }
}

/**
 * Throws ConfigLimitError, naming the field, when `config` is above TRAINING_LIMITS. Call before
 * anything is allocated: a 1.3 KB receipt can otherwise ask for gigabytes (dModel 1024, 8 layers).
 */
export function checkTrainingLimits(config: TrainConfig): void {
  const m = config?.model
  if (typeof m !== 'object' || m === null) throw new ConfigLimitError('The training config has no model.')
  const fields = [
    ['vocab', m.vocab],
    ['seqLen', m.seqLen],
    ['dModel', m.dModel],
    ['nLayer', m.nLayer],
    ['nHead', m.nHead],
    ['batch', config.batch],
    ['steps', config.steps],
  ] as const
  for (const [name, v] of fields)
    if (!(Number.isSafeInteger(v) && v >= 1 && v <= TRAINING_LIMITS[name]))
      throw new ConfigLimitError(
        `The training config's ${name} is ${v}: this verifier takes 1 to ${TRAINING_LIMITS[name]}.`,
      )
  const cost = stepFootprint(config)
  for (const [name, what] of [
    ['params', 'parameters'],
    ['activations', 'activation values per step'],
    ['flopsPerStep', 'FLOPs per step'],
  ] as const) {
    const v = name === 'flopsPerStep' ? cost.flops : cost[name]
    if (v > TRAINING_LIMITS[name])
      throw new ConfigLimitError(
        `The training config needs ${v.toExponential(2)} ${what}: this verifier takes at most ${TRAINING_LIMITS[name].toExponential(2)}.`,
        { details: `model ${JSON.stringify(m)}, batch ${config.batch}` },
      )
  }
}

/**
 * What a verifier re-generates for a receipt at most. The model's cost is bounded separately, before
 * the first step, by the shape pass (src/generate/decoder.ts planGeneration, `operations` here): about
 * 2^36 operations is some minutes of the CPU reference at its slowest.
 */
export const GENERATION_LIMITS = {
  maxTokens: 4_096,
  /** The prompt, in UTF-8 bytes and in tokens. */
  promptBytes: 65_536,
  promptTokens: 8_192,
  stops: 16,
  /** One stop sequence, in UTF-16 code units. */
  stopLength: 256,
  stopTokenIds: 64,
  eosTokenIds: 16,
  operations: 2 ** 36,
} as const
