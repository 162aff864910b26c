// The market worker: settles a market on the deterministic CPU runtime, re-checks a settlement, and
// runs onnxruntime-web (WebGPU, else wasm) as a fast preview that is not reproducible.
import { expose } from 'comlink'
import { carryErrors } from '../src/errors/transfer.ts'
import { WebGPUUnavailableError } from '../src/errors/gpu.ts'
import {
  BUNDLED_URI,
  bundledModel,
  decide,
  marketInputs,
  RULE,
  scoreOutcomes,
  TASK_RULE,
  windowOf,
  type Market,
  type Rule,
} from '../src/markets/model.ts'
import { loadTrainedModel, TRAINED_URI } from '../src/markets/trained.ts'
import {
  recheckSettlement,
  settle,
  type MarketCheck,
  type SettlementReceipt,
} from '../src/markets/settlement.ts'

/** Which model a settlement runs, and under which rule (a market's terms fix both). */
export interface SettleModel {
  upload?: { bytes: Uint8Array; name: string }
  builtIn?: 'trained' | 'bundled'
  rule?: Rule
}

export interface Preview {
  ep: string
  scores: number[]
  outcome: number
  ms: number
}

carryErrors()
let bundled: Uint8Array | null = null
const bundledBytes = () => (bundled ??= bundledModel())
// The trained default, exported from the app's own copy of the warm start (`base`: the page's URL; a
// worker's own location is its script's). A failed load is not kept: the next call tries again.
let trained: Promise<Uint8Array> | null = null
const trainedBytes = (base: string) =>
  (trained ??= loadTrainedModel(base).catch((e: unknown) => {
    trained = null
    throw e
  }))

const api = {
  /**
   * With the uploaded model, else a built-in one (the trained model by default); under `rule`, else the
   * model's own (the task rule for the trained model, the generic one for any other).
   */
  async settle(market: Market, base: string, o: SettleModel = {}) {
    if (o.upload) return settle(o.upload.bytes, market, `file:${o.upload.name}`, undefined, o.rule ?? RULE)
    if (o.builtIn === 'bundled') return settle(bundledBytes(), market, BUNDLED_URI, undefined, o.rule ?? RULE)
    return settle(await trainedBytes(base), market, TRAINED_URI, undefined, o.rule ?? TASK_RULE)
  },

  /** `modelBytes` may be left out when the settlement names a built-in model. */
  async recheck(text: string, base: string, modelBytes?: Uint8Array): Promise<MarketCheck[]> {
    let r: SettlementReceipt
    try {
      r = JSON.parse(text) as SettlementReceipt
    } catch (e) {
      return [{ name: 'structure', ok: false, detail: `not JSON: ${e instanceof Error ? e.message : e}` }]
    }
    const uri = r?.body?.inference?.model?.uri
    const bytes =
      modelBytes ??
      (uri === TRAINED_URI ? await trainedBytes(base) : uri === BUNDLED_URI ? bundledBytes() : null)
    if (!bytes)
      return [
        {
          name: 'model',
          ok: false,
          detail: `this settlement's model is ${r?.body?.inference?.model?.uri}: choose that .onnx file to re-check it`,
        },
      ]
    return recheckSettlement(r, bytes)
  },

  /** onnxruntime-web, loaded only here and only when asked: WebGPU if this browser has it, else wasm. */
  async preview(market: Market, base: string, modelBytes?: Uint8Array): Promise<Preview> {
    const bytes = modelBytes ?? (await trainedBytes(base))
    const rule = modelBytes ? RULE : TASK_RULE
    const T = windowOf(bytes)
    const ort = await import('onnxruntime-web')
    ort.env.wasm.numThreads = 1
    const start = performance.now()
    let ep = 'webgpu'
    let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>
    try {
      // Without WebGPU, straight to wasm (onnxruntime-web would fail the same way, more slowly).
      if (!('gpu' in navigator)) throw new WebGPUUnavailableError('No WebGPU in this worker.')
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] })
    } catch {
      ep = 'wasm'
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] })
    }
    try {
      const { inputs } = marketInputs(market, T, rule)
      const ids = inputs.input_ids
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids.data), BigInt), ids.dims),
      }
      const out = await session.run(feeds)
      const scores = scoreOutcomes(market, T, out.logits.data as Float32Array, rule)
      return { ep, scores, outcome: decide(scores), ms: performance.now() - start }
    } finally {
      await session.release()
    }
  },
}

export type MarketWorkerApi = typeof api

expose(api)
