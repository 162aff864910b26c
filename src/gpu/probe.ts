import { WebGPUUnavailableError } from '../errors/gpu.ts'
import { dot4, dot4RefArray } from '../kernels/dot4.ts'
import { sha256Hex } from '../util/hash.ts'
import { randomWords } from '../util/random.ts'
import type { AdapterReport } from './report.ts'
import { Gpu } from './runtime.ts'

/** A short run of real kernels whose output must equal the CPU reference bit for bit. */
export interface SelfTest {
  kernel: string
  count: number
  /** SHA-256 of the GPU output bytes; the same on every adapter that passes. */
  outputHash: string
  referenceHash: string
  matchesReference: boolean
  path: 'native dot4I8Packed' | 'emulated dot4'
  ms: number
}

export type ProbeResult =
  { ok: true; report: AdapterReport; selfTest: SelfTest } | { ok: false; reason: string; details?: string }

/** Opens the GPU, describes it, and checks that it computes the reference bits. */
export async function probe(options: { gpu?: GPU } = {}): Promise<ProbeResult> {
  let gpu: Gpu
  try {
    gpu = await Gpu.create({ gpu: options.gpu })
  } catch (e) {
    if (e instanceof WebGPUUnavailableError) return { ok: false, reason: e.shortMessage, details: e.details }
    return {
      ok: false,
      reason: 'Opening the GPU failed.',
      details: e instanceof Error ? e.message : String(e),
    }
  }
  try {
    const count = 4096
    const a = randomWords(count, 0x10c5)
    const b = randomWords(count, 0x57e9)
    const start = performance.now()
    const out = await dot4(gpu, a, b)
    const ms = performance.now() - start
    const ref = dot4RefArray(a, b)
    const [outputHash, referenceHash] = await Promise.all([sha256Hex(out), sha256Hex(ref)])
    return {
      ok: true,
      report: gpu.report,
      selfTest: {
        kernel: 'dot4 (packed int8 dot product)',
        count,
        outputHash,
        referenceHash,
        matchesReference: outputHash === referenceHash,
        path: gpu.nativeDot4 ? 'native dot4I8Packed' : 'emulated dot4',
        ms,
      },
    }
  } finally {
    gpu.destroy()
  }
}
