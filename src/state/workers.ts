import { wrap, type Remote } from 'comlink'
import type { GpuWorkerApi } from '../../workers/gpu.worker.ts'

/**
 * Starts the GPU worker. A worker that fails to load never answers a comlink call, so every
 * call also rejects when the worker reports an error.
 */
export function startGpuWorker(): { worker: Worker; api: Remote<GpuWorkerApi> } {
  const worker = new Worker(new URL('../../workers/gpu.worker.ts', import.meta.url), { type: 'module' })
  const failed = new Promise<never>((_, reject) =>
    worker.addEventListener('error', (e) => reject(new Error(e.message || 'the worker failed to load')), {
      once: true,
    }),
  )
  failed.catch(() => {}) // observed through the calls below
  const remote = wrap<GpuWorkerApi>(worker)
  const api = new Proxy(remote, {
    get: (target, prop) => {
      const fn = Reflect.get(target, prop) as (...args: unknown[]) => Promise<unknown>
      return (...args: unknown[]) => Promise.race([fn(...args), failed])
    },
  }) as Remote<GpuWorkerApi>
  return { worker, api }
}
