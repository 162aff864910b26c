// Training receipts, version 1 (docs/receipts.md): what was trained, from which state, on which data,
// the state hash after every step committed as a Merkle root, signed with EIP-712 by the producer.
import canonicalize from 'canonicalize'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { keccak256, toBytes, type Address, type Hex, type TypedDataDomain } from 'viem'
import type { TrainConfig } from '../train/trainer.ts'
import { CanonicalJsonError, ProducerMismatchError } from '../errors/receipt.ts'

export const TRAINING_RECEIPT = 'lockstep/training-receipt'

export interface TrainingReceiptBody {
  runId: string
  /** The full training config, model included. */
  config: TrainConfig
  configHash: Hex
  data: { name: string; sha256: string; split: 'train'; valFraction: number }
  startStep: number
  endStep: number
  startStateHash: Hex
  /** stepHashes[i] = the state hash after step startStep + i + 1. */
  stepHashes: Hex[]
  /** StandardMerkleTree root of (uint256 step, bytes32 stateHash) for every committed step. */
  stepsRoot: Hex
  endStateHash: Hex
  kernelsHash: Hex
  producer: Address
}

export interface Eip712Signature {
  chainId: number
  verifyingContract: Address
  value: Hex
}

export interface TrainingReceipt {
  kind: typeof TRAINING_RECEIPT
  version: 1
  body: TrainingReceiptBody
  /** keccak256 of the UTF-8 bytes of the RFC 8785 canonical JSON of `body`. */
  receiptHash: Hex
  signature: Eip712Signature
}

/** keccak256(utf8(RFC 8785 JSON)): the one hash of structured data throughout the spec. */
export function hashJson(value: unknown): Hex {
  const text = canonicalize(value)
  if (text === undefined) throw new CanonicalJsonError('This value has no canonical JSON (RFC 8785).')
  return keccak256(toBytes(text))
}

export function stepsTree(startStep: number, stepHashes: readonly Hex[]) {
  return StandardMerkleTree.of(
    stepHashes.map((h, i) => [String(startStep + i + 1), h]),
    ['uint256', 'bytes32'],
  )
}

export const eip712Types = {
  Receipt: [
    { name: 'kind', type: 'string' },
    { name: 'receiptHash', type: 'bytes32' },
  ],
} as const

/**
 * Whatever signs receipts: a viem LocalAccount (the dev key, the CLI) or an injected wallet
 * (src/chain/wallet.ts), which signs the same typed data with eth_signTypedData_v4.
 */
export interface ReceiptSigner {
  address: Address
  signTypedData(typedData: {
    domain: TypedDataDomain
    types: typeof eip712Types
    primaryType: 'Receipt'
    message: { kind: string; receiptHash: Hex }
  }): Promise<Hex>
}

export function eip712Domain(chainId: number, verifyingContract: Address): TypedDataDomain {
  return { name: 'Lockstep', version: '1', chainId, verifyingContract }
}

export function trainingReceiptBody(
  input: Omit<TrainingReceiptBody, 'configHash' | 'stepsRoot' | 'endStateHash'>,
): TrainingReceiptBody {
  const stepHashes = [...input.stepHashes]
  return {
    ...input,
    stepHashes,
    configHash: hashJson(input.config),
    stepsRoot: stepHashes.length
      ? (stepsTree(input.startStep, stepHashes).root as Hex)
      : input.startStateHash,
    endStateHash: stepHashes.at(-1) ?? input.startStateHash,
  }
}

/** Signs a body for one chain and registry: the receipt verifies there and nowhere else. */
export async function signTrainingReceipt(
  body: TrainingReceiptBody,
  account: ReceiptSigner,
  target: { chainId: number; verifyingContract: Address },
): Promise<TrainingReceipt> {
  if (account.address.toLowerCase() !== body.producer.toLowerCase()) {
    throw new ProducerMismatchError(
      `The receipt names producer ${body.producer} but the signing key is ${account.address}.`,
    )
  }
  return {
    kind: TRAINING_RECEIPT,
    version: 1,
    body,
    ...(await signBody(TRAINING_RECEIPT, body, account, target)),
  }
}

/** The receipt hash of `body` and its EIP-712 signature for one chain and registry: every receipt kind signs this way. */
export async function signBody(
  kind: string,
  body: unknown,
  account: ReceiptSigner,
  target: { chainId: number; verifyingContract: Address },
): Promise<{ receiptHash: Hex; signature: Eip712Signature }> {
  const receiptHash = hashJson(body)
  const value = await account.signTypedData({
    domain: eip712Domain(target.chainId, target.verifyingContract),
    types: eip712Types,
    primaryType: 'Receipt',
    message: { kind, receiptHash },
  })
  return { receiptHash, signature: { ...target, value } }
}
