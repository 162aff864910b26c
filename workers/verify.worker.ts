// The verification worker: validates a receipt and re-executes it on the CPU reference (same bits as
// any GPU), reporting each check as it completes, so a verifier needs no GPU and no install.
import { expose } from 'comlink'
import { validateTrainingReceipt, type Check } from '../src/receipts/validate.ts'
import { replayTrainingReceipt } from '../src/receipts/replay.ts'
import {
  INFERENCE_RECEIPT,
  validateInferenceReceipt,
  verifyInference,
  type InferenceReceipt,
} from '../src/receipts/inference.ts'
import type { TrainingReceipt } from '../src/receipts/training.ts'
import { cpuBackend } from '../src/train/cpu.ts'

export interface VerifyEvent {
  check?: Check
  progress?: { done: number; total: number }
}

const api = {
  async verify(
    text: string,
    options: { corpusUrl: string; modelBytes?: Uint8Array },
    onEvent: (e: VerifyEvent) => void,
  ): Promise<{ ok: boolean; kind: string }> {
    let receipt: unknown
    try {
      receipt = JSON.parse(text)
    } catch (e) {
      onEvent({
        check: { name: 'structure', ok: false, detail: `not JSON: ${e instanceof Error ? e.message : e}` },
      })
      return { ok: false, kind: 'unknown' }
    }
    const kind = String((receipt as { kind?: unknown })?.kind ?? 'unknown')
    const isInference = kind === INFERENCE_RECEIPT
    const checks = isInference
      ? await validateInferenceReceipt(receipt)
      : await validateTrainingReceipt(receipt)
    checks.forEach((check) => onEvent({ check }))
    if (checks.some((c) => !c.ok)) return { ok: false, kind }
    if (isInference) {
      const r = receipt as InferenceReceipt
      let bytes = options.modelBytes
      if (!bytes) {
        try {
          const res = await fetch(r.body.model.uri)
          if (!res.ok) throw new Error(`HTTP ${res.status}`)
          bytes = new Uint8Array(await res.arrayBuffer())
        } catch (e) {
          onEvent({
            check: {
              name: 'output hash',
              ok: false,
              detail: `cannot fetch the model from ${r.body.model.uri} (${e instanceof Error ? e.message : e}); choose the model file`,
            },
          })
          return { ok: false, kind }
        }
      }
      const [check] = verifyInference(r, bytes)
      onEvent({ check })
      return { ok: check.ok, kind }
    }
    const r = receipt as TrainingReceipt
    const res = await fetch(options.corpusUrl)
    const corpus = new Uint8Array(await res.arrayBuffer())
    const total = r.body.stepHashes.length
    const result = await replayTrainingReceipt(r, cpuBackend, corpus, {
      onStep: (v) => onEvent({ progress: { done: v.step - r.body.startStep, total } }),
    })
    onEvent({
      check: {
        name: 're-execution',
        ok: result.ok,
        detail: `on the CPU reference: ${result.detail}`,
      },
    })
    return { ok: result.ok, kind }
  },
}

export type VerifyWorkerApi = typeof api

expose(api)
