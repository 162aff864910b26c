// The GPU worker: owns WebGPU so the page never blocks on device work. The page talks to it
// through comlink (src/state/gpuCheck.svelte.ts).
import { expose } from 'comlink'
import { probe } from '../src/gpu/probe.ts'
import { carryErrors } from '../src/errors/transfer.ts'

carryErrors()

const api = {
  probe: () => probe(),
}

export type GpuWorkerApi = typeof api

expose(api)
