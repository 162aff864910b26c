// Inference receipts, version 2 (docs/receipts.md): an ONNX model (by hash, with a URI to fetch it),
// the inputs, the outputs exactly, on the deterministic runtime; signed with EIP-712 by the producer.
// Version 1 is refused: its output hash was not injective and its −0 outputs could not verify.
import type { Address, Hex } from 'viem'
import { hashJson, signBody, type Eip712Signature, type ReceiptSigner } from './training.ts'
import { commonChecks, isHash, signedEnvelopeProblem, type Check, type ValidateOptions } from './validate.ts'
import { localRelease, resolveRelease, type Release, type ReleaseManifest } from './releases.ts'
import { outputsHash, outputsProblem, tensorJson, type JsonTensor } from './tensors.ts'
import { parseModel } from '../infer/model.ts'
import { runModel, toTensors, type RunOptions } from '../infer/run.ts'
import { inputsProblem, type HostInput } from '../infer/json.ts'
import type { InferLimits } from '../infer/plan.ts'
import { keccak256Hex } from '../util/keccak.ts'
import { BaseError } from '../errors/base.ts'
export const INFERENCE_RECEIPT = 'lockstep/inference-receipt'
export const INFERENCE_VERSION = 2
export const RUNTIME = 'lockstep-cpu-reference/1'

export interface InferenceReceiptBody {
  model: { hash: Hex; uri: string }
  inputs: Record<string, HostInput>
  inputHash: Hex
  parameters: Record<string, never>
  outputs: Record<string, JsonTensor>
  /** keccak256 of the injective encoding of the outputs (tensors.ts). */
  outputHash: Hex
  runtime: string
  kernelsHash: Hex
  /** Informational only: where the producer ran it. */
  adapter: string
  producer: Address
}

export interface InferenceReceipt {
  kind: typeof INFERENCE_RECEIPT
  version: typeof INFERENCE_VERSION
  body: InferenceReceiptBody
  receiptHash: Hex
  signature: Eip712Signature
}

/**
 * Runs the model on the inputs with the deterministic CPU runtime: the outputs and their hash. The
 * inputs pass the same checks here as in `verify` (toTensors), so what is signed can be verified.
 * `ops` is the release's op set (default this library's own).
 */
export function infer(
  modelBytes: Uint8Array,
  inputs: Record<string, HostInput>,
  limits?: InferLimits,
  { ops }: RunOptions = {},
) {
  const model = parseModel(modelBytes, ops)
  const out = runModel(model, toTensors(model, inputs), limits, { ops })
  const outputs = Object.fromEntries([...out].map(([name, t]) => [name, tensorJson(name, t)]))
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
    /** The release to run and name (default this library's own, localRelease()). */
    release?: Release
  },
): Promise<InferenceReceipt> {
  const release = options.release ?? localRelease()
  // The receipt's inputs exactly as given (no coercion): they are what infer checks and runs.
  const plainInputs = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [
      k,
      { dims: Array.isArray(v?.dims) ? [...v.dims] : v?.dims, data: v?.data && Array.from(v.data) },
    ]),
  ) as Record<string, HostInput>
  const { outputs, outputHash } = infer(modelBytes, plainInputs, undefined, release)
  const body: InferenceReceiptBody = {
    model: { hash: keccak256Hex([modelBytes]), uri: options.uri },
    inputs: plainInputs,
    inputHash: hashJson(plainInputs),
    parameters: {},
    outputs,
    outputHash,
    runtime: RUNTIME,
    kernelsHash: release.kernelsHash,
    adapter: options.adapter ?? 'CPU reference',
    producer: options.account.address,
  }
  const signed = await signBody(INFERENCE_RECEIPT, body, options.account, options.target)
  return { kind: INFERENCE_RECEIPT, version: INFERENCE_VERSION, body, ...signed }
}

/** Why `value` is not a well-formed version-2 inference receipt, or null when it is. */
export function structureProblem(value: unknown): string | null {
  const r = value as InferenceReceipt
  if (typeof r !== 'object' || r === null) return 'not a JSON object'
  if (r.kind !== INFERENCE_RECEIPT)
    return `kind is ${JSON.stringify(r.kind)}, expected "${INFERENCE_RECEIPT}"`
  if ((r.version as number) === 1)
    return 'version 1 inference receipts are refused: their output hash is not injective (docs/receipts.md); re-run infer for a version-2 receipt'
  if (r.version !== INFERENCE_VERSION) return `unsupported version ${JSON.stringify(r.version)}`
  const b = r.body
  if (typeof b !== 'object' || b === null) return 'body is missing'
  if (
    typeof b.model !== 'object' ||
    b.model === null ||
    !isHash(b.model.hash) ||
    typeof b.model.uri !== 'string'
  )
    return 'body.model needs a 32-byte hash and a uri'
  const inputs = inputsProblem(b.inputs)
  if (inputs) return `body.inputs: ${inputs}`
  const outputs = outputsProblem(b.outputs)
  if (outputs) return `body.outputs: ${outputs}`
  if (typeof b.parameters !== 'object' || b.parameters === null || Object.keys(b.parameters).length)
    return 'body.parameters is reserved and must be {}'
  if (b.runtime !== RUNTIME)
    return `body.runtime is ${JSON.stringify(b.runtime)}; this verifier runs "${RUNTIME}"`
  if (typeof b.adapter !== 'string') return 'body.adapter must be a string'
  for (const k of ['inputHash', 'outputHash', 'kernelsHash'] as const)
    if (!isHash(b[k])) return `body.${k} is not a 32-byte hash`
  return signedEnvelopeProblem(r, b.producer)
}

export async function validateInferenceReceipt(
  value: unknown,
  options: ValidateOptions = {},
): Promise<Check[]> {
  const problem = structureProblem(value)
  if (problem) return [{ name: 'structure', ok: false, detail: problem }]
  const r = value as InferenceReceipt
  const b = r.body
  const checks: Check[] = [{ name: 'structure', ok: true, detail: 'a version-2 inference receipt' }]
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

/**
 * Re-executes the model on the receipt's inputs with the release its kernelsHash names (`releases`:
 * those this verifier runs): the outputs must hash to outputHash, bit for bit. A release this verifier
 * does not run fails 'kernels'; a model the runtime refuses (shapes, budgets, operators) fails
 * 're-execution' with the error's name.
 */
export function verifyInference(
  r: InferenceReceipt,
  modelBytes: Uint8Array,
  limits?: InferLimits,
  releases?: ReleaseManifest,
): Check[] {
  const problem = structureProblem(r)
  if (problem) return [{ name: 'structure', ok: false, detail: problem }]
  let release: Release
  try {
    release = resolveRelease(r.body.kernelsHash, releases)
  } catch (e) {
    const named = e instanceof BaseError ? `${e.name}: ${e.shortMessage} ${e.details ?? ''}` : String(e)
    return [{ name: 'kernels', ok: false, detail: named.trim() }]
  }
  const modelHash = keccak256Hex([modelBytes])
  if (modelHash !== r.body.model.hash)
    return [
      {
        name: 'model',
        ok: false,
        detail: `the model file hashes to ${modelHash}, the receipt names ${r.body.model.hash}`,
      },
    ]
  let outputHash: Hex
  try {
    outputHash = infer(modelBytes, r.body.inputs, limits, release).outputHash
  } catch (e) {
    const named = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e)
    return [{ name: 're-execution', ok: false, detail: `the runtime refused it: ${named}` }]
  }
  const ok = outputHash === r.body.outputHash
  const ran = `with release ${release.id} (kernels ${release.kernelsHash})`
  return [
    {
      name: 'output hash',
      ok,
      detail: ok
        ? `re-executed ${ran}: ${outputHash}`
        : `re-executed ${ran}, the outputs hash to ${outputHash}, receipt says ${r.body.outputHash}`,
    },
  ]
}
