// Finding 5 of issue 15 (the ONNX part): a 1 KB graph of doubling Concats allocated gigabytes, a
// broadcast [N,1] + [1,N] 2 GB. Each hostile graph must now end in well under 5 s with a named error.
// Peak memory is measured where it means something, in a process of its own: src/cli/limits.test.ts runs
// the same graphs through `lockstep verify` (a test worker's maxRSS is that of every file it ran before).
import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { parseModel } from './model.ts'
import { runModel, toTensors } from './run.ts'
import { DEFAULT_LIMITS, planModel } from './plan.ts'
import { broadcastModel, doublingConcatModel, graphModel } from './testing.ts'
import { exportOnnx } from '../train/onnx.ts'
import { initParams, presets } from '../train/gpt.ts'
import { verifyInference } from '../receipts/inference.ts'
import { hostileInferenceReceipt } from '../receipts/testing.ts'

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')

/** Verifies the hostile receipt: the check that fails, and the time it took. */
async function verifyHostile(name: string, model: Uint8Array) {
  const r = await hostileInferenceReceipt(model, { c0: { dims: [1], data: [1] } }, account)
  const start = performance.now()
  const [check] = verifyInference(r, model)
  const ms = Math.round(performance.now() - start)
  console.log(`[budget] ${name} (${model.length} bytes): ${check.detail.slice(0, 140)} — ${ms} ms`)
  return { check, ms }
}

describe('element and operation budgets, checked before allocation', () => {
  it('refuses 26 and 28 doubling Concats (about 1 KB) by name, fast and small', async () => {
    for (const k of [26, 28]) {
      const { check, ms } = await verifyHostile(`${k} doubling Concats`, doublingConcatModel(k))
      expect(check).toMatchObject({ name: 're-execution', ok: false })
      expect(check.detail).toMatch(
        /InferenceBudgetError: Concat n2[0-9] needs \d+ elements; one node may use at most 16777216/,
      )
      expect(ms).toBeLessThan(5000)
    }
  }, 60_000)

  it('refuses the broadcast [32768,1] + [1,32768] before allocating it', async () => {
    const { check, ms } = await verifyHostile('broadcast [2^15,1] + [1,2^15]', broadcastModel(15))
    expect(check.detail).toMatch(/InferenceBudgetError: Add n17 needs 1073741824 elements/)
    expect(ms).toBeLessThan(5000)
  }, 60_000)

  it('refuses work beyond the operation budgets, per node and for the graph, before computing any', () => {
    // [2048,1]·[1,2048]: 4 Mi outputs, each a bq15 dot product: 2^22 · 320 operations > 2^30.
    const heavy = graphModel({
      nodes: [['MatMul', ['a', 'b'], ['y']]],
      inputs: { a: [2048, 1], b: [1, 2048] },
      outputs: ['y'],
    })
    const model = parseModel(heavy)
    const feeds = toTensors(model, {
      a: { dims: [2048, 1], data: new Array(2048).fill(1) },
      b: { dims: [1, 2048], data: new Array(2048).fill(1) },
    })
    expect(() => runModel(model, feeds)).toThrow(
      expect.objectContaining({ name: 'InferenceBudgetError', kind: 'operations', scope: 'node' }),
    )
    // Eight [1024,1]·[1,1024] products: each under the node budget, together over the graph's.
    const many = graphModel({
      nodes: Array.from(
        { length: 8 },
        (_, i) => ['MatMul', ['a', 'b'], [`y${i}`]] as [string, string[], string[]],
      ),
      inputs: { a: [1024, 1], b: [1, 1024] },
      outputs: ['y7'],
    })
    const m2 = parseModel(many)
    const f2 = toTensors(m2, {
      a: { dims: [1024, 1], data: new Array(1024).fill(1) },
      b: { dims: [1, 1024], data: new Array(1024).fill(1) },
    })
    const start = performance.now()
    expect(() => runModel(m2, f2)).toThrow(
      expect.objectContaining({ name: 'InferenceBudgetError', kind: 'operations', scope: 'graph' }),
    )
    expect(performance.now() - start).toBeLessThan(100) // refused by the shape pass: nothing was multiplied
  })

  it('leaves room for the GPT presets (demo, 16 rows; small, 2 rows)', () => {
    for (const [name, rows] of [
      ['demo', 16],
      ['small', 2],
    ] as const) {
      const cfg = presets[name]
      const model = parseModel(exportOnnx(cfg, initParams(cfg, 1)))
      const ids = { input_ids: { dims: [rows, cfg.seqLen], data: new Array(rows * cfg.seqLen).fill(65) } }
      const plan = planModel(model, toTensors(model, ids), DEFAULT_LIMITS)
      console.log(
        `[budget] GPT ${name}, ${rows} rows: ${plan.elements} elements, ${plan.operations} operations`,
      )
      expect(plan.elements).toBeLessThan(DEFAULT_LIMITS.graphElements / 2)
      expect(plan.operations).toBeLessThan(DEFAULT_LIMITS.graphOperations / 2)
    }
  })
})
