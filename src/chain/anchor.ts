// Reading and writing anchors in the ReceiptRegistry (contracts/ReceiptRegistry.sol).
import { zeroHash, type Address, type Hex, type PublicClient } from 'viem'
import { receiptRegistryAbi } from './contracts/ReceiptRegistry.ts'
import { walletClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { walletError, type WalletSession } from './wallet.ts'
import { TRAINING_RECEIPT, type TrainingReceipt } from '../receipts/training.ts'
import type { InferenceReceipt } from '../receipts/inference.ts'
import type { SettlementReceipt } from '../markets/settlement.ts'
import type { GenerationReceipt } from '../receipts/generation.ts'

/** Every signed receipt the ReceiptRegistry anchors: by its receiptHash (and a training run's steps root). */
export type AnchorableReceipt = TrainingReceipt | InferenceReceipt | GenerationReceipt | SettlementReceipt

export interface Anchor {
  sender: Address
  receiptHash: Hex
  root: Hex
  blockNumber: bigint
  /** Block time, seconds since the epoch. */
  timestamp: number
}

/** What a receipt anchors: its hash, and the root a step can later be proven against. */
export function anchorFields(receipt: AnchorableReceipt): {
  receiptHash: Hex
  root: Hex
} {
  const root = receipt.kind === TRAINING_RECEIPT ? (receipt as TrainingReceipt).body.stepsRoot : zeroHash
  return { receiptHash: receipt.receiptHash, root }
}

/** The anchor `sender` made for `receiptHash`, or null when there is none. */
export async function readAnchor(
  client: PublicClient,
  registry: Address,
  sender: Address,
  receiptHash: Hex,
): Promise<Anchor | null> {
  const a = await client.readContract({
    address: registry,
    abi: receiptRegistryAbi,
    functionName: 'anchorOf',
    args: [sender, receiptHash],
  })
  if (a.timestamp === 0n) return null
  return { sender, receiptHash, root: a.root, blockNumber: a.blockNumber, timestamp: Number(a.timestamp) }
}

/** The transaction that made an anchor, from the registry's indexed `Anchored` event. */
export async function anchorTransaction(
  client: PublicClient,
  registry: Address,
  anchor: Anchor,
): Promise<Hex | null> {
  const logs = await client.getContractEvents({
    address: registry,
    abi: receiptRegistryAbi,
    eventName: 'Anchored',
    args: { sender: anchor.sender, receiptHash: anchor.receiptHash },
    fromBlock: anchor.blockNumber,
    toBlock: anchor.blockNumber,
  })
  return logs[0]?.transactionHash ?? null
}

/** Sends the anchor transaction from the wallet; returns its hash once the wallet has sent it. */
export async function sendAnchor(
  session: WalletSession,
  config: ChainConfig,
  fields: { receiptHash: Hex; root: Hex; uri: string },
): Promise<Hex> {
  try {
    return await walletClient(session.provider, session.address, config).writeContract({
      address: config.receiptRegistry,
      abi: receiptRegistryAbi,
      functionName: 'anchor',
      args: [fields.receiptHash, fields.root, fields.uri],
    })
  } catch (e) {
    throw walletError(e, 'sending the anchor transaction')
  }
}
