// GRPO's host math: advantages (hand cases), the batch of prompt + completion rows, the token weights
// with both clip bounds and the KL term, and the update loop over iterations (a recording trainer),
// then the real thing on a tiny model: the same state hashes twice.
import { describe, expect, it } from 'vitest'
import { ConfigError, GrpoError, NonFiniteError } from '../errors/train.ts'
import { cpuBackend } from '../train/cpu.ts'
import { Trainer, defaultTrainConfig, type StepResult, type WeightedBatch } from '../train/trainer.ts'
import { ADVANTAGE_EPS, advantages, grpoBatch, grpoUpdate, tokenWeights, type GrpoTrainer } from './grpo.ts'
import { END_TOKEN, type ScoredGroup, type Task } from './types.ts'

const params = { epsLow: 0.2, epsHigh: 0.28, beta: 0, iterations: 1 }
const task = (id: string, prompt: string, answer: string): Task => ({
  id,
  family: 'add',
  level: 1,
  prompt,
  answer,
})
const tasks = new Map([
  ['add/1/1', task('add/1/1', '\n1+2=', '3')],
  ['add/1/2', task('add/1/2', '\n4+4=', '8')],
])
const bytes = (s: string) => Array.from(new TextEncoder().encode(s))
const group = (taskId: string, completions: string[], rewards: number[]): ScoredGroup => ({
  taskId,
  state: `0x${'0'.repeat(64)}`,
  completions: completions.map(bytes),
  rewards,
})

describe('advantages', () => {
  it('all-equal rewards give zeros; a shift of every reward changes nothing', () => {
    expect(advantages([0, 0, 0, 0])).toEqual([0, 0, 0, 0])
    expect(advantages([-200, -200])).toEqual([0, 0])
    expect(advantages([7])).toEqual([0])
    expect(advantages([1000, 0, 0, 500])).toEqual(advantages([1200, 200, 200, 700]))
  })

  it('(r − mean) / (population std + 0.1), rounded as binary32 step by step', () => {
    // mean 500, std 500: ±500 / 500.1, one rounding of the sum and one of the quotient.
    const a = Math.fround(500 / Math.fround(500 + ADVANTAGE_EPS))
    expect(advantages([1000, 0])).toEqual([a, -a])
    // mean 250, variance 187500: against float64.
    const got = advantages([1000, 0, 0, 0])
    const std = Math.sqrt(187500) + 0.1
    ;[750 / std, -250 / std, -250 / std, -250 / std].forEach((v, i) =>
      expect(Math.abs(got[i] - v)).toBeLessThan(Math.abs(v) * 2 ** -21),
    )
    expect(got.every((v) => v === Math.fround(v))).toBe(true)
  })

  it('refuses rewards that are not integers, too large, or too many', () => {
    expect(() => advantages([1, 0.5])).toThrow(GrpoError)
    expect(() => advantages([1, 2e6])).toThrow(/at most 1000000/)
    expect(() => advantages([])).toThrow(/1 to 64/)
    expect(() => advantages(new Array(65).fill(0))).toThrow(GrpoError)
  })
})

describe('grpoBatch', () => {
  const model = { seqLen: 8, vocab: 256 }

  it('rows of prompt + completion, targets shifted, weight on the completion and its END_TOKEN', () => {
    const b = grpoBatch([group('add/1/1', ['3\n', '12'], [1000, 0])], tasks, model)
    const E = END_TOKEN
    expect([...b.inputs.subarray(0, 8)]).toEqual([...bytes('\n1+2=3\n'), E])
    expect([...b.targets.subarray(0, 8)]).toEqual([...bytes('1+2=3\n'), E, E])
    expect([...b.mask.subarray(0, 8)]).toEqual([0, 0, 0, 0, 1, 1, 0, 0])
    // A completion cut short (no END_TOKEN) weighs only its own tokens.
    expect([...b.inputs.subarray(8)]).toEqual([...bytes('\n1+2=12'), E])
    expect([...b.mask.subarray(8)]).toEqual([0, 0, 0, 0, 1, 1, 0, 0])
    expect(b.tokens).toBe(4)
    const [a, na] = advantages([1000, 0])
    expect([...b.advantage.subarray(4, 6), ...b.advantage.subarray(12, 14)]).toEqual([a, a, na, na])
    expect(b.advantage.filter((v, i) => !b.mask[i] && v !== 0).length).toBe(0)
  })

  it('a completion may fill the row and one more token (a target only); longer is refused', () => {
    const full = grpoBatch([group('add/1/1', ['3456'], [0])], tasks, model) // 5 + 4 = seqLen + 1
    expect([...full.inputs]).toEqual(bytes('\n1+2=345'))
    expect([...full.targets]).toEqual(bytes('1+2=3456'))
    expect([...full.mask]).toEqual([0, 0, 0, 0, 1, 1, 1, 1])
    expect(() => grpoBatch([group('add/1/1', ['34567'], [0])], tasks, model)).toThrow(/does not fit/)
  })

  it('refuses unknown tasks, mismatched rewards, bad tokens and malformed groups by name', () => {
    expect(() => grpoBatch([group('add/1/9', ['3'], [0])], tasks, model)).toThrow(/No task "add\/1\/9"/)
    expect(() => grpoBatch([group('add/1/1', ['3', '4'], [0])], tasks, model)).toThrow(GrpoError)
    const bad = { ...group('add/1/1', ['3'], [0]), completions: [[300]] }
    expect(() => grpoBatch([bad], tasks, model)).toThrow(/token 300/)
    expect(() => grpoBatch([{ ...bad, completions: 'x' as never }], tasks, model)).toThrow(GrpoError)
    const lookup = (id: string) => {
      throw new GrpoError(`bad id ${id}`)
    }
    expect(() => grpoBatch([group('nope', ['3'], [0])], lookup, model)).toThrow(/bad id nope/)
  })
})

describe('tokenWeights', () => {
  // Six completion positions: A = +1 three times, −1 three times; two off-completion positions.
  const batch = {
    inputs: new Int32Array(8),
    targets: new Int32Array(8),
    advantage: Float32Array.of(1, 1, 1, -1, -1, -1, 0, 0),
    mask: Uint8Array.of(1, 1, 1, 1, 1, 1, 0, 0),
    tokens: 6,
  }
  const old = new Float32Array(8).fill(2)
  // ratio = exp(old − now): A > 0 at e^0.3 ≈ 1.35 (> 1.28), e^0.2 ≈ 1.22, e^−0.5; A < 0 at e^−0.2 ≈ 0.82,
  // e^−0.3 ≈ 0.74 (< 0.8), e^0.5.
  const now = Float32Array.from([0.3, 0.2, -0.5, -0.2, -0.3, 0.5, 9, 9], (d) => Math.fround(2 - d))

  it('iteration 1 (same forward): ratio exactly 1, w = A / N', () => {
    expect([...tokenWeights(batch, old, old, params)]).toEqual(
      [1, 1, 1, -1, -1, -1, 0, 0].map((a) => Math.fround(a / 6)),
    )
  })

  it('clips A > 0 above 1 + epsHigh and A < 0 below 1 − epsLow, nothing else', () => {
    const w = tokenWeights(batch, now, old, params)
    const ratio = (i: number) => Math.exp(old[i] - now[i])
    expect(w[0]).toBe(0) // A > 0, ratio 1.35
    expect(w[4]).toBe(0) // A < 0, ratio 0.74
    for (const i of [1, 2, 3, 5]) {
      const want = (batch.advantage[i] * ratio(i)) / 6
      expect(Math.abs(w[i] - want), `${i}`).toBeLessThan(Math.abs(want) * 2 ** -20)
    }
    expect([w[6], w[7]]).toEqual([0, 0])
    // Wider bounds let both through.
    const wide = tokenWeights(batch, now, old, { ...params, epsLow: 0.3, epsHigh: 0.4 })
    expect(wide[0]).toBeGreaterThan(0)
    expect(wide[4]).toBeLessThan(0)
  })

  it('adds −β(1 − exp(logp_ref − logp)) / N; needs the reference when β > 0', () => {
    const ref = Float32Array.from(now, (v, i) => v + (i % 2 ? 0.25 : -0.25))
    const beta = 0.04
    const w = tokenWeights(batch, now, old, { ...params, beta }, ref)
    const plain = tokenWeights(batch, now, old, params)
    for (let i = 0; i < 6; i++) {
      const kl = beta * (1 - Math.exp(now[i] - ref[i]))
      const want = plain[i] - kl / 6
      expect(Math.abs(w[i] - want), `${i}`).toBeLessThan(1e-6)
    }
    expect([w[6], w[7]]).toEqual([0, 0])
    expect(() => tokenWeights(batch, now, old, { ...params, beta })).toThrow(ConfigError)
  })
})

/** A trainer that records what GRPO asks of it and answers with scripted losses. */
function recorder(script: Float32Array[]): GrpoTrainer & { seen: WeightedBatch[] } {
  const seen: WeightedBatch[] = []
  let calls = 0
  return {
    config: defaultTrainConfig({ vocab: 256, seqLen: 8, dModel: 8, nLayer: 1, nHead: 1 }),
    seen,
    rowLosses: async () => script[Math.min(calls++, script.length - 1)],
    trainOn: async (b): Promise<StepResult> => {
      seen.push(b)
      return { step: seen.length, loss: 0, gradNorm: 0, lr: 0, stateHash: '0x' }
    },
  }
}

describe('grpoUpdate (the loop)', () => {
  const groups = [group('add/1/1', ['3\n', '4\n'], [1000, 0])]
  // Positions 4, 5 (A > 0) and 12, 13 (A < 0) carry weight.
  const old = new Float32Array(16).fill(1)
  const moved = Float32Array.from(old, (v, i) => (i === 4 ? v - 0.4 : i === 13 ? v + 0.4 : v))

  it('one step per iteration; iteration 2 clips by the ratio to the first forward (both bounds)', async () => {
    const t = recorder([old, moved, moved])
    const steps = await grpoUpdate(t, groups, tasks, { ...params, iterations: 3 })
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3])
    const [first, second] = t.seen.map((b) => b.weights)
    const [a] = advantages([1000, 0])
    expect([first[4], first[5], first[12], first[13]]).toEqual([a, a, -a, -a].map((v) => Math.fround(v / 4)))
    expect(second[4]).toBe(0) // A > 0, ratio e^0.4 > 1.28
    expect(second[13]).toBe(0) // A < 0, ratio e^−0.4 < 0.8
    expect([second[5], second[12]]).toEqual([first[5], first[12]]) // ratio 1
    expect(t.seen[0].inputs).toBe(t.seen[1].inputs) // the same rows each time
  })

  it('iterations 1 without KL: no forward pass for the losses, the same weights A / N', async () => {
    let asked = 0
    const t = recorder([old])
    const counting = { ...t, rowLosses: async () => (asked++, old) }
    await grpoUpdate(counting, groups, tasks, params)
    expect(asked).toBe(0)
    const batch = grpoBatch(groups, tasks, t.config.model)
    expect(t.seen[0].weights).toEqual(tokenWeights(batch, old, old, params))
  })

  it('refuses β > 0 without a reference, a non-finite weight, bad params; no tokens, no step', async () => {
    await expect(grpoUpdate(recorder([old]), groups, tasks, { ...params, beta: 0.1 })).rejects.toThrow(
      ConfigError,
    )
    // A < 0 and a ratio that overflows: the weight is −Inf, so the step is refused before training.
    const blown = Float32Array.from(old, (v, i) => (i === 12 ? -200 : v))
    const t = recorder([old, blown])
    await expect(grpoUpdate(t, groups, tasks, { ...params, iterations: 2 })).rejects.toThrow(NonFiniteError)
    expect(t.seen.length).toBe(1)
    for (const bad of [{ epsLow: 1 }, { epsHigh: -1 }, { beta: NaN }, { iterations: 0 }, { iterations: 1.5 }])
      await expect(grpoUpdate(recorder([old]), groups, tasks, { ...params, ...bad })).rejects.toThrow(
        ConfigError,
      )
    expect(await grpoUpdate(recorder([old]), [], tasks, params)).toEqual([])
  })
})

describe('grpoUpdate on a tiny model', () => {
  it('is deterministic: the same groups give the same state hashes twice', async () => {
    const config = defaultTrainConfig(
      { vocab: 256, seqLen: 10, dModel: 16, nLayer: 1, nHead: 2 },
      { lr: 1e-2 },
    )
    const groups = [
      group('add/1/1', ['3\n', '4\n', '33\n'], [1000, 0, -200]),
      group('add/1/2', ['8\n', '8\n', '16\n'], [1000, 1000, 0]),
    ]
    const run = async () => {
      const trainer = Trainer.create(cpuBackend, config)
      const steps = await grpoUpdate(trainer, groups, tasks, { ...params, iterations: 2 })
      return steps.map((s) => s.stateHash)
    }
    const a = await run()
    expect(a.length).toBe(2)
    expect(new Set(a).size).toBe(2)
    expect(await run()).toEqual(a)
  })
})
