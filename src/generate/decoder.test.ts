import { describe, expect, it } from 'vitest'
import ort from 'onnxruntime-node'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { exportDecoderOnnx } from '../train/onnxDecoder.ts'
import { parseModel, type Tensor } from '../infer/model.ts'
import { runModel } from '../infer/run.ts'
import { decoderLayout, planGeneration, stepInputs } from './decoder.ts'

const cfg: GptConfig = { vocab: 256, seqLen: 32, dModel: 16, nLayer: 2, nHead: 2 }
const bytes = exportDecoderOnnx(cfg, initParams(cfg, 3))
const model = parseModel(bytes)
const layout = decoderLayout(model)
const ids = Array.from('In the beginning God created', (c) => c.charCodeAt(0))
const lastRow = (out: Map<string, Tensor>) => (out.get('logits')!.data as Float32Array).slice(-cfg.vocab)

describe('the KV-cache decoder export', () => {
  it('reads as a decoder: 2 layers of cache, 2 heads of 8, mask, positions and the causal bias', () => {
    expect(layout).toEqual({
      layers: 2,
      heads: 2,
      headDim: 8,
      hasMask: true,
      hasPositions: true,
      hasBias: true,
      context: 32,
    })
  })

  it('prefill then cached decode gives the logits of re-running the whole prefix, bit for bit', () => {
    const prompt = 5
    let cache: Map<string, Tensor> | null = null
    let past = 0
    let compared = 0
    for (let t = prompt; t <= ids.length; t++) {
      const feed = past === 0 ? ids.slice(0, prompt) : [ids[t - 1]]
      const out = runModel(model, stepInputs(layout, feed, past, cache))
      expect(out.get('present.1.value')!.dims).toEqual([1, 2, t, 8])
      cache = out
      past += feed.length
      const uncached = runModel(model, stepInputs(layout, ids.slice(0, t), 0, null))
      expect(new Uint32Array(lastRow(out).buffer)).toEqual(new Uint32Array(lastRow(uncached).buffer))
      compared++
    }
    expect(compared).toBe(ids.length - prompt + 1)
  })

  it('gives the same bits whatever passes the prompt is fed in (so prefill passes bound memory)', () => {
    const ids = Array.from({ length: 30 }, (_, i) => 65 + ((i * 7) % 26))
    const once = runModel(model, stepInputs(layout, ids, 0, null))
    let cache: Map<string, Tensor> | null = null
    let past = 0
    for (const n of [11, 1, 18]) {
      cache = runModel(model, stepInputs(layout, ids.slice(past, past + n), past, cache))
      past += n
    }
    expect(new Uint32Array(lastRow(cache!).buffer)).toEqual(new Uint32Array(lastRow(once).buffer))
    for (const kv of ['present.1.key', 'present.1.value'])
      expect(new Uint32Array((cache!.get(kv)!.data as Float32Array).buffer)).toEqual(
        new Uint32Array((once.get(kv)!.data as Float32Array).buffer),
      )
  })

  it('matches onnxruntime-node through prefill and a decode step, within the bq15 matmul rounding', async () => {
    const session = await ort.InferenceSession.create(bytes)
    const feeds = (inputs: Map<string, Tensor>) =>
      Object.fromEntries(
        [...inputs].map(([name, t]) => [
          name,
          new ort.Tensor(t.type === 'int64' ? 'int64' : 'float32', t.data, t.dims),
        ]),
      )
    const prefill = stepInputs(layout, ids.slice(0, 6), 0, null)
    const ours = runModel(model, prefill)
    const theirs = await session.run(feeds(prefill))
    const asMap = (o: typeof theirs) =>
      new Map(
        Object.entries(o).map(([k, v]) => [k, { type: 'float', dims: [...v.dims], data: v.data } as Tensor]),
      )
    const decode = stepInputs(layout, [ids[6]], 6, ours)
    const ours2 = runModel(model, decode)
    const theirs2 = await session.run(feeds(stepInputs(layout, [ids[6]], 6, asMap(theirs))))
    for (const [a, b] of [
      [ours.get('logits')!.data, theirs.logits.data],
      [ours2.get('logits')!.data, theirs2.logits.data],
      [ours2.get('present.1.key')!.data, theirs2['present.1.key'].data],
    ] as [Float32Array, Float32Array][]) {
      expect(a.length).toBe(b.length)
      let worst = 0
      let scale = 0
      a.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - b[i]))
        scale = Math.max(scale, Math.abs(v))
      })
      // ORT computes in plain f32; ours carries the bq15 matmul rounding (~2^-14 relative), as exportOnnx.
      console.log(`decoder vs onnxruntime-node: worst |Δ| / max = ${(worst / scale).toExponential(2)}`)
      expect(worst / scale).toBeLessThan(2e-3)
      expect(worst).toBeGreaterThan(0) // different arithmetic: equal bits would mean nothing was compared
    }
  })

  it('refuses what is not a decoder, naming why', () => {
    const fixed = parseModel(exportOnnx({ ...cfg, seqLen: 8 }, initParams({ ...cfg, seqLen: 8 }, 1)))
    expect(() => decoderLayout(fixed)).toThrow(/input_ids has a fixed sequence length 8/)
    const noPresent = { ...model, outputs: model.outputs.filter((o) => o !== 'present.1.value') }
    expect(() => decoderLayout(noPresent)).toThrow(/output present.1.value is missing/)
    const extra = {
      ...model,
      inputs: [...model.inputs, { name: 'use_cache_branch', type: 'int64' as const, dims: [1] }],
    }
    expect(() => decoderLayout(extra)).toThrow(/input use_cache_branch is not part of the decoder contract/)
  })

  it('charges a whole generation before it starts, and refuses one over the budget by name', () => {
    const ops = planGeneration(model, layout, 5, 20)
    expect(ops).toBeGreaterThan(0)
    expect(() => planGeneration(model, layout, 5, 20, undefined, ops - 1)).toThrow(
      /generation would bring the graph to \d+ operations/,
    )
  })
})
