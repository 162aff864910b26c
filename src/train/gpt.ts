// A decoder-only GPT (GPT-2 layout: pre-norm blocks, learned positions, tied input/output
// embedding, tanh-GELU MLP), written once against the Backend through the tape.
import { ShapeError } from '../errors/gpu.ts'
import { Tape } from './autograd.ts'
import { mulberry32 } from '../util/random.ts'

export interface GptConfig {
  vocab: number
  seqLen: number
  dModel: number
  nLayer: number
  nHead: number
}

/**
 * Sizes people pick from: `tiny` for tests, `demo` trains visibly in minutes on an integrated GPU.
 * `large` (25.5M parameters) is for a discrete GPU: at batch 4 a step holds 1.81 GiB of GPU
 * buffers (src/train/memory.ts, docs/training.md).
 */
export const presets = {
  tiny: { vocab: 256, seqLen: 16, dModel: 32, nLayer: 1, nHead: 2 },
  demo: { vocab: 256, seqLen: 64, dModel: 64, nLayer: 2, nHead: 4 },
  small: { vocab: 256, seqLen: 128, dModel: 128, nLayer: 4, nHead: 4 },
  medium: { vocab: 256, seqLen: 256, dModel: 256, nLayer: 6, nHead: 8 },
  large: { vocab: 256, seqLen: 256, dModel: 512, nLayer: 8, nHead: 8 },
} satisfies Record<string, GptConfig>

export type PresetName = keyof typeof presets

export interface ParamSpec {
  name: string
  shape: number[]
  init: 'normal' | 'zeros' | 'ones'
  /** Init standard deviation for 'normal'. */
  std?: number
  /** Whether AdamW's weight decay applies (matrices yes, biases and norms no). */
  decay: boolean
}

export function checkConfig(cfg: GptConfig): void {
  const bad = (why: string) => {
    throw new ShapeError(`Invalid model config: ${why}.`)
  }
  for (const k of ['vocab', 'seqLen', 'dModel', 'nLayer', 'nHead'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) bad(`${k} must be a positive integer (got ${cfg[k]})`)
  }
  if (cfg.dModel % cfg.nHead !== 0) bad(`dModel ${cfg.dModel} is not a multiple of nHead ${cfg.nHead}`)
  if (cfg.dModel * 4 > 65536 || cfg.vocab > 65536) bad('dimensions above 16384 are not supported')
}

/** Every parameter, in the canonical order used for hashing, checkpoints and the optimizer. */
export function paramSpecs(cfg: GptConfig): ParamSpec[] {
  checkConfig(cfg)
  const d = cfg.dModel
  const proj = 0.02 / Math.sqrt(2 * cfg.nLayer) // GPT-2: residual projections scaled by depth
  const specs: ParamSpec[] = [
    { name: 'wte', shape: [cfg.vocab, d], init: 'normal', std: 0.02, decay: true },
    { name: 'wpe', shape: [cfg.seqLen, d], init: 'normal', std: 0.01, decay: true },
  ]
  for (let l = 0; l < cfg.nLayer; l++) {
    const p = `h${l}.`
    specs.push(
      { name: p + 'ln1.g', shape: [d], init: 'ones', decay: false },
      { name: p + 'ln1.b', shape: [d], init: 'zeros', decay: false },
      { name: p + 'attn.wqkv', shape: [d, 3 * d], init: 'normal', std: 0.02, decay: true },
      { name: p + 'attn.bqkv', shape: [3 * d], init: 'zeros', decay: false },
      { name: p + 'attn.wo', shape: [d, d], init: 'normal', std: proj, decay: true },
      { name: p + 'attn.bo', shape: [d], init: 'zeros', decay: false },
      { name: p + 'ln2.g', shape: [d], init: 'ones', decay: false },
      { name: p + 'ln2.b', shape: [d], init: 'zeros', decay: false },
      { name: p + 'mlp.w1', shape: [d, 4 * d], init: 'normal', std: 0.02, decay: true },
      { name: p + 'mlp.b1', shape: [4 * d], init: 'zeros', decay: false },
      { name: p + 'mlp.w2', shape: [4 * d, d], init: 'normal', std: proj, decay: true },
      { name: p + 'mlp.b2', shape: [d], init: 'zeros', decay: false },
    )
  }
  specs.push(
    { name: 'lnf.g', shape: [d], init: 'ones', decay: false },
    { name: 'lnf.b', shape: [d], init: 'zeros', decay: false },
  )
  return specs
}

export function countParams(cfg: GptConfig): number {
  return paramSpecs(cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
}

/**
 * Initial weights from a seed. Gaussian-like values as a sum of four uniforms (Irwin–Hall), made with
 * IEEE double arithmetic and one Math.fround: exactly specified by ECMAScript, so every JS engine
 * draws the same bits (Math.log/cos, as in Box–Muller, are not).
 */
export function initParams(cfg: GptConfig, seed: number): Map<string, Float32Array> {
  const next = mulberry32(seed)
  const out = new Map<string, Float32Array>()
  for (const spec of paramSpecs(cfg)) {
    const n = spec.shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    if (spec.init === 'ones') data.fill(1)
    else if (spec.init === 'normal') {
      const k = Math.sqrt(3) * (spec.std ?? 0.02) // Irwin–Hall(4) has variance 1/3
      for (let i = 0; i < n; i++) data[i] = ((next() + next() + next() + next()) / 2 ** 32 - 2) * k
    }
    out.set(spec.name, data)
  }
  return out
}

/** The forward pass to logits [batch * seqLen, vocab] for [batch, seqLen] token ids. */
export async function gptLogits<T>(
  tape: Tape<T>,
  params: ReadonlyMap<string, T>,
  cfg: GptConfig,
  inputs: Int32Array,
): Promise<T> {
  const T = cfg.seqLen
  const B = inputs.length / T
  if (!Number.isInteger(B) || B < 1)
    throw new ShapeError(`A batch must be [batch, ${T}] token ids; got ${inputs.length}.`)
  const p = (name: string) => {
    const t = params.get(name)
    if (!t) throw new ShapeError(`Missing parameter ${name}.`)
    return t
  }
  const positions = Int32Array.from({ length: B * T }, (_, i) => i % T)
  let x = await tape.add(await tape.embedding(p('wte'), inputs), await tape.embedding(p('wpe'), positions))
  for (let l = 0; l < cfg.nLayer; l++) {
    const h = `h${l}.`
    // Biases, residual adds and the attention scale ride in the matmuls' epilogues (tape.linear,
    // tape.scaledMatmul): the bits of separate adds, without their dispatches.
    const a1 = await tape.layernorm(x, p(h + 'ln1.g'), p(h + 'ln1.b'))
    x = await attention(tape, a1, x, cfg, B, (n) => p(h + n))
    const m1 = await tape.layernorm(x, p(h + 'ln2.g'), p(h + 'ln2.b'))
    const m2 = await tape.gelu(await tape.linear(m1, p(h + 'mlp.w1'), p(h + 'mlp.b1')))
    x = await tape.linear(m2, p(h + 'mlp.w2'), p(h + 'mlp.b2'), x)
  }
  const hf = await tape.layernorm(x, p('lnf.g'), p('lnf.b'))
  return tape.matmul(hf, p('wte'), { transB: true }) // tied output embedding
}

/**
 * The forward pass to the mean loss on one batch ([batch, seqLen] inputs and targets), recorded
 * on `tape` so that tape.backward() fills the gradient of every parameter.
 */
export async function gptLoss<T>(
  tape: Tape<T>,
  params: ReadonlyMap<string, T>,
  cfg: GptConfig,
  inputs: Int32Array,
  targets: Int32Array,
): Promise<{ loss: T; logits: T }> {
  if (targets.length !== inputs.length) {
    throw new ShapeError(`Expected as many targets as inputs; got ${targets.length} and ${inputs.length}.`)
  }
  const logits = await gptLogits(tape, params, cfg, inputs)
  return { loss: await tape.crossEntropy(logits, targets), logits }
}

/** residual + causal multi-head self-attention on x [B*T, d]. */
async function attention<T>(
  tape: Tape<T>,
  x: T,
  residual: T,
  cfg: GptConfig,
  B: number,
  p: (n: string) => T,
): Promise<T> {
  const { seqLen: T, dModel: d, nHead: H } = cfg
  const Dh = d / H
  const qkv = await tape.linear(x, p('attn.wqkv'), p('attn.bqkv')) // [B*T, 3d]
  // [B, T, 3, H, Dh] → [3, B, H, T, Dh]: q, k, v as [B*H, T, Dh] batches.
  const heads = await tape.permute(tape.view(qkv, [B, T, 3, H, Dh]), [2, 0, 3, 1, 4])
  const [q, k, v] = (await tape.split(tape.view(heads, [3 * B * H, T, Dh]), 3)).map((t) =>
    tape.view(t, [B * H, T, Dh]),
  )
  const scores = await tape.scaledMatmul(q, k, 1 / Math.sqrt(Dh), { transB: true })
  const att = tape.view(await tape.softmaxCausal(tape.view(scores, [B * H * T, T])), [B * H, T, T])
  const y = await tape.matmul(att, v) // [B*H, T, Dh]
  const merged = tape.view(await tape.permute(tape.view(y, [B, H, T, Dh]), [0, 2, 1, 3]), [B * T, d])
  return tape.linear(merged, p('attn.wo'), p('attn.bo'), residual)
}

/** The largest tensors one training step of `cfg` at `batch` rows allocates, in bytes. */
export function largestTensors(cfg: GptConfig, batch: number): { name: string; bytes: number }[] {
  const tokens = batch * cfg.seqLen
  return [
    { name: 'attention scores [batch·heads·T, T]', bytes: batch * cfg.nHead * cfg.seqLen * cfg.seqLen * 4 },
    { name: 'logits [batch·T, vocab]', bytes: tokens * cfg.vocab * 4 },
    { name: 'MLP activations [batch·T, 4·d]', bytes: tokens * 4 * cfg.dModel * 4 },
    { name: 'the largest weight', bytes: Math.max(cfg.vocab, 4 * cfg.dModel) * cfg.dModel * 4 },
  ].sort((a, b) => b.bytes - a.bytes)
}
