import { proxy } from 'comlink'
import type { SettleEvent, SettleResult } from '../disputes/settle.ts'
import { corpusUrl, startSettleWorker } from './workers.ts'
import { saveBlob } from './download.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'

/** One dispute being settled in the settle worker: progress in words and numbers, then the verdict. */
export class Settlement {
  /** The inputs: receipt A and B as JSON text, and the parties' step-trace files (name and text). */
  a = $state('')
  b = $state('')
  traces = $state<{ name: string; text: string }[]>([])
  /** Set when the inputs are a generated demo: where the lie was planted, to compare with the verdict. */
  planted = $state<[number, number] | null>(null)
  status = $state<'idle' | 'running' | 'done' | 'failed'>('idle')
  /** What the worker is doing, in words, and how far it is through the replay. */
  phase = $state('')
  progress = $state<{ done: number; total: number } | null>(null)
  /** The divergent step as soon as bisection finds it (before the replay reaches it). */
  step = $state<{ step: number; rounds: number } | null>(null)
  result = $state<SettleResult | null>(null)
  error = $state<ErrorInfo | null>(null)
  ms = $state(0)
  #worker: Worker | null = null

  async run(): Promise<void> {
    this.cancel()
    const [a, b, traces] = [this.a, this.b, this.traces.map((t) => t.text)]
    const { worker, api } = startSettleWorker()
    this.#worker = worker
    Object.assign(this, { status: 'running', progress: null, step: null, result: null, error: null })
    this.phase = 'Checking the receipts…'
    const start = performance.now()
    try {
      const result = await api.settle(
        { a, b: b.trim() || undefined, traces, corpus: KJV_PENTATEUCH, corpusUrl: corpusUrl(KJV_PENTATEUCH) },
        proxy((e: SettleEvent) => this.#event(e)),
      )
      if (this.#worker !== worker) return // cancelled or superseded
      this.result = result
      this.status = 'done'
    } catch (e) {
      if (this.#worker !== worker) return
      this.error = errorInfo(e)
      this.status = 'failed'
    } finally {
      this.ms = performance.now() - start
      worker.terminate()
      if (this.#worker === worker) this.#worker = null
      this.phase = ''
    }
  }

  /** Fills the inputs with a generated dispute: an honest receipt, a cheater's, and the cheater's trace. */
  async demo(): Promise<void> {
    this.cancel()
    const { worker, api } = startSettleWorker()
    this.#worker = worker
    Object.assign(this, { status: 'running', result: null, step: null, error: null, progress: null })
    this.phase = 'Training an honest and a cheating producer (five steps each)…'
    try {
      const d = await api.demo(KJV_PENTATEUCH, corpusUrl(KJV_PENTATEUCH))
      Object.assign(this, { a: d.a, b: d.b, planted: d.cheat, status: 'idle' })
      this.traces = [{ name: `cheater-step${d.cheat[0]}-trace.json`, text: d.trace }]
    } catch (e) {
      this.error = errorInfo(e)
      this.status = 'failed'
    } finally {
      worker.terminate()
      if (this.#worker === worker) this.#worker = null
      this.phase = ''
    }
  }

  /** Stops at once: the worker is discarded, and nothing half-done is reported. */
  cancel(): void {
    if (!this.#worker) return
    this.#worker.terminate()
    this.#worker = null
    this.status = 'idle'
    this.phase = ''
  }

  /** The self-contained evidence as a JSON download: anyone can re-check it (checkEvidence). */
  downloadEvidence(): void {
    const e = this.result?.evidence
    if (e) saveBlob(JSON.stringify(e, null, 2), `lockstep-dispute-step${e.step}-op${e.opIndex}.json`)
  }

  #event(e: SettleEvent): void {
    if (e.phase === 'step') this.step = { step: e.step, rounds: e.rounds }
    if (e.phase === 'replay') {
      this.progress = { done: e.done, total: e.total }
      this.phase = `Re-executing step ${e.done} of ${e.total} on the CPU reference…`
    }
    if (e.phase === 'trace') this.phase = `Tracing every operator of step ${e.step}…`
  }
}
