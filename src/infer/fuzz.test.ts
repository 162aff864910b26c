// Seeded adversarial fuzzing of inference receipts (issue 15). Each case takes an honest receipt and
// either keeps it honest (a JSON round trip, reordered keys, a new informational adapter) or plants one
// lie: in an output value, dims, dtype or name, an input, a hash, the model, the runtime, the version,
// the signature. The liar re-signs with its own key where that is its best move. Verification runs as
// the CLI and the page do (validate; re-execute when that passes) and must name the check where the lie
// is, and never reject an honest receipt.
import { describe, expect, it } from 'vitest'
import { keccak256, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { mulberry32 } from '../util/random.ts'
import { hashJson, signBody } from '../receipts/training.ts'
import type { Check } from '../receipts/validate.ts'
import { outputsHash } from '../receipts/tensors.ts'
import {
  createInferenceReceipt,
  validateInferenceReceipt,
  verifyInference,
  type InferenceReceipt,
} from '../receipts/inference.ts'
import { graphModel } from './testing.ts'

const CASES = 3000
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }
type Body = InferenceReceipt['body']

// Models in which every input value reaches an output, so a changed input is always a lie.
const models = [
  {
    bytes: graphModel({ nodes: [['Neg', ['x'], ['y']]], inputs: { x: [2, 3] }, outputs: ['y'] }),
    inputs: { x: { dims: [2, 3], data: [0.5, -0, 3, -4.25, 1e-3, 7] } },
  },
  {
    bytes: graphModel({
      nodes: [
        ['Identity', ['x'], ['a']],
        ['Identity', ['z'], ['b']],
      ],
      inputs: { x: [], z: [2] },
      outputs: ['a', 'b'],
    }),
    inputs: { x: { dims: [], data: [12.078431129455566] }, z: { dims: [2], data: ['Infinity', -2] } },
  },
  {
    bytes: graphModel({
      nodes: [['Gather', ['v', 'i'], ['y']]],
      inputs: {},
      outputs: ['y'],
      ints: { v: [10, -20, 16777217, 40, 2 ** 40], i: [4, 0, 2] },
    }),
    inputs: {},
  },
]

interface Case {
  receipt: unknown
  model: Uint8Array
  /** The check that must fail, or null for an honest receipt. */
  lie: Check['name'] | null
  what: string
}

async function resign(r: InferenceReceipt, body: Body): Promise<InferenceReceipt> {
  return { ...r, body, ...(await signBody(r.kind, body, account, target)) }
}

/** Another value of the dtype, different from v (never another spelling of it: −0 and +0 are one). */
function otherValue(v: unknown, next: () => number, dtype = 'float32'): number | 'NaN' | 'Infinity' {
  const pick =
    dtype === 'int64'
      ? [next() % 2 ? 1 : -1, Number(v) + 1, 2 ** 40, 0]
      : ([next() % 2 ? 1 : -1, Math.fround(Number(v) + 1), 'NaN', 'Infinity', 0.5] as const)
  for (let i = next() % pick.length; ; i = (i + 1) % pick.length)
    if (pick[i] !== v && !(pick[i] === 0 && v === 0) && String(pick[i]) !== String(v)) return pick[i]
}

async function makeCase(honest: InferenceReceipt, model: Uint8Array, next: () => number): Promise<Case> {
  const body = structuredClone(honest.body)
  const names = Object.keys(body.outputs)
  const out = body.outputs[names[next() % names.length]]
  const consistent = () => (body.outputHash = outputsHash(body.outputs))
  const signed = async (what: string, lie: Check['name'] | null) => ({
    receipt: await resign(honest, body),
    model,
    lie,
    what,
  })
  const i = out.data.length ? next() % out.data.length : 0
  switch (next() % 16) {
    case 0:
      return { receipt: JSON.parse(JSON.stringify(honest)), model, lie: null, what: 'round trip' }
    case 1:
      body.adapter = `adapter ${next()}`
      return signed('a new informational adapter', null)
    case 2:
      out.data[i] = otherValue(out.data[i], next, out.dtype)
      return signed('an output value, hash kept', 'output hash')
    case 3:
      out.data[i] = otherValue(out.data[i], next, out.dtype)
      consistent()
      return signed('an output value, hash recomputed', 'output hash')
    case 4: {
      // Same values, other dims: reversed (same rank, same count), or a 1 added.
      const reversed = [...out.dims].reverse()
      if (reversed.join() !== out.dims.join() && next() % 2) out.dims = reversed
      else if (next() % 2) out.dims = [...out.dims, 1]
      else out.dims = [1, ...out.dims]
      consistent()
      return signed('output dims', 'output hash')
    }
    case 5: {
      const [name] = names
      body.outputs[`${name}${String.fromCharCode(next() % 3 ? 0 : 65)}`] = body.outputs[name]
      delete body.outputs[name]
      consistent()
      return signed('an output name', 'output hash')
    }
    case 6:
      if (next() % 2) body.outputs.extra = { dtype: 'float32', dims: [1], data: [0] }
      else if (names.length > 1) delete body.outputs[names[0]]
      else body.outputs = {}
      consistent()
      return signed('an added or dropped output', 'output hash')
    case 7: {
      const ints = out.data.every((v) => Number.isSafeInteger(v) && Math.abs(v as number) < 2 ** 24)
      out.dtype = out.dtype === 'int64' ? 'float32' : 'int64'
      if (ints) consistent()
      return signed('an output dtype', ints ? 'output hash' : 'structure')
    }
    case 8: {
      const bad: unknown[] = [['1'], [1.5], [-1], '[1]']
      const pick = next() % 6
      if (pick < 4) out.dims = bad[pick] as number[]
      else (out.data as unknown[])[i] = [0.1, true][pick - 4]
      return signed('malformed outputs', 'structure')
    }
    case 9:
    case 10: {
      const inNames = Object.keys(body.inputs)
      if (!inNames.length) {
        body.inputs = { i: { dims: [1], data: [0] } }
        body.inputHash = hashJson(body.inputs)
        return signed('an input the model lacks', 're-execution')
      }
      const t = body.inputs[inNames[next() % inNames.length]]
      const j = next() % t.data.length
      t.data[j] = otherValue(t.data[j], next) as number
      if (next() % 2) return signed('an input, hash kept', 'input hash')
      body.inputHash = hashJson(body.inputs)
      return signed('an input, hash recomputed', 'output hash')
    }
    case 11: {
      const t = Object.values(body.inputs)[0]
      if (!t) return { receipt: honest, model, lie: null, what: 'as made' }
      ;(t.data as unknown[])[0] = ['1e3', true, null, [1]][next() % 4]
      body.inputHash = hashJson(body.inputs)
      return signed('a malformed input', 'structure')
    }
    case 12:
      body.model.hash = keccak256(toHex(next()))
      return signed('the model hash', 'model')
    case 13: {
      const pick = next() % 4
      if (pick === 0) body.runtime = 'lockstep-cpu-reference/9'
      else if (pick === 1) body.parameters = { temperature: 2 } as never
      else if (pick === 2) body.kernelsHash = keccak256(toHex(next()))
      else
        return {
          receipt: { ...honest, version: [1, 3][next() % 2] },
          model,
          lie: 'structure',
          what: 'version',
        }
      return signed('runtime, parameters or kernels', pick === 2 ? 'kernels' : 'structure')
    }
    case 14: {
      const r = structuredClone(honest)
      const pick = next() % 3
      if (pick === 0) r.body.producer = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
      else if (pick === 1) r.signature.chainId = 1
      else r.signature.value = (r.signature.value.slice(0, 10) + 'ff' + r.signature.value.slice(12)) as Hex
      if (pick === 0) r.receiptHash = hashJson(r.body)
      return { receipt: r, model, lie: 'signature', what: 'producer or signature' }
    }
    default: {
      const r = structuredClone(honest)
      r.receiptHash = keccak256(toHex(next()))
      return { receipt: r, model, lie: 'receipt hash', what: 'receipt hash' }
    }
  }
}

/** The checks that fail, as the CLI runs them: validate, then re-execute only when validate passes. */
async function failedChecks(receipt: unknown, model: Uint8Array): Promise<Check['name'][]> {
  const checks = await validateInferenceReceipt(receipt)
  const failed = checks.filter((c) => !c.ok).map((c) => c.name)
  if (failed.length) return failed
  return verifyInference(receipt as InferenceReceipt, model)
    .filter((c) => !c.ok)
    .map((c) => c.name)
}

describe('inference receipt fuzzing', () => {
  it(`${CASES} seeded cases: every planted lie named, no honest receipt rejected`, async () => {
    const honest = await Promise.all(
      models.map(async (m) => ({
        receipt: await createInferenceReceipt(m.bytes, m.inputs as never, {
          uri: 'https://example.invalid/m.onnx',
          account,
          target,
        }),
        model: m.bytes,
      })),
    )
    const next = mulberry32(15)
    const wrong: string[] = []
    let [honestRejected, liesMissed, lies] = [0, 0, 0]
    for (let n = 0; n < CASES; n++) {
      const h = honest[next() % honest.length]
      const c = await makeCase(h.receipt, h.model, next)
      const failed = await failedChecks(c.receipt, c.model)
      if (c.lie) lies++
      const right = c.lie ? failed.includes(c.lie) : failed.length === 0
      if (!right) {
        if (c.lie) liesMissed++
        else honestRejected++
        if (wrong.length < 5)
          wrong.push(`case ${n} (${c.what}): expected ${c.lie ?? 'none'}, failed [${failed}]`)
      }
    }
    console.log(
      `[fuzz] ${CASES} inference cases (${lies} lies): ${honestRejected} honest rejected, ${liesMissed} lies missed`,
    )
    expect(wrong).toEqual([])
  }, 60_000)
})
