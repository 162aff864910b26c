import { wrap, type Remote } from 'comlink'
import type { GpuWorkerApi } from '../../workers/gpu.worker.ts'
import type { TrainWorkerApi } from '../../workers/train.worker.ts'
import type { VerifyWorkerApi } from '../../workers/verify.worker.ts'
import type { GenerateWorkerApi } from '../../workers/generate.worker.ts'
import type { SwarmWorkerApi } from '../../workers/swarm.worker.ts'
import type { SettleWorkerApi } from '../../workers/settle.worker.ts'
import type { MarketWorkerApi } from '../../workers/market.worker.ts'
import type { TeachSwarmWorkerApi } from '../../workers/teachSwarm.worker.ts'
import type { RlSwarmWorkerApi } from '../../workers/rlSwarm.worker.ts'
import { carryErrors } from '../errors/transfer.ts'
import { WorkerLoadError } from '../errors/worker.ts'
import { corpusPath, type Corpus } from '../train/corpus.ts'

carryErrors() // workers' BaseErrors arrive with their fields (src/errors/transfer.ts)

/**
 * Wraps a worker so that every call also rejects when the worker reports an error: a worker that
 * fails to load never answers a comlink call, and the page must not wait forever.
 */
function guarded<Api>(worker: Worker): Remote<Api> {
  const failed = new Promise<never>((_, reject) =>
    worker.addEventListener(
      'error',
      (e) =>
        reject(
          new WorkerLoadError('A background worker failed.', {
            details: e.message || 'the worker failed to load',
            metaMessages: ['Reload the page to start it again.'],
          }),
        ),
      { once: true },
    ),
  )
  failed.catch(() => {}) // observed through the calls below
  const remote = wrap<Api>(worker)
  return new Proxy(remote, {
    get: (target, prop) => {
      const fn = Reflect.get(target, prop) as (...args: unknown[]) => Promise<unknown>
      return (...args: unknown[]) => Promise.race([fn(...args), failed])
    },
  }) as Remote<Api>
}

// Each `new Worker(new URL(…, import.meta.url))` stays literal so Vite bundles the worker.
export function startGpuWorker(): { worker: Worker; api: Remote<GpuWorkerApi> } {
  const worker = new Worker(new URL('../../workers/gpu.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<GpuWorkerApi>(worker) }
}

export function startTrainWorker(): { worker: Worker; api: Remote<TrainWorkerApi> } {
  const worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<TrainWorkerApi>(worker) }
}

export function startVerifyWorker(): { worker: Worker; api: Remote<VerifyWorkerApi> } {
  const worker = new Worker(new URL('../../workers/verify.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<VerifyWorkerApi>(worker) }
}

export function startGenerateWorker(): { worker: Worker; api: Remote<GenerateWorkerApi> } {
  const worker = new Worker(new URL('../../workers/generate.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<GenerateWorkerApi>(worker) }
}

export function startSettleWorker(): { worker: Worker; api: Remote<SettleWorkerApi> } {
  const worker = new Worker(new URL('../../workers/settle.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<SettleWorkerApi>(worker) }
}

export function startMarketWorker(): { worker: Worker; api: Remote<MarketWorkerApi> } {
  const worker = new Worker(new URL('../../workers/market.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<MarketWorkerApi>(worker) }
}

export function startSwarmWorker(): { worker: Worker; api: Remote<SwarmWorkerApi> } {
  const worker = new Worker(new URL('../../workers/swarm.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<SwarmWorkerApi>(worker) }
}

export function startTeachSwarmWorker(): { worker: Worker; api: Remote<TeachSwarmWorkerApi> } {
  const worker = new Worker(new URL('../../workers/teachSwarm.worker.ts', import.meta.url), {
    type: 'module',
  })
  return { worker, api: guarded<TeachSwarmWorkerApi>(worker) }
}

export function startRlSwarmWorker(): { worker: Worker; api: Remote<RlSwarmWorkerApi> } {
  const worker = new Worker(new URL('../../workers/rlSwarm.worker.ts', import.meta.url), { type: 'module' })
  return { worker, api: guarded<RlSwarmWorkerApi>(worker) }
}

/** Where the app serves a corpus (public/corpus/), whatever base path it is deployed under. */
export function corpusUrl(corpus: Corpus): string {
  return new URL(corpusPath(corpus), document.baseURI).href
}
