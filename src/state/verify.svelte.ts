import { proxy } from 'comlink'
import type { Check } from '../receipts/validate.ts'
import type { VerifyEvent } from '../../workers/verify.worker.ts'
import { corpusUrl, startVerifyWorker } from './workers.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import type { ChainConfig } from '../chain/config.ts'
import { verifyAnchor, type AnchorVerdict } from '../chain/verify.ts'

/** One verification in the verify worker: the checklist as it fills in, progress, the verdict. */
export class Verification {
  status = $state<'idle' | 'running' | 'passed' | 'failed'>('idle')
  checks = $state<(Check & { ms: number })[]>([])
  progress = $state<{ done: number; total: number } | null>(null)
  kind = $state('')
  /** Where the re-execution ran: the CPU reference, or this tab's GPU kernels (generation receipts). */
  ranOn = $state<'CPU reference' | 'GPU kernels'>('CPU reference')
  ms = $state(0)
  /** A generation receipt's re-generation: its text so far, tokens matched, and the first mismatch. */
  regenerated = $state<{
    text: string
    matchedText: string
    matched: number
    mismatch: number | null
  } | null>(null)
  /** What the chain says about the receipt, read after the receipt's own checks pass. */
  anchor = $state.raw<AnchorVerdict | null>(null)
  #worker: Worker | null = null
  readonly #chain: ChainConfig | null

  constructor(chain: ChainConfig | null = null) {
    this.#chain = chain
  }

  /** `checkpoints`: the producer's published .lscp files; with them, a spot check of 3 steps replaces the full replay. */
  async run(
    text: string,
    modelBytes?: Uint8Array,
    checkpoints: Uint8Array[] = [],
    tokenizerBytes?: Uint8Array,
    useGpu = false,
  ): Promise<void> {
    this.cancel()
    const { worker, api } = startVerifyWorker()
    this.#worker = worker
    this.status = 'running'
    this.checks = []
    this.progress = null
    this.anchor = null
    this.regenerated = null
    this.ranOn = useGpu ? 'GPU kernels' : 'CPU reference'
    const start = performance.now()
    let last = start
    try {
      const result = await api.verify(
        text,
        {
          corpus: KJV_PENTATEUCH,
          corpusUrl: corpusUrl(KJV_PENTATEUCH),
          modelBytes,
          tokenizerBytes,
          useGpu,
          checkpoints,
          spot: 3,
        },
        proxy((e: VerifyEvent) => {
          const now = performance.now()
          if (e.check) this.checks.push({ ...e.check, ms: now - last })
          if (e.progress) this.progress = e.progress
          if (e.token) {
            const r = (this.regenerated ??= { text: '', matchedText: '', matched: 0, mismatch: null })
            r.text = e.token.text
            if (e.token.match) {
              r.matched = e.token.position + 1
              r.matchedText = e.token.text
            } else r.mismatch = e.token.position
          }
          last = now
        }),
      )
      this.kind = result.kind
      this.status = result.ok ? 'passed' : 'failed'
      if (result.ok && this.#chain) this.anchor = await verifyAnchor(JSON.parse(text), this.#chain)
    } catch (e) {
      this.checks.push({
        name: 'structure',
        ok: false,
        detail: e instanceof Error ? e.message : String(e),
        ms: 0,
      })
      this.status = 'failed'
    } finally {
      this.ms = performance.now() - start
      worker.terminate()
      if (this.#worker === worker) this.#worker = null
    }
  }

  /** Stops a running verification (the worker is discarded: nothing half-done is reported as passed). */
  cancel(): void {
    if (!this.#worker) return
    this.#worker.terminate()
    this.#worker = null
    this.status = 'idle'
  }
}

/** A receipt carried in a share link: `#receipt=<base64url of the JSON>`. */
export function receiptFromHash(hash: string): string | null {
  const m = /^#receipt=([A-Za-z0-9_-]+)$/.exec(hash)
  if (!m) return null
  try {
    const bin = atob(m[1].replace(/-/g, '+').replace(/_/g, '/'))
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))
  } catch {
    return null
  }
}

export function shareHash(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let bin = ''
  bytes.forEach((b) => (bin += String.fromCharCode(b)))
  return '#receipt=' + btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
