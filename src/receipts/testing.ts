// Receipts for tests: real ones from a micro GPT trained on the CPU reference (the one way tests make
// them), and hostile ones for the verifier-limits tests (src/receipts/limits.test.ts,
// src/cli/limits.test.ts, src/infer/budget.test.ts). No Node imports: the dispute demo uses it in a worker.
import { keccak256, toBytes, type Address, type Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { cpuBackend } from '../train/cpu.ts'
import type { Backend } from '../train/backend.ts'
import { KJV_PENTATEUCH, receiptData, type Corpus } from '../train/corpus.ts'
import type { GptConfig } from '../train/gpt.ts'
import { TrainingRun } from '../train/run.ts'
import { defaultTrainConfig, type TrainConfig } from '../train/trainer.ts'
import { kernelsHash } from './kernels.ts'
import {
  hashJson,
  signBody,
  signTrainingReceipt,
  trainingReceiptBody,
  type ReceiptSigner,
  type TrainingReceipt,
  type TrainingReceiptBody,
} from './training.ts'
import { INFERENCE_RECEIPT, RUNTIME, type InferenceReceipt } from './inference.ts'
import { outputsHash } from './tensors.ts'
import { signGenerationReceipt, tokenIdsHash, type GenerationReceipt } from './generation.ts'
import { finishedText } from '../generate/params.ts'
import { byteTokenizer } from '../generate/tokenizer.ts'

/** anvil's dev chain and first contract address: where test receipts are signed for. */
export const TEST_TARGET = {
  chainId: 31337,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
} as const satisfies { chainId: number; verifyingContract: Address }
const target = TEST_TARGET

/** The model tests train: one layer, 16 wide, a few milliseconds a step on the CPU reference. */
export const MICRO: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }

export interface TrainedReceiptOptions {
  signer: ReceiptSigner
  /** The corpus file's bytes (checked against `corpus`). */
  bytes: Uint8Array
  /** Default: the micro GPT, 3 steps, batch 2. */
  config?: TrainConfig
  runId?: string
  corpus?: Corpus
  target?: { chainId: number; verifyingContract: Address }
  /** Default: the CPU reference; a tracing or tampering backend for dispute tests. */
  backend?: Backend<unknown>
  /** Steps to train (default `config.steps`). */
  steps?: number
  /** Before each step, with its 1-based number: a tampering backend keys its lie on this. */
  beforeStep?: (step: number) => void
  /** A cheat's edit of the body it signs (other step hashes, another config); derived fields are redone. */
  lie?: (body: TrainingReceiptBody) => TrainingReceiptBody
}

/** Trains `config.steps` steps with a TrainingRun (as the app does) and signs the receipt. */
export async function trainedReceipt(o: TrainedReceiptOptions): Promise<TrainingReceipt> {
  const config = o.config ?? defaultTrainConfig(MICRO, { steps: 3, batch: 2 })
  const run = await TrainingRun.open({
    backend: o.backend ?? (cpuBackend as Backend<unknown>),
    config,
    runId: o.runId ?? 'test-run',
    corpus: o.corpus ?? KJV_PENTATEUCH,
    bytes: o.bytes,
  })
  try {
    o.beforeStep?.(1)
    await run.train(o.steps ?? config.steps, { onStep: (e) => o.beforeStep?.(e.step + 1) })
    const body = run.receiptBody(o.signer.address)
    return await signTrainingReceipt(
      o.lie ? trainingReceiptBody(o.lie(body)) : body,
      o.signer,
      o.target ?? TEST_TARGET,
    )
  } finally {
    run.dispose()
  }
}

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
    data: { ...receiptData(KJV_PENTATEUCH), sha256: '0'.repeat(64) },
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

/**
 * A liar's generation receipt: `r` with other token ids (byte tokenizer), every hash and the text derived
 * again and signed by `signer`, so it passes validate and only re-generation can refuse it.
 */
export function withTokenIds(
  r: GenerationReceipt,
  ids: number[],
  signer: ReceiptSigner,
  signFor: { chainId: number; verifyingContract: Address } = target,
): Promise<GenerationReceipt> {
  const body = {
    ...r.body,
    tokenIds: ids,
    tokenIdsHash: tokenIdsHash(ids),
    text: finishedText(byteTokenizer, ids, r.body.finishReason, r.body.parameters),
    producer: signer.address,
  }
  return signGenerationReceipt(body, signer, signFor)
}
