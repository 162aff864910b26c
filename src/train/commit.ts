// The v1 state commitment (state.ts) computed where the state lives: every tensor's leaf on the GPU,
// tensors in parallel (one keccak invocation each, shaders/keccak.wgsl), then the state hash from the
// leaves, with nothing read back. Same bytes hashed, so the same bits as state.ts (keccak.gpu.test.ts).
import type { Gpu } from '../gpu/runtime.ts'
import { numel, type GpuTensor } from '../gpu/tensor.ts'
import { DIGEST_WORDS, keccak, type KeccakJob } from '../kernels/keccak.ts'
import { leafPrefix, requireLittleEndian, statePrefix } from './state.ts'

export interface GpuNamedTensor {
  name: string
  shape: readonly number[]
  t: GpuTensor
}

/** The most bytes of tensors gathered for one dispatch: what the commitment adds to GPU memory. */
const GATHER_BYTES = 64 << 20

/**
 * Records the commitment to `tensors` (canonical order) at `step`; its 32 bytes land in `out` from
 * word `outWord`. The tensors are first copied side by side into one buffer (a dispatch can bind only
 * a few), in batches of up to 64 MiB (a larger tensor alone); each batch is one dispatch.
 */
export async function commitState(
  gpu: Gpu,
  step: number,
  tensors: readonly GpuNamedTensor[],
  out: GPUBuffer,
  outWord = 0,
  options: { gatherBytes?: number } = {},
): Promise<void> {
  requireLittleEndian()
  const leaves = gpu.buffer(Math.max(4, tensors.length * DIGEST_WORDS * 4))
  const limit = Math.min(options.gatherBytes ?? GATHER_BYTES, gpu.limits.maxStorageBufferBindingSize)
  const words = tensors.map((x) => numel(x.shape))
  for (let i = 0; i < tensors.length;) {
    const jobs: (KeccakJob & { t: GpuTensor })[] = []
    let at = 0
    for (; i < tensors.length && (!jobs.length || 4 * (at + words[i]) <= limit); i++) {
      const { name, shape, t } = tensors[i]
      jobs.push({ prefix: leafPrefix(name, shape), from: at, words: words[i], out: i * DIGEST_WORDS, t })
      at += words[i]
    }
    const gathered = gpu.buffer(Math.max(4, 4 * at))
    for (const j of jobs) if (j.words) gpu.copy(j.t.buffer, 0, gathered, 4 * j.from, 4 * j.words)
    await keccak(gpu, jobs, gathered, leaves)
    gpu.release(gathered)
  }
  const all = tensors.length * DIGEST_WORDS
  await keccak(gpu, [{ prefix: statePrefix(step), from: 0, words: all, out: outWord }], leaves, out)
  gpu.release(leaves)
}
