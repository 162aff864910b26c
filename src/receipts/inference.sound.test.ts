// Findings 8, 10 and 11 of issue 15, each a receipt that an honest verifier judged wrongly: an honest
// −0 rejected, a lie in the outputs accepted, an `infer` receipt its own `verify` rejects.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import {
  createInferenceReceipt,
  validateInferenceReceipt,
  verifyInference,
  type InferenceReceipt,
} from './inference.ts'
import { hashJson, signBody } from './training.ts'
import { graphModel } from '../infer/testing.ts'
import { lockstep } from '../cli/testing.ts'

const key = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const
const account = privateKeyToAccount(key)
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }
const options = { uri: 'https://example.invalid/m.onnx', account, target }
const failed = async (r: unknown, model?: Uint8Array) => [
  ...(await validateInferenceReceipt(r)).filter((c) => !c.ok).map((c) => c.name),
  ...(model
    ? verifyInference(r as InferenceReceipt, model)
        .filter((c) => !c.ok)
        .map((c) => c.name)
    : []),
]
/** What a receipt file holds: the JSON text, read back. */
const roundTrip = <T>(r: T): T => JSON.parse(JSON.stringify(r))
/** The liar's move: change the body, then hash and sign it honestly with its own key. */
async function resign(r: InferenceReceipt, change: (b: InferenceReceipt['body']) => void) {
  const body = structuredClone(r.body)
  change(body)
  return { ...r, body, ...(await signBody(r.kind, body, account, target)) }
}

describe('−0 (finding 8)', () => {
  it('an honest output of −0 verifies after its JSON round trip', async () => {
    const model = graphModel({ nodes: [['Neg', ['x'], ['y']]], inputs: { x: [2] }, outputs: ['y'] })
    const r = roundTrip(await createInferenceReceipt(model, { x: { dims: [2], data: [0, 1] } }, options))
    expect(await failed(r, model)).toEqual([])
  })

  it('an input of −0 is computed as the +0 its JSON says (1 / x)', async () => {
    const model = graphModel({
      nodes: [['Div', ['one', 'x'], ['y']]],
      inputs: { x: [1] },
      outputs: ['y'],
      floats: { one: { dims: [1], data: [1] } },
    })
    const r = roundTrip(await createInferenceReceipt(model, { x: { dims: [1], data: [-0] } }, options))
    expect(r.body.outputs.y.data).toEqual(['Infinity'])
    expect(await failed(r, model)).toEqual([])
  })
})

describe('an injective output hash (finding 10)', () => {
  const pair = graphModel({
    nodes: [
      ['Identity', ['x'], ['a']],
      ['Identity', ['z'], ['b']],
    ],
    inputs: { x: [], z: [] },
    outputs: ['a', 'b'],
  })
  // 0x41414141 as f32: its bytes are the UTF-8 of "AAAA", so they can pass for part of a name.
  const x = new Float32Array(new Uint8Array([0x41, 0x41, 0x41, 0x41]).buffer)[0]

  it('refuses dims that are strings (["1","4"] hashed like [1,4])', async () => {
    const model = graphModel({ nodes: [['Relu', ['x'], ['y']]], inputs: { x: [1, 4] }, outputs: ['y'] })
    const r = await createInferenceReceipt(model, { x: { dims: [1, 4], data: [1, -2, 3, -4] } }, options)
    const lie = await resign(r, (b) => (b.outputs.y.dims = ['1', '4'] as never))
    expect(await failed(lie)).toEqual(['structure'])
  })

  it('a claimed output whose name swallows the next output does not borrow the honest hash', async () => {
    const r = await createInferenceReceipt(
      pair,
      { x: { dims: [], data: [x] }, z: { dims: [], data: [1] } },
      options,
    )
    expect(await failed(r, pair)).toEqual([])
    // Version 1 hashed utf8(name) ‖ 0 ‖ rank ‖ dims ‖ values: "a" = x, "b" = 1 and one output named
    // "a\0\0\0\0\0AAAAb" = 1 were the same bytes. The liar claims the latter and keeps the hash.
    const lie = await resign(r, (b) => {
      b.outputs = { 'a\0\0\0\0\0AAAAb': { dtype: 'float32', dims: [], data: [1] } }
    })
    expect(await failed(lie, pair)).toContain('output hash')
  })

  it('int64 outputs are hashed as int64, not rounded to f32 (16777217 is not 16777216)', async () => {
    const model = graphModel({
      nodes: [['Gather', ['v', 'i'], ['y']]],
      inputs: {},
      outputs: ['y'],
      ints: { v: [16777217], i: [0] },
    })
    const r = await createInferenceReceipt(model, {}, options)
    expect(r.body.outputs.y.data).toEqual([16777217])
    const lie = await resign(r, (b) => (b.outputs.y.data = [16777216]))
    expect(await failed(lie, model)).toContain('output hash')
  })

  it('refuses version-1 receipts by name', async () => {
    const model = graphModel({ nodes: [['Relu', ['x'], ['y']]], inputs: { x: [1] }, outputs: ['y'] })
    const r = await createInferenceReceipt(model, { x: { dims: [1], data: [1] } }, options)
    const [check] = await validateInferenceReceipt({ ...r, version: 1 })
    expect(check).toMatchObject({ name: 'structure', ok: false })
    expect(check.detail).toMatch(/version 1 inference receipts are refused/)
  })
})

describe('infer checks inputs as verify does (finding 11)', () => {
  const model = graphModel({ nodes: [['Relu', ['x'], ['y']]], inputs: { x: [3] }, outputs: ['y'] })
  const odd: [string, unknown][] = [
    ['"1e3"', { x: { dims: [3], data: ['1e3', 1, 2] } }],
    ['true', { x: { dims: [3], data: [true, 1, 2] } }],
    ['null', { x: { dims: [3], data: [null, 1, 2] } }],
    ['NaN as a number', { x: { dims: [3], data: [NaN, 1, 2] } }],
    ['a nested array', { x: { dims: [3], data: [[1], 1, 2] } }],
    ['dims as strings', { x: { dims: ['3'], data: [0, 1, 2] } }],
    ['an input the model lacks', { x: { dims: [3], data: [0, 1, 2] }, extra: { dims: [1], data: [1] } }],
  ]

  it.each(odd)('refuses %s with InferenceInputError, before signing', async (_, inputs) => {
    await expect(createInferenceReceipt(model, inputs as never, options)).rejects.toMatchObject({
      name: 'InferenceInputError',
    })
  })

  it('the CLI writes no receipt for "1e3" and names the error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-infer-'))
    writeFileSync(join(dir, 'm.onnx'), model)
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ x: { dims: [3], data: ['1e3', 1, 2] } }))
    const out = join(dir, 'r.json')
    const run = await lockstep([
      'infer',
      '--model',
      join(dir, 'm.onnx'),
      '--input',
      join(dir, 'x.json'),
      '--out',
      out,
      '--key',
      key,
    ])
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/InferenceInputError/)
    expect(existsSync(out)).toBe(false)
  }, 120_000)

  it('what infer signs, verify passes: a receipt of the same inputs round-trips', async () => {
    const inputs = { x: { dims: [3], data: [0.1, 'Infinity', -0] } }
    const r = roundTrip(await createInferenceReceipt(model, inputs as never, options))
    expect(r.body.inputHash).toBe(hashJson(inputs))
    expect(await failed(r, model)).toEqual([])
  })
})
