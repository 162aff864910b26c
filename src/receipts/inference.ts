// Inference receipts, version 1 (docs/receipts.md): an ONNX model (by hash, with a URI to fetch it),
// the inputs, the outputs exactly, on the deterministic runtime; signed with EIP-712 by the producer.
import { concat, isHex, keccak256, toBytes, type Address, type Hex } from 'viem'
import { hashJson, signBody, type Eip712Signature, type ReceiptSigner } from './training.ts'
import { commonChecks, type Check, type ValidateOptions } from './validate.ts'
import { kernelsHash } from './kernels.ts'
import { parseModel, type Tensor } from '../infer/model.ts'
import { runModel, toTensors, type HostInput } from '../infer/run.ts'

export const INFERENCE_RECEIPT = 'lockstep/inference-receipt'
export const RUNTIME = 'lockstep-cpu-reference/1'

/** f32 values as JSON: numbers, with the non-finite ones spelled "NaN", "Infinity", "-Infinity". */
export type JsonValue = number | 'NaN' | 'Infinity' | '-Infinity'
export interface JsonTensor {
  dims: number[]
  data: JsonValue[]
}

export interface InferenceReceiptBody {
  model: { hash: Hex; uri: string }
  inputs: Record<string, HostInput>
  inputHash: Hex
  parameters: Record<string, never>
  outputs: Record<string, JsonTensor>
  /** keccak256 over each output in name order: utf8(name) ‖ 0x00 ‖ u32le rank ‖ u32le dims ‖ f32le values. */
  outputHash: Hex
  runtime: string
  kernelsHash: Hex
  /** Informational only: where the producer ran it. */
  adapter: string
  producer: Address
}

export interface InferenceReceipt {
  kind: typeof INFERENCE_RECEIPT
  version: 1
  body: InferenceReceiptBody
  receiptHash: Hex
  signature: Eip712Signature
}

const toJson = (v: number): JsonValue =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v
const fromJson = (v: JsonValue): number =>
  v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v

export function outputsHash(outputs: Record<string, JsonTensor>): Hex {
  const parts: Uint8Array[] = []
  for (const name of Object.keys(outputs).sort()) {
    const t = outputs[name]
    const header = new Uint8Array(4 * (1 + t.dims.length))
    const view = new DataView(header.buffer)
    view.setUint32(0, t.dims.length, true)
    t.dims.forEach((d, i) => view.setUint32(4 * (i + 1), d, true))
    const values = Float32Array.from(t.data, fromJson)
    parts.push(toBytes(name), new Uint8Array([0]), header, new Uint8Array(values.buffer))
  }
  return keccak256(concat(parts))
}

function asJson(t: Tensor): JsonTensor {
  return { dims: t.dims, data: t.type === 'int64' ? Array.from(t.data, Number) : Array.from(t.data, toJson) }
}

/** Runs the model on the inputs with the deterministic CPU runtime: the outputs and their hash. */
export function infer(modelBytes: Uint8Array, inputs: Record<string, HostInput>) {
  const model = parseModel(modelBytes)
  const out = runModel(model, toTensors(model, inputs))
  const outputs = Object.fromEntries([...out].map(([name, t]) => [name, asJson(t)]))
  return { outputs, outputHash: outputsHash(outputs) }
}

export async function createInferenceReceipt(
  modelBytes: Uint8Array,
  inputs: Record<string, HostInput>,
  options: {
    uri: string
    account: ReceiptSigner
    target: { chainId: number; verifyingContract: Address }
    adapter?: string
  },
): Promise<InferenceReceipt> {
  const { outputs, outputHash } = infer(modelBytes, inputs)
  const plainInputs = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, { dims: [...v.dims], data: Array.from(v.data) }]),
  )
  const body: InferenceReceiptBody = {
    model: { hash: keccak256(modelBytes), uri: options.uri },
    inputs: plainInputs,
    inputHash: hashJson(plainInputs),
    parameters: {},
    outputs,
    outputHash,
    runtime: RUNTIME,
    kernelsHash: kernelsHash(),
    adapter: options.adapter ?? 'CPU reference',
    producer: options.account.address,
  }
  const signed = await signBody(INFERENCE_RECEIPT, body, options.account, options.target)
  return { kind: INFERENCE_RECEIPT, version: 1, body, ...signed }
}

function structureProblem(value: unknown): string | null {
  const r = value as InferenceReceipt
  if (typeof r !== 'object' || r === null) return 'not a JSON object'
  if (r.kind !== INFERENCE_RECEIPT)
    return `kind is ${JSON.stringify(r.kind)}, expected "${INFERENCE_RECEIPT}"`
  if (r.version !== 1) return `unsupported version ${JSON.stringify(r.version)}`
  const b = r.body
  if (typeof b !== 'object' || b === null) return 'body is missing'
  if (
    typeof b.model !== 'object' ||
    b.model === null ||
    !isHex(b.model.hash) ||
    typeof b.model.uri !== 'string'
  )
    return 'body.model needs hash and uri'
  for (const k of ['inputs', 'outputs'] as const) {
    if (typeof b[k] !== 'object' || b[k] === null) return `body.${k} is missing`
    for (const [name, t] of Object.entries(b[k])) {
      if (typeof t !== 'object' || t === null || !Array.isArray(t.dims) || !Array.isArray(t.data))
        return `body.${k}.${name} needs dims and data arrays`
      if (t.data.length !== t.dims.reduce((p: number, q: number) => p * q, 1))
        return `body.${k}.${name}: data does not fill dims`
      if (
        !t.data.every(
          (v: unknown) => typeof v === 'number' || v === 'NaN' || v === 'Infinity' || v === '-Infinity',
        )
      )
        return `body.${k}.${name}: data must be numbers`
    }
  }
  for (const k of ['inputHash', 'outputHash', 'kernelsHash'] as const)
    if (typeof b[k] !== 'string' || !isHex(b[k]) || b[k].length !== 66)
      return `body.${k} is not a 32-byte hash`
  if (typeof b.producer !== 'string' || !isHex(b.producer) || b.producer.length !== 42)
    return 'body.producer is not an address'
  if (typeof r.receiptHash !== 'string' || r.receiptHash.length !== 66)
    return 'receiptHash is not a 32-byte hash'
  const s = r.signature
  if (
    typeof s !== 'object' ||
    s === null ||
    !Number.isSafeInteger(s.chainId) ||
    typeof s.verifyingContract !== 'string' ||
    typeof s.value !== 'string'
  )
    return 'signature must carry chainId, verifyingContract and value'
  return null
}

export async function validateInferenceReceipt(
  value: unknown,
  options: ValidateOptions = {},
): Promise<Check[]> {
  const problem = structureProblem(value)
  if (problem) return [{ name: 'structure', ok: false, detail: problem }]
  const r = value as InferenceReceipt
  const b = r.body
  const checks: Check[] = [{ name: 'structure', ok: true, detail: 'a version-1 inference receipt' }]
  const compare = (name: Check['name'], got: Hex, want: Hex) =>
    checks.push({
      name,
      ok: got === want,
      detail: got === want ? got : `recomputed ${got}, receipt says ${want}`,
    })
  compare('input hash', hashJson(b.inputs), b.inputHash)
  compare('output hash', outputsHash(b.outputs), b.outputHash)
  compare('receipt hash', hashJson(b), r.receiptHash)
  checks.push(...(await commonChecks(INFERENCE_RECEIPT, r, b.producer, b.kernelsHash, options)))
  return checks
}

/** Re-executes the model on the receipt's inputs: the outputs must hash to outputHash, bit for bit. */
export function verifyInference(r: InferenceReceipt, modelBytes: Uint8Array): Check[] {
  const modelHash = keccak256(modelBytes)
  if (modelHash !== r.body.model.hash)
    return [
      {
        name: 'output hash',
        ok: false,
        detail: `the model file hashes to ${modelHash}, the receipt names ${r.body.model.hash}`,
      },
    ]
  const { outputHash } = infer(modelBytes, r.body.inputs)
  const ok = outputHash === r.body.outputHash
  return [
    {
      name: 'output hash',
      ok,
      detail: ok
        ? `re-executed: ${outputHash}`
        : `re-executed outputs hash to ${outputHash}, receipt says ${r.body.outputHash}`,
    },
  ]
}
