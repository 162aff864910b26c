// Verification that reads the chain: the receipt is signed for this chain and registry, and the
// registry holds an anchor of it from its signer, with the same root. An anchor of the same hash
// from any other address proves nothing: anchors are looked up by the signer's address only.
import type { PublicClient } from 'viem'
import type { Check } from '../receipts/validate.ts'
import { anchorFields, anchorTransaction, readAnchor, type Anchor, type AnchorableReceipt } from './anchor.ts'
import { publicClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { walletError } from './wallet.ts'

export interface AnchorVerdict {
  ok: boolean
  checks: Check[]
  anchor: (Anchor & { transaction: `0x${string}` | null }) | null
}

/**
 * Run after the receipt's own checks (validate…Receipt), which recover the signer: this adds what
 * only the chain can say. Never throws; an unreachable RPC is a failed check that says so.
 */
export async function verifyAnchor(
  receipt: AnchorableReceipt,
  config: ChainConfig,
  client: PublicClient = publicClient(config),
): Promise<AnchorVerdict> {
  const checks: Check[] = []
  const sig = receipt.signature
  const sameChain =
    sig.chainId === config.chainId &&
    sig.verifyingContract.toLowerCase() === config.receiptRegistry.toLowerCase()
  checks.push({
    name: 'chain',
    ok: sameChain,
    detail: sameChain
      ? `signed for chain ${config.chainId}, registry ${config.receiptRegistry}`
      : `signed for chain ${sig.chainId} at ${sig.verifyingContract}, this verifier reads chain ${config.chainId} at ${config.receiptRegistry}`,
  })
  if (!sameChain) return { ok: false, checks, anchor: null }
  const { receiptHash, root } = anchorFields(receipt)
  try {
    const anchor = await readAnchor(client, config.receiptRegistry, receipt.body.producer, receiptHash)
    if (!anchor) {
      checks.push({
        name: 'anchor',
        ok: false,
        detail: `no anchor of this receipt from its signer ${receipt.body.producer}`,
      })
      return { ok: false, checks, anchor: null }
    }
    const when = new Date(anchor.timestamp * 1000).toISOString()
    checks.push({
      name: 'anchor',
      ok: true,
      detail: `anchored by ${anchor.sender} in block ${anchor.blockNumber} at ${when}`,
    })
    const rootOk = anchor.root.toLowerCase() === root.toLowerCase()
    checks.push({
      name: 'anchor root',
      ok: rootOk,
      detail: rootOk ? `root ${root}` : `the chain holds root ${anchor.root}, the receipt commits to ${root}`,
    })
    const transaction = await anchorTransaction(client, config.receiptRegistry, anchor)
    return { ok: rootOk, checks, anchor: { ...anchor, transaction } }
  } catch (e) {
    checks.push({ name: 'anchor', ok: false, detail: walletError(e, 'reading the anchor').message })
    return { ok: false, checks, anchor: null }
  }
}
