// GRPO's gradient against an independent float64 implementation on a tiny model, after an update has
// moved the policy (ratios ≠ 1, some clipped) and with the KL term on: the engine's gradient of
// Σ w·CE (binary32 weights, deterministic kernels) ≈ float64's, and float64's equals a central
// finite difference of the GRPO objective itself, written out plainly (min of the clipped and
// unclipped surrogate, the k3 KL estimator), with none of grpo.ts's code.
import { describe, expect, it } from 'vitest'
import { Tape } from '../train/autograd.ts'
import { cpuBackend } from '../train/cpu.ts'
import { f64Backend, type F64Tensor } from '../train/f64.ts'
import { gptLogits, paramSpecs } from '../train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { grpoBatch, grpoUpdate, tokenWeights } from './grpo.ts'
import type { ScoredGroup, Task } from './types.ts'

const model = { vocab: 256, seqLen: 10, dModel: 16, nLayer: 1, nHead: 2 }
const config = defaultTrainConfig(model, { lr: 0.03, warmup: 0 })
const params = { epsLow: 0.2, epsHigh: 0.28, beta: 0.1, iterations: 1 }
const tasks = new Map<string, Task>(
  ['\n1+2=', '\n4+4=', '\n9+0='].map((prompt, i) => [
    `add/1/${i}`,
    { id: `add/1/${i}`, family: 'add', level: 1, prompt, answer: '' },
  ]),
)
const bytes = (s: string) => Array.from(new TextEncoder().encode(s))
const groups: ScoredGroup[] = [
  ['add/1/0', ['3\n', '4\n', '33\n', '3'], [1000, 0, -200, 300]],
  ['add/1/1', ['8\n', '8\n', '16\n', '7\n'], [1000, 1000, 0, 0]],
  ['add/1/2', ['9\n', '90\n', '0\n', '9\n'], [1000, 0, 0, 1000]],
].map(([taskId, c, rewards]) => ({
  taskId: taskId as string,
  state: `0x${'0'.repeat(64)}`,
  completions: (c as string[]).map(bytes),
  rewards: rewards as number[],
}))

type Weights = ReadonlyMap<string, ArrayLike<number>>

/** float64 log p(target) at every position. */
async function logp64(w: Weights, inputs: Int32Array, targets: Int32Array): Promise<Float64Array> {
  const ps = new Map(
    paramSpecs(model).map((s) => [s.name, { data: Float64Array.from(w.get(s.name)!), shape: [...s.shape] }]),
  )
  const logits = (await gptLogits(new Tape(f64Backend), ps, model, inputs)) as F64Tensor
  const V = model.vocab
  return Float64Array.from(targets, (t, i) => {
    const row = logits.data.subarray(i * V, (i + 1) * V)
    const m = Math.max(...row)
    return row[t] - m - Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0))
  })
}

/** The GRPO objective's pieces in float64, straight from the definitions. */
function advantages64(rewards: number[]): number[] {
  const mean = rewards.reduce((a, b) => a + b) / rewards.length
  const std = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / rewards.length)
  return rewards.map((r) => (std === 0 ? 0 : (r - mean) / (std + 0.1)))
}

describe('the GRPO gradient against float64', () => {
  it('engine ≈ float64 gradient of Σ w·CE = −∇ of the GRPO objective (finite differences)', async () => {
    const trainer = Trainer.create(cpuBackend, config)
    const reference = Trainer.create(cpuBackend, { ...config, seed: 2 })
    const batch = grpoBatch(groups, tasks, model)
    const { inputs, targets, mask } = batch
    const old = await trainer.weights()
    const oldLosses = await trainer.rowLosses(inputs, targets)
    await grpoUpdate(trainer, groups, tasks, { ...params, iterations: 1 }, reference) // ratios move
    const now = await trainer.weights()
    const ref = await reference.weights()

    const N = batch.tokens
    const A = groups.flatMap((g) => advantages64(g.rewards).flatMap((a, i) => g.completions[i].map(() => a)))
    const at = [...mask.keys()].filter((t) => mask[t]) // completion positions, in order
    expect(at.length).toBe(N)
    const [lpOld, lpRef] = [await logp64(old, inputs, targets), await logp64(ref, inputs, targets)]

    // −J(θ): the objective, from log-probabilities at θ.
    const negJ = (lp: Float64Array) =>
      -at.reduce((sum, t, k) => {
        const ratio = Math.exp(lp[t] - lpOld[t])
        const surrogate = Math.min(ratio * A[k], Math.min(Math.max(ratio, 0.8), 1.28) * A[k])
        const d = lpRef[t] - lp[t]
        return sum + surrogate - params.beta * (Math.exp(d) - d - 1)
      }, 0) / N

    // The weights in float64: −∂(−J)/∂logp_t, by the chain rule.
    const lp = await logp64(now, inputs, targets)
    const w64 = new Float64Array(inputs.length)
    let clipped = 0
    at.forEach((t, k) => {
      const ratio = Math.exp(lp[t] - lpOld[t])
      // No ratio sits on a bound, where float32 and float64 could disagree.
      expect(Math.min(Math.abs(ratio - 0.8), Math.abs(ratio - 1.28))).toBeGreaterThan(1e-3)
      const off = (A[k] > 0 && ratio > 1.28) || (A[k] < 0 && ratio < 0.8)
      clipped += off ? 1 : 0
      w64[t] = ((off ? 0 : A[k] * ratio) - params.beta * (1 - Math.exp(lpRef[t] - lp[t]))) / N
    })
    expect(clipped).toBeGreaterThan(0) // the update moved some ratios past a bound
    expect(clipped).toBeLessThan(N) // measured: 12 of 26

    // The engine's weights from its own row losses, close to float64's.
    const w = tokenWeights(
      batch,
      await trainer.rowLosses(inputs, targets),
      oldLosses,
      params,
      await reference.rowLosses(inputs, targets),
    )
    const wMax = Math.max(...Array.from(w64, Math.abs))
    w64.forEach((v, t) => expect(Math.abs(w[t] - v), `w[${t}]`).toBeLessThan(wMax * 5e-3))

    // Gradients: the engine's (deterministic kernels, its weights) and float64's (its weights).
    const specs = paramSpecs(model)
    const gradOf = async <T>(be: typeof cpuBackend | typeof f64Backend, weights: Float32Array) => {
      const tape = new Tape(be as never) as Tape<T>
      const ps = new Map(
        specs.map((s) => [s.name, (be as typeof cpuBackend).upload(now.get(s.name)!, s.shape) as T]),
      )
      const loss = await tape.crossEntropyWeighted(await gptLogits(tape, ps, model, inputs), targets, weights)
      await tape.backward(loss, loss)
      return new Map(
        specs.map((s) => [
          s.name,
          (tape.grad(ps.get(s.name)!) as { data: Float64Array | Float32Array }).data,
        ]),
      )
    }
    const g32 = await gradOf(cpuBackend, w)
    const g64 = await gradOf(f64Backend, Float32Array.from(w64)) // f64 kernels read the weights as doubles
    let err = 0
    let norm = 0
    for (const s of specs)
      g64.get(s.name)!.forEach((v, j) => {
        err += (g32.get(s.name)![j] - v) ** 2
        norm += v ** 2
      })
    // bq15 matmuls keep ~15 significant bits per product: measured 2.3e-4.
    expect(Math.sqrt(err / norm)).toBeLessThan(2e-3)

    // float64's gradient is −∇J: central differences of the objective on its largest coordinates.
    for (const name of ['wte', 'h0.attn.wqkv', 'h0.mlp.w2', 'lnf.g']) {
      const g = Float64Array.from(g64.get(name)!)
      const j = g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]) ? i : best), 0)
      const moved = (h: number) => {
        const x = Float64Array.from(now.get(name)!)
        x[j] += h
        return new Map<string, ArrayLike<number>>(now).set(name, x)
      }
      const h = 1e-5
      const fd =
        (negJ(await logp64(moved(h), inputs, targets)) - negJ(await logp64(moved(-h), inputs, targets))) /
        (2 * h)
      expect(Math.abs(fd - g[j]), `${name}[${j}]: ${fd} vs ${g[j]}`).toBeLessThan(
        1e-4 * Math.abs(g[j]) + 1e-9,
      )
    }
  })
})
