// Inference receipts over the exporters' graphs: a GPT-2 decode step whose inputs carry the KV cache
// (past_key_values.* from a prefill) re-executes bit for bit, a present.* value changed is named, and a
// graph with a bool output hashes and verifies with dtype bool.
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { GraphBuilder } from '../infer/graphs/builder.ts'
import { GPT2_TINY, gpt2Decoder } from '../infer/graphs/gpt2.ts'
import type { HostInput } from '../infer/json.ts'
import { createInferenceReceipt, infer, validateInferenceReceipt, verifyInference } from './inference.ts'

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }
const options = { uri: 'https://example.invalid/model.onnx', account, target }

describe('inference receipts on decoder and bool graphs', () => {
  it('a GPT-2 decode step on a KV cache: re-executed bit for bit, a changed present value named', async () => {
    const model = gpt2Decoder()
    const { nLayer, nHead, dModel } = GPT2_TINY
    const cache = (past: number, from?: Record<string, { dims: number[]; data: unknown[] }>) =>
      Object.fromEntries(
        Array.from({ length: nLayer }, (_, l) =>
          ['key', 'value'].map((kv): [string, HostInput] => {
            const t = from?.[`present.${l}.${kv}`]
            return [
              `past_key_values.${l}.${kv}`,
              t
                ? { dims: t.dims, data: t.data as number[] }
                : { dims: [1, nHead, past, dModel / nHead], data: [] },
            ]
          }),
        ).flat(),
      )
    const prefill = infer(model, {
      input_ids: { dims: [1, 3], data: [3, 7, 11] },
      attention_mask: { dims: [1, 3], data: [1, 1, 1] },
      position_ids: { dims: [1, 3], data: [0, 1, 2] },
      ...cache(0),
    })
    const step = {
      input_ids: { dims: [1, 1], data: [9] },
      attention_mask: { dims: [1, 4], data: [1, 1, 1, 1] },
      position_ids: { dims: [1, 1], data: [3] },
      ...cache(3, prefill.outputs),
    }
    const r = await createInferenceReceipt(model, step, options)
    expect(r.body.outputs['present.0.key'].dims).toEqual([1, nHead, 4, dModel / nHead])
    expect((await validateInferenceReceipt(r)).filter((c) => !c.ok)).toEqual([])
    expect(verifyInference(r, model)).toEqual([expect.objectContaining({ ok: true })])

    const lied = structuredClone(r)
    const v = lied.body.outputs['present.1.value'].data as number[]
    v[0] = Math.fround(v[0] + 1)
    expect((await validateInferenceReceipt(lied)).filter((c) => !c.ok).map((c) => c.name)).toContain(
      'output hash',
    )
  })

  it('a bool output: dtype bool in the receipt, verified by re-execution', async () => {
    const b = new GraphBuilder(1)
    b.input('x', 'float', [4])
    b.ops('Greater', ['x', b.floats([0])], {}, ['positive'])
    b.output('positive', 'bool')
    const model = b.encode('bool', 17)
    const r = await createInferenceReceipt(model, { x: { dims: [4], data: [1, -1, 0, 2] } }, options)
    expect(r.body.outputs.positive).toEqual({ dtype: 'bool', dims: [4], data: [1, 0, 0, 1] })
    expect(verifyInference(r, model)).toEqual([expect.objectContaining({ ok: true })])
  })
})
