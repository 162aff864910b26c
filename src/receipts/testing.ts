// Hostile receipts for the verifier-limits tests (src/receipts/limits.test.ts, src/cli/limits.test.ts,
// src/infer/budget.test.ts).
import { keccak256, toBytes, type Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { defaultTrainConfig } from '../train/trainer.ts'
import { kernelsHash } from './kernels.ts'
import {
  hashJson,
  signBody,
  signTrainingReceipt,
  trainingReceiptBody,
  type TrainingReceipt,
} from './training.ts'
import { INFERENCE_RECEIPT, RUNTIME, type InferenceReceipt } from './inference.ts'
import { outputsHash } from './tensors.ts'

const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }

/**
 * About 1.3 KB, validly signed, and on a verifier without caps its replay would allocate gigabytes:
 * dModel 1024, 8 layers (about 100M parameters). Its step hashes are made up; it is never meant to pass.
 */
export async function hostileTrainingReceipt(producer: PrivateKeyAccount): Promise<TrainingReceipt> {
  const fake = (s: string): Hex => keccak256(toBytes(s))
  const config = defaultTrainConfig(
    { vocab: 256, seqLen: 64, dModel: 1024, nLayer: 8, nHead: 8 },
    { steps: 2, batch: 1 },
  )
  const body = trainingReceiptBody({
    runId: 'hostile',
    config,
    data: { name: 'kjv-pentateuch', sha256: '0'.repeat(64), split: 'train', valFraction: 0.1 },
    startStep: 0,
    endStep: 2,
    startStateHash: fake('start'),
    stepHashes: [fake('1'), fake('2')],
    kernelsHash: kernelsHash(),
    producer: producer.address,
  })
  return signTrainingReceipt(body, producer, target)
}

/** A self-signed inference receipt for `model` with made-up outputs: what a hostile producer hands a verifier. */
export async function hostileInferenceReceipt(
  model: Uint8Array,
  inputs: InferenceReceipt['body']['inputs'],
  producer: PrivateKeyAccount,
): Promise<InferenceReceipt> {
  const outputs = { y: { dtype: 'float32' as const, dims: [1], data: [0] } }
  const body = {
    model: { hash: keccak256(model), uri: 'https://example.invalid/m.onnx' },
    inputs,
    inputHash: hashJson(inputs),
    parameters: {},
    outputs,
    // Well formed, so that only re-execution (where the budgets are) can refuse it.
    outputHash: outputsHash(outputs),
    runtime: RUNTIME,
    kernelsHash: kernelsHash(),
    adapter: 'CPU reference',
    producer: producer.address,
  }
  const signed = await signBody(INFERENCE_RECEIPT, body, producer, target)
  return { kind: INFERENCE_RECEIPT, version: 2, body, ...signed } as InferenceReceipt
}
