// A decoder-only ONNX model as the generation loop drives it: the input/output layout read from the
// graph (the Hugging Face optimum convention, docs/receipts.md "Generation receipts"), a KV cache carried
// from one step's present.* outputs to the next step's past_key_values.* inputs, and one forward pass
// per call on the CPU references or the GPU kernels (same bits). What does not fit the convention is
// refused by name before anything runs.
import { GenerationError } from '../errors/generate.ts'
import { InferenceBudgetError } from '../errors/infer.ts'
import type { Meta } from '../ops/onnx.ts'
import type { Model, Tensor } from '../infer/model.ts'
import { planModel, DEFAULT_LIMITS, type InferLimits } from '../infer/plan.ts'
import { runModel } from '../infer/run.ts'
import { ONNX_OPS, type OpSet } from '../ops/registry.ts'

/** The input that carries an additive causal mask (src/train/onnxDecoder.ts), when a graph declares it. */
export const ATTENTION_BIAS = 'attention_bias'

export interface DecoderLayout {
  /** Layers of KV cache (0: no cache; every step re-runs the whole sequence). */
  layers: number
  heads: number
  headDim: number
  hasMask: boolean
  hasPositions: boolean
  hasBias: boolean
  /** The longest sequence the model takes (learned positions), or null when it does not say. */
  context: number | null
}

/**
 * The prompt is fed in passes of at most this many tokens (part of the loop's definition: a graph whose
 * rows share arithmetic could give other bits in other passes). Lockstep's own decoder gives the same
 * bits in any passes; the cap bounds what one pass holds, e.g. its per-row copies of V.
 */
export const PREFILL_CHUNK = 16

/**
 * One forward pass: the model's inputs to its outputs, on whichever runtime (same bits), with the op
 * set of the kernel-library release the generation runs under (src/receipts/releases.ts).
 */
export type Runner = (
  model: Model,
  inputs: Map<string, Tensor>,
  limits: InferLimits,
  ops?: OpSet,
) => Promise<Map<string, Tensor>>

export const cpuRunner: Runner = async (model, inputs, limits, ops) =>
  runModel(model, inputs, limits, { ops })

const PAST = /^past_key_values\.(\d+)\.(key|value)$/

/** Reads the decoder layout from the graph's inputs and outputs; refuses, naming it, what does not fit. */
export function decoderLayout(model: Model): DecoderLayout {
  const refuse = (why: string): never => {
    throw new GenerationError(`This model is not a decoder this loop can drive: ${why}.`, {
      details:
        'Expected inputs input_ids [1, s] int64, attention_mask and position_ids (optional, int64), past_key_values.{i}.key/.value [1, heads, past, head_dim] float; outputs logits [1, s, vocab] and present.{i}.key/.value (docs/receipts.md).',
    })
  }
  const byName = new Map(model.inputs.map((i) => [i.name, i]))
  const ids = byName.get('input_ids')
  if (!ids) refuse('it has no input_ids input')
  if (ids!.type !== 'int64' || ids!.dims.length !== 2) refuse('input_ids must be int64 [batch, sequence]')
  if (typeof ids!.dims[1] === 'number' && ids!.dims[1] > 0)
    refuse(`input_ids has a fixed sequence length ${ids!.dims[1]}; a decoder takes any length`)
  const layers = new Set<number>()
  let heads = 0
  let headDim = 0
  for (const input of model.inputs) {
    const m = PAST.exec(input.name)
    if (m) {
      const [h, dh] = [input.dims[1], input.dims[3]]
      if (input.type !== 'float' || input.dims.length !== 4)
        refuse(`${input.name} must be float [batch, heads, past, head_dim]`)
      if (typeof h !== 'number' || typeof dh !== 'number' || h < 1 || dh < 1)
        refuse(`${input.name} must declare its heads and head_dim as numbers`)
      if ((heads && heads !== h) || (headDim && headDim !== dh))
        refuse(`${input.name} has [${input.dims}], unlike the other cache inputs`)
      heads = h as number
      headDim = dh as number
      layers.add(Number(m[1]))
      continue
    }
    const want = {
      input_ids: 'int64',
      attention_mask: 'int64',
      position_ids: 'int64',
      [ATTENTION_BIAS]: 'float',
    }[input.name]
    if (!want) refuse(`input ${input.name} is not part of the decoder contract`)
    if (input.type !== want) refuse(`${input.name} must be ${want}`)
  }
  const n = layers.size
  for (let l = 0; l < n; l++)
    for (const kv of ['key', 'value']) {
      if (!byName.has(`past_key_values.${l}.${kv}`)) refuse(`past_key_values.${l}.${kv} is missing`)
      if (!model.outputs.includes(`present.${l}.${kv}`)) refuse(`output present.${l}.${kv} is missing`)
    }
  if (!model.outputs.includes('logits')) refuse('it has no logits output')
  return {
    layers: n,
    heads,
    headDim,
    hasMask: byName.has('attention_mask'),
    hasPositions: byName.has('position_ids'),
    hasBias: byName.has(ATTENTION_BIAS),
    context: contextOf(model),
  }
}

/** Lockstep's own exports say their context (learned positions) in metadata; others are bounded by the budgets. */
function contextOf(model: Model): number | null {
  try {
    const seqLen = JSON.parse(model.metadata['lockstep.model'] ?? 'null')?.seqLen
    return Number.isSafeInteger(seqLen) && seqLen > 0 ? seqLen : null
  } catch {
    return null
  }
}

const int64 = (dims: number[], values: number[]): Tensor => ({
  type: 'int64',
  dims,
  data: BigInt64Array.from(values, BigInt),
})

/** The inputs of one step: `ids` new tokens after `past` cached ones (cache tensors, or Meta for planning). */
export function stepInputs(
  layout: DecoderLayout,
  ids: readonly number[],
  past: number,
  cache: ReadonlyMap<string, Tensor | Meta> | null,
): Map<string, Tensor> {
  const s = ids.length
  const total = past + s
  const inputs = new Map<string, Tensor>([['input_ids', int64([1, s], [...ids])]])
  if (layout.hasMask) inputs.set('attention_mask', int64([1, total], new Array(total).fill(1)))
  if (layout.hasPositions)
    inputs.set(
      'position_ids',
      int64(
        [1, s],
        ids.map((_, i) => past + i),
      ),
    )
  if (layout.hasBias) {
    const bias = new Float32Array(s * total)
    for (let i = 0; i < s; i++) for (let j = past + i + 1; j < total; j++) bias[i * total + j] = -Infinity
    inputs.set(ATTENTION_BIAS, { type: 'float', dims: [1, 1, s, total], data: bias })
  }
  for (let l = 0; l < layout.layers; l++)
    for (const kv of ['key', 'value']) {
      const name = `past_key_values.${l}.${kv}`
      const held = cache?.get(`present.${l}.${kv}`)
      const dims = [1, layout.heads, past, layout.headDim]
      if (held && held.dims.join() !== dims.join())
        throw new GenerationError(`The model's ${name} came back as [${held.dims}], expected [${dims}].`)
      inputs.set(name, (held ?? { type: 'float', dims, data: new Float32Array(0) }) as Tensor)
    }
  return inputs
}

/**
 * What a generation costs before it starts, from the shape pass (plan.ts) on the largest step: every
 * decode step is charged as the last one (the longest cache), each prefill pass likewise. Throws
 * InferenceBudgetError (by step) or GenerationError before any float is computed.
 */
export function planGeneration(
  model: Model,
  layout: DecoderLayout,
  promptTokens: number,
  maxTokens: number,
  limits: InferLimits = DEFAULT_LIMITS,
  totalOperations = 2 ** 36,
  ops: OpSet = ONNX_OPS,
): number {
  // Meta tensors (dims only) for the cache: planning allocates no float data.
  const meta = (past: number) => {
    const dims = [1, layout.heads, past, layout.headDim]
    const out = new Map<string, Meta>()
    for (let l = 0; l < layout.layers; l++)
      for (const kv of ['key', 'value']) out.set(`present.${l}.${kv}`, { type: 'float', dims })
    return out
  }
  const last = promptTokens + maxTokens - 1
  // The prefill's passes, each charged as the last one (the longest cache); a graph without a cache
  // takes the whole prompt at once.
  const chunk = layout.layers ? Math.min(PREFILL_CHUNK, promptTokens) : promptTokens
  const passes = Math.ceil(promptTokens / chunk)
  const start = layout.layers ? promptTokens - chunk : 0
  const prefill = planModel(
    model,
    stepInputs(layout, new Array(chunk).fill(0), start, meta(start)),
    limits,
    ops,
  )
  let operations = passes * prefill.operations
  if (maxTokens > 1) {
    const [ids, past] = layout.layers ? [[0], last - 1] : [new Array(last).fill(0), 0]
    const decode = planModel(model, stepInputs(layout, ids, past, meta(past)), limits, ops)
    operations += (maxTokens - 1) * decode.operations
  }
  if (operations > totalOperations)
    throw new InferenceBudgetError('generation', 'operations', 'graph', operations, totalOperations)
  return operations
}
