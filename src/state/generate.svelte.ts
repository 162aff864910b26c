import { proxy } from 'comlink'
import type { Address } from 'viem'
import type { GenerateRequest } from '../../workers/generate.worker.ts'
import type { GeneratedToken } from '../generate/generate.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { signGenerationReceipt, type GenerationReceipt } from '../receipts/generation.ts'
import type { ReceiptSigner } from '../receipts/training.ts'
import { startGenerateWorker } from './workers.ts'

/** One generation in the generate worker: tokens as they stream, then the signed receipt. */
export class Generating {
  status = $state<'idle' | 'running' | 'signing' | 'done' | 'failed'>('idle')
  tokens = $state<GeneratedToken[]>([])
  text = $state('')
  receipt = $state.raw<GenerationReceipt | null>(null)
  /** The decoder's bytes (a built-in model is rebuilt in the worker), for the download. */
  model = $state.raw<Uint8Array | null>(null)
  runtime = $state<'gpu' | 'cpu' | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  ms = $state(0)
  #worker: ReturnType<typeof startGenerateWorker> | null = null

  /** Generates, then signs the receipt with `signer` (the wallet, or the dev key) for `target`. */
  async run(
    req: Omit<GenerateRequest, 'producer'>,
    signer: ReceiptSigner,
    target: { chainId: number; verifyingContract: Address },
  ): Promise<void> {
    this.#worker?.worker.terminate()
    const w = (this.#worker = startGenerateWorker())
    Object.assign(this, {
      status: 'running',
      tokens: [],
      text: '',
      receipt: null,
      error: null,
      runtime: null,
    })
    const start = performance.now()
    try {
      const result = await w.api.generate(
        { ...req, producer: signer.address },
        proxy((t: GeneratedToken) => {
          this.tokens.push(t)
          this.text = t.text
          this.ms = performance.now() - start
        }),
      )
      this.ms = performance.now() - start
      this.model = result.model
      this.runtime = result.runtime
      this.text = result.body.text
      this.status = 'signing'
      this.receipt = await signGenerationReceipt(result.body, signer, target)
      this.status = 'done'
    } catch (e) {
      this.error = errorInfo(e)
      this.status = 'failed'
    } finally {
      w.worker.terminate()
      if (this.#worker === w) this.#worker = null
    }
  }

  /** Stops at once: the worker is discarded, nothing half-made is signed. */
  cancel(): void {
    if (!this.#worker) return
    this.#worker.worker.terminate()
    this.#worker = null
    this.status = 'idle'
  }

  /** Tokens per second of the decode so far (the first token includes the prefill). */
  get tokensPerSecond(): number {
    return this.tokens.length && this.ms ? (this.tokens.length * 1000) / this.ms : 0
  }
}
