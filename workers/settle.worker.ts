// The settle worker: validates two conflicting training receipts (or one, against this computer's
// re-execution), replays and traces the disputed step on the CPU reference, and bisects to the one
// operator at fault (src/disputes/settle.ts). All of it off the page's thread.
import { expose } from 'comlink'
import type { Hex } from 'viem'
import { carryErrors } from '../src/errors/transfer.ts'
import { InvalidReceiptError } from '../src/errors/receipt.ts'
import { fetchCorpus, openCorpus, type Corpus } from '../src/train/corpus.ts'
import { validateTrainingReceipt } from '../src/receipts/validate.ts'
import type { TrainingReceipt } from '../src/receipts/training.ts'
import { settle, type SettleEvent, type SettleResult } from '../src/disputes/settle.ts'
import { readStepTrace } from '../src/disputes/stepTrace.ts'
import type { StepTrace } from '../src/disputes/dispute.ts'
import { demoDispute } from '../src/disputes/demo.ts'

export interface SettleRequest {
  a: string
  b?: string
  /** Step-trace files the parties supplied (JSON text), in any order. */
  traces: string[]
  corpus: Corpus
  corpusUrl: string
}

carryErrors()

/** The shipped corpus, checked against its descriptor. */
async function corpusBytes(corpus: Corpus, url: string): Promise<Uint8Array> {
  const bytes = await fetchCorpus(corpus, url)
  await openCorpus(corpus, bytes)
  return bytes
}

async function receipt(label: string, text: string): Promise<TrainingReceipt> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new InvalidReceiptError(`Receipt ${label} is not JSON.`, {
      details: e instanceof Error ? e.message : String(e),
      cause: e,
    })
  }
  const failed = (await validateTrainingReceipt(value)).filter((c) => !c.ok)
  if (failed.length)
    throw new InvalidReceiptError(
      `Receipt ${label} does not validate: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
    )
  return value as TrainingReceipt
}

const api = {
  async settle(req: SettleRequest, onEvent: (e: SettleEvent) => void): Promise<SettleResult> {
    const a = await receipt('A', req.a)
    const b = req.b?.trim() ? await receipt('B', req.b) : undefined
    const traces = new Map<Hex, { step: number; trace: StepTrace }>()
    for (const text of req.traces) {
      const t = readStepTrace(text)
      traces.set(t.receiptHash, t)
    }
    return settle({ a, b, traces, corpus: await corpusBytes(req.corpus, req.corpusUrl) }, onEvent)
  },

  /** A ready-made dispute (an honest receipt, a cheater's, the cheater's trace) for trying the panel. */
  async demo(
    corpus: Corpus,
    corpusUrl: string,
  ): Promise<{ a: string; b: string; trace: string; cheat: [number, number] }> {
    const d = await demoDispute(await corpusBytes(corpus, corpusUrl))
    const json = (v: unknown) => JSON.stringify(v, null, 2)
    return { a: json(d.honest), b: json(d.cheater), trace: JSON.stringify(d.trace), cheat: d.cheat }
  },
}

export type SettleWorkerApi = typeof api

expose(api)
