import type { Remote } from 'comlink'
import type { ProbeResult } from '../gpu/probe.ts'
import type { GpuWorkerApi } from '../../workers/gpu.worker.ts'
import { startGpuWorker } from './workers.ts'

/** The page's view of the GPU check: runs the probe in the GPU worker and keeps its result. */
export class GpuCheck {
  status = $state<'idle' | 'running' | 'done'>('idle')
  result = $state<ProbeResult | null>(null)
  #worker: Worker | null = null
  #api: Remote<GpuWorkerApi> | null = null

  async run(): Promise<void> {
    this.status = 'running'
    this.result = null
    try {
      if (!this.#api) ({ worker: this.#worker, api: this.#api } = startGpuWorker())
      this.result = await this.#api.probe()
    } catch (e) {
      // The worker itself failed (did not load, crashed): say so instead of a blank panel.
      this.result = {
        ok: false,
        reason: 'The GPU worker stopped unexpectedly.',
        details: e instanceof Error ? e.message : String(e),
      }
    } finally {
      this.status = 'done'
    }
  }

  dispose(): void {
    this.#worker?.terminate()
    this.#worker = null
    this.#api = null
  }
}
