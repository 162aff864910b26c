// `validate`: every check that needs no re-execution — structure, hashes recomputed, the Merkle root
// of the step commitments, the EIP-712 signature recovering the producer, the chain it was signed
// for. Never throws on bad input: each check reports what it found.
import { isAddress, isHex, recoverTypedDataAddress, type Address, type Hex } from 'viem'
import {
  TRAINING_RECEIPT,
  eip712Domain,
  eip712Types,
  hashJson,
  stepsTree,
  type TrainingReceipt,
} from './training.ts'
import { knownKernels, type ReleaseManifest } from './releases.ts'
import { checkTrainingLimits } from './limits.ts'
import { unknownConfigField } from '../train/configDiff.ts'

export interface Check {
  name:
    | 'structure'
    | 'limits'
    | 'config hash'
    | 'steps root'
    | 'end state'
    | 'input hash'
    | 'output hash'
    | 're-execution'
    | 'receipt hash'
    | 'signature'
    | 'chain'
    | 'signer'
    | 'kernels'
    | 'anchor'
    | 'anchor root'
    | 'model'
    | 'prompt hash'
    | 'parameters hash'
    | 'token ids hash'
    | 'tokenizer'
    | 'text'
    | 're-generation'
    | 'finish reason'
  ok: boolean
  detail: string
}

export interface ValidateOptions {
  /** Require the signature to be for this chain and registry (a receipt for chain A fails on chain B). */
  chainId?: number
  verifyingContract?: Address
  /** Require this producer. */
  signer?: Address
  /** The releases this verifier runs (default RELEASES): tests pass another library's manifest. */
  releases?: ReleaseManifest
}

export const isHash = (v: unknown): v is Hex => typeof v === 'string' && isHex(v) && v.length === 66

/**
 * Why the producer, receiptHash or EIP-712 signature of an inference or generation receipt is malformed,
 * or null: the part of their structure every signed receipt kind shares.
 */
export function signedEnvelopeProblem(
  r: { receiptHash?: unknown; signature?: unknown },
  producer: unknown,
): string | null {
  if (typeof producer !== 'string' || !isAddress(producer)) return 'body.producer is not an address'
  if (!isHash(r.receiptHash)) return 'receiptHash is not a 32-byte hash'
  const s = r.signature as { chainId?: unknown; verifyingContract?: unknown; value?: unknown } | null
  if (
    typeof s !== 'object' ||
    s === null ||
    !Number.isSafeInteger(s.chainId) ||
    typeof s.verifyingContract !== 'string' ||
    !isAddress(s.verifyingContract) ||
    typeof s.value !== 'string' ||
    !isHex(s.value)
  )
    return 'signature must carry chainId, verifyingContract and value'
  return null
}
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

const RECEIPT_KEYS = ['kind', 'version', 'body', 'receiptHash', 'signature']
const BODY_KEYS = [
  'runId',
  'config',
  'configHash',
  'data',
  'startStep',
  'endStep',
  'startStateHash',
  'stepHashes',
  'stepsRoot',
  'endStateHash',
  'kernelsHash',
  'producer',
]
const unknownField = (o: object, keys: string[], prefix = '') => {
  const k = Object.keys(o).find((k) => !keys.includes(k))
  return k === undefined ? null : prefix + k
}

/** Why `value` is not a well-formed version-1 training receipt, or null when it is. */
export function structureProblem(value: unknown): string | null {
  const r = value as TrainingReceipt
  if (typeof r !== 'object' || r === null) return 'not a JSON object'
  if (r.kind !== TRAINING_RECEIPT) return `kind is ${JSON.stringify(r.kind)}, expected "${TRAINING_RECEIPT}"`
  if (r.version !== 1) return `unsupported version ${JSON.stringify(r.version)}`
  const b = r.body
  if (typeof b !== 'object' || b === null) return 'body is missing'
  // Nothing beside the signed body may ride along unchecked: every field is one the spec defines.
  const extra = unknownField(r, RECEIPT_KEYS) ?? unknownField(b, BODY_KEYS, 'body.')
  if (extra) return `${extra} is not a receipt field`
  if (typeof b.runId !== 'string') return 'body.runId must be a string'
  if (
    typeof b.config !== 'object' ||
    b.config === null ||
    typeof b.config.model !== 'object' ||
    b.config.model === null
  )
    return 'body.config must hold the training config and its model'
  const configExtra = unknownConfigField(b.config)
  if (configExtra) return `body.config.${configExtra} is not a training config field`
  if (typeof b.data !== 'object' || b.data === null || typeof b.data.sha256 !== 'string')
    return 'body.data.sha256 is missing'
  if (b.data.split !== 'train') return 'body.data.split must be "train" (the split every step samples)'
  if (!isCount(b.startStep) || !isCount(b.endStep) || b.endStep < b.startStep)
    return 'body.startStep/endStep must be integers with start <= end'
  if (!Array.isArray(b.stepHashes) || b.stepHashes.length !== b.endStep - b.startStep)
    return `body.stepHashes must hold endStep - startStep = ${b.endStep - b.startStep} hashes`
  for (const [i, h] of b.stepHashes.entries())
    if (!isHash(h)) return `body.stepHashes[${i}] is not a 32-byte hex hash`
  for (const k of ['configHash', 'startStateHash', 'stepsRoot', 'endStateHash', 'kernelsHash'] as const)
    if (!isHash(b[k])) return `body.${k} is not a 32-byte hex hash`
  if (typeof b.producer !== 'string' || !isAddress(b.producer)) return 'body.producer is not an address'
  if (!isHash(r.receiptHash)) return 'receiptHash is not a 32-byte hex hash'
  const s = r.signature
  if (
    typeof s !== 'object' ||
    s === null ||
    !isCount(s.chainId) ||
    typeof s.verifyingContract !== 'string' ||
    !isAddress(s.verifyingContract)
  )
    return 'signature must carry chainId and verifyingContract'
  if (typeof s.value !== 'string' || !isHex(s.value)) return 'signature.value is not hex'
  const extraSig = unknownField(s, ['chainId', 'verifyingContract', 'value'], 'signature.')
  if (extraSig) return `${extraSig} is not a signature field`
  return null
}

export async function validateTrainingReceipt(
  value: unknown,
  options: ValidateOptions = {},
): Promise<Check[]> {
  const problem = structureProblem(value)
  if (problem) return [{ name: 'structure', ok: false, detail: problem }]
  const r = value as TrainingReceipt
  const b = r.body
  const checks: Check[] = [{ name: 'structure', ok: true, detail: 'a version-1 training receipt' }]
  const add = (name: Check['name'], ok: boolean, detail: string) => checks.push({ name, ok, detail })
  try {
    checkTrainingLimits(b.config)
    add('limits', true, "the config is within this verifier's size caps")
  } catch (e) {
    add('limits', false, `${(e as Error).name}: ${(e as Error).message}`)
  }
  const safely = (name: Check['name'], f: () => [boolean, string]) => {
    try {
      add(name, ...f())
    } catch (e) {
      add(name, false, e instanceof Error ? e.message : String(e))
    }
  }
  safely('config hash', () => {
    const h = hashJson(b.config)
    return [h === b.configHash, h === b.configHash ? h : `recomputed ${h}, receipt says ${b.configHash}`]
  })
  safely('steps root', () => {
    const root = b.stepHashes.length ? stepsTree(b.startStep, b.stepHashes).root : b.startStateHash
    return [
      root === b.stepsRoot,
      root === b.stepsRoot ? root : `recomputed ${root}, receipt says ${b.stepsRoot}`,
    ]
  })
  safely('end state', () => {
    const end = b.stepHashes.at(-1) ?? b.startStateHash
    return [
      end === b.endStateHash,
      end === b.endStateHash ? end : `the last step's hash is ${end}, receipt says ${b.endStateHash}`,
    ]
  })
  safely('receipt hash', () => {
    const h = hashJson(b)
    return [h === r.receiptHash, h === r.receiptHash ? h : `recomputed ${h}, receipt says ${r.receiptHash}`]
  })
  checks.push(...(await commonChecks(TRAINING_RECEIPT, r, b.producer, b.kernelsHash, options)))
  return checks
}

/**
 * The checks every receipt kind shares: signature → producer, chain, signer, and the kernel library: a
 * release this verifier runs (src/receipts/releases.ts).
 */
export async function commonChecks(
  kind: string,
  r: { receiptHash: Hex; signature: { chainId: number; verifyingContract: Address; value: Hex } },
  producer: Address,
  kernels: Hex,
  options: ValidateOptions,
): Promise<Check[]> {
  const checks: Check[] = []
  const add = (name: Check['name'], ok: boolean, detail: string) => checks.push({ name, ok, detail })
  const b = { producer, kernelsHash: kernels }
  try {
    const recovered = await recoverTypedDataAddress({
      domain: eip712Domain(r.signature.chainId, r.signature.verifyingContract),
      types: eip712Types,
      primaryType: 'Receipt',
      message: { kind, receiptHash: r.receiptHash },
      signature: r.signature.value,
    })
    const ok = recovered.toLowerCase() === b.producer.toLowerCase()
    add(
      'signature',
      ok,
      ok ? `signed by ${recovered}` : `recovers ${recovered}, not the producer ${b.producer}`,
    )
  } catch (e) {
    add('signature', false, `does not recover: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
  }
  if (options.chainId !== undefined || options.verifyingContract !== undefined) {
    const chainOk = options.chainId === undefined || options.chainId === r.signature.chainId
    const contractOk =
      options.verifyingContract === undefined ||
      options.verifyingContract.toLowerCase() === r.signature.verifyingContract.toLowerCase()
    add(
      'chain',
      chainOk && contractOk,
      chainOk && contractOk
        ? `chain ${r.signature.chainId}, registry ${r.signature.verifyingContract}`
        : `signed for chain ${r.signature.chainId} at ${r.signature.verifyingContract}, expected ${options.chainId ?? 'any'} at ${options.verifyingContract ?? 'any'}`,
    )
  }
  if (options.signer) {
    const ok = options.signer.toLowerCase() === b.producer.toLowerCase()
    add('signer', ok, ok ? b.producer : `producer is ${b.producer}, required ${options.signer}`)
  }
  // A training receipt needs its release's training steps too, which only some releases keep.
  const library = knownKernels(b.kernelsHash, {
    manifest: options.releases,
    training: kind === TRAINING_RECEIPT,
  })
  add('kernels', library.ok, library.detail)
  return checks
}
