// Test helpers for the chain: a real (tiny) training receipt, signed by whoever the test needs.
import type { Address } from 'viem'
import { resolveChain, type ChainConfig } from './config.ts'
import { defaultTrainConfig } from '../train/trainer.ts'
import { kjvBytes } from '../train/testing.ts'
import { MICRO, trainedReceipt as microReceipt } from '../receipts/testing.ts'
import type { ReceiptSigner, TrainingReceipt } from '../receipts/training.ts'

/** `steps` real CPU training steps of the micro GPT from `seed`, signed by `signer` for `target`. */
export function trainedReceipt(
  signer: ReceiptSigner,
  target: { chainId: number; verifyingContract: Address },
  { steps = 3, seed = 1 } = {},
): Promise<TrainingReceipt> {
  return microReceipt({
    signer,
    target,
    bytes: kjvBytes,
    runId: `chain-test-${seed}`,
    config: defaultTrainConfig(MICRO, { steps, batch: 2, seed }),
  })
}

/** The page's chain config for a chain scripts/chain.mjs started, reached through `rpc` (a proxy) when given. */
export function testChainConfig(
  chain: {
    rpcUrl: string
    chainId: number
    receiptRegistry: string
    swarmRegistry: string
    swarmCoordinator: string
  },
  rpc = chain.rpcUrl,
): ChainConfig {
  return resolveChain({
    rpc,
    chainId: String(chain.chainId),
    registry: chain.receiptRegistry,
    swarmRegistry: chain.swarmRegistry,
    swarmCoordinator: chain.swarmCoordinator,
  })
}
