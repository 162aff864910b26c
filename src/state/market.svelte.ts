// One market on the page: the creator's entries, the settlement made in the market worker and signed
// by the wallet's signer, the onnxruntime-web preview beside it, and re-checking a settlement link.
import { transfer } from 'comlink'
import type { Remote } from 'comlink'
import type { Wallet } from './wallet.svelte.ts'
import type { MarketWorkerApi, Preview } from '../../workers/market.worker.ts'
import { startMarketWorker } from './workers.ts'
import { verifyAnchor, type AnchorVerdict } from '../chain/verify.ts'
import { marketProblem, type Market, type Rule } from '../markets/model.ts'
import {
  parseSettlementHash,
  settlementHash,
  signSettlement,
  type MarketCheck,
  type SettlementReceipt,
} from '../markets/settlement.ts'
import { MarketError } from '../errors/market.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'

export class MarketState {
  // A question the trained default model answers from its input (docs/markets.md, "The settlement model").
  question = $state('Which is the word “dca” with its letters in alphabetical order?')
  input = $state('sort:dca')
  outcomes = $state('acd\ncad\ndca')
  upload = $state.raw<{ bytes: Uint8Array; name: string } | null>(null)
  /** Without an upload: the built-in model to run (a market's terms may name the bundled one). */
  builtIn = $state<'trained' | 'bundled'>('trained')
  /** The rule, when a market's terms fix it; else the model's own. */
  rule = $state<Rule | null>(null)
  status = $state<'idle' | 'settling' | 'settled' | 'failed'>('idle')
  error = $state<ErrorInfo | null>(null)
  receipt = $state.raw<SettlementReceipt | null>(null)
  link = $state('')
  preview = $state.raw<Preview | null>(null)
  previewStatus = $state<'idle' | 'running' | 'done' | 'failed'>('idle')
  previewError = $state<string | null>(null)
  recheckStatus = $state<'idle' | 'running' | 'passed' | 'failed'>('idle')
  checks = $state.raw<MarketCheck[]>([])
  /** What the chain says about a settlement that passed its re-check. */
  anchor = $state.raw<AnchorVerdict | null>(null)
  #worker: { worker: Worker; api: Remote<MarketWorkerApi> } | null = null
  readonly #wallet: Wallet

  constructor(wallet: Wallet) {
    this.#wallet = wallet
  }

  get market(): Market {
    const outcomes = this.outcomes
      .split('\n')
      .map((o) => o.trim())
      .filter(Boolean)
    return { question: this.question.trim(), input: this.input, outcomes }
  }

  get #api() {
    return (this.#worker ??= startMarketWorker()).api
  }

  #bytes = () => (this.upload ? this.upload.bytes.slice() : undefined)

  async settle(): Promise<void> {
    const market = this.market
    const problem = marketProblem(market)
    this.error = problem ? errorInfo(new MarketError(problem)) : null
    if (this.error) return void (this.status = 'failed')
    this.status = 'settling'
    this.receipt = null
    this.preview = null
    void this.runPreview(market)
    try {
      const bytes = this.#bytes()
      const upload =
        this.upload && bytes ? transfer({ bytes, name: this.upload.name }, [bytes.buffer]) : undefined
      const settled = await this.#api.settle(market, document.baseURI, {
        upload,
        builtIn: this.builtIn,
        rule: this.rule ?? undefined,
      })
      const receipt = await signSettlement(settled, this.#wallet.signer, this.#wallet.target)
      this.receipt = receipt
      this.link = `${location.origin}${location.pathname}${location.search}${settlementHash(receipt)}`
      this.status = 'settled'
      if (this.#wallet.session) await this.#wallet.anchor(receipt, this.link)
    } catch (e) {
      this.error = errorInfo(e)
      this.status = 'failed'
    }
  }

  async runPreview(market: Market): Promise<void> {
    this.previewStatus = 'running'
    this.previewError = null
    try {
      this.preview = await this.#api.preview(market, document.baseURI, this.#bytes())
      this.previewStatus = 'done'
    } catch (e) {
      this.previewError = `The fast preview is unavailable here: ${e instanceof Error ? e.message : e}`
      this.previewStatus = 'failed'
    }
  }

  /** Re-checks the settlement in `#settlement=…` (or the given JSON), with the chosen model file if any. */
  async recheck(text = parseSettlementHash(location.hash)): Promise<void> {
    if (!text) return
    this.recheckStatus = 'running'
    this.checks = []
    this.anchor = null
    try {
      this.receipt = JSON.parse(text) as SettlementReceipt
    } catch {
      this.receipt = null
    }
    try {
      this.checks = await this.#api.recheck(text, document.baseURI, this.#bytes())
      this.recheckStatus = this.checks.every((c) => c.ok) ? 'passed' : 'failed'
      if (this.recheckStatus === 'passed' && this.receipt && !this.#wallet.configError)
        this.anchor = await verifyAnchor(this.receipt, this.#wallet.config)
    } catch (e) {
      this.checks = [{ name: 'structure', ok: false, detail: e instanceof Error ? e.message : String(e) }]
      this.recheckStatus = 'failed'
    }
  }

  /**
   * Stops a settlement or re-check in progress: the worker is ended (a model run has no step boundary to
   * stop at) and the next action starts a fresh one. Nothing was signed or anchored yet.
   */
  cancel(): void {
    if (this.status !== 'settling' && this.recheckStatus !== 'running') return
    this.dispose()
    if (this.status === 'settling') {
      this.status = 'idle'
      this.error = errorInfo(new MarketError('Cancelled: nothing was signed. Settle runs the model again.'))
    }
    if (this.previewStatus === 'running') this.previewStatus = 'idle'
    if (this.recheckStatus === 'running') {
      this.recheckStatus = 'failed'
      this.checks = [{ name: 'structure', ok: false, detail: 'Cancelled before the re-check finished.' }]
    }
  }

  dispose(): void {
    this.#worker?.worker.terminate()
    this.#worker = null
  }
}
