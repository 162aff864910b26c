import source from '../../shaders/keccak.wgsl?raw'
import { bytesToHex, concat, keccak256, type Hex } from 'viem'
import { ShapeError } from '../errors/gpu.ts'
import { shader } from '../gpu/shader.ts'
import type { Gpu } from '../gpu/runtime.ts'

/** Words per job in the job table, and per digest. */
export const JOB_WORDS = 8
export const DIGEST_WORDS = 8
/** Invocations per workgroup (shaders/keccak.wgsl's). */
const WORKGROUP = 4

/** One message: `prefix`, then `words` u32 words of the data buffer from word `from`. */
export interface KeccakJob {
  prefix: Uint8Array
  from: number
  words: number
  /** Where the digest's 8 words go in the output buffer, in words. */
  out: number
}

/**
 * keccak256 of each job's message, as viem computes it, one GPU invocation per job: the digests are
 * written to `out` (8 words each, the digest's bytes in order). Records the dispatch.
 *
 * One invocation hashes a whole message because a sponge is serial: each 136-byte block is absorbed
 * into the state the previous one left. That is cheap for the state hash (a few KB) and for small
 * tensors, but a large tensor is one long serial chain: ~1 permutation (24 rounds on 50 u32 words) per
 * 136 bytes, so a 4 MB tensor (1M f32) is ~31k permutations on one GPU thread, a 100 MB model state
 * ~770k — the commitment, not the training arithmetic, then bounds the step time. The lever for models
 * of 25M+ parameters is a v2 commitment hashing fixed-size chunks in parallel under a tree (a new
 * commitment version with its own vectors); v1 here keeps every existing receipt's bits.
 *
 * @example
 * const prefix = new TextEncoder().encode('abc')
 * await keccak(gpu, [{ prefix, from: 0, words: 0, out: 0 }], null, out)
 */
export async function keccak(
  gpu: Gpu,
  jobs: readonly KeccakJob[],
  data: GPUBuffer | null,
  out: GPUBuffer,
): Promise<void> {
  if (jobs.length === 0) return
  if (Math.ceil(jobs.length / WORKGROUP) > gpu.limits.maxComputeWorkgroupsPerDimension)
    throw new ShapeError(`keccak: ${jobs.length} messages are more than one dispatch can hash.`)
  for (const j of jobs) {
    for (const [name, v] of Object.entries({ from: j.from, words: j.words, out: j.out }))
      if (!Number.isInteger(v) || v < 0)
        throw new ShapeError(`keccak: ${name} must be a word count; got ${v}.`)
    if (j.words && (!data || 4 * (j.from + j.words) > data.size))
      throw new ShapeError(`keccak: words [${j.from}, ${j.from + j.words}) lie outside the data buffer.`)
    if (4 * (j.out + DIGEST_WORDS) > out.size)
      throw new ShapeError(`keccak: digest at word ${j.out} lies outside the output buffer.`)
  }
  // Four invocations a workgroup, and a CPU rasteriser runs them as one 4-wide SIMD thread: longest
  // first, so that messages of similar length share one (the table's order is no part of the result).
  const sorted = [...jobs].sort((a, b) => b.prefix.length + 4 * b.words - (a.prefix.length + 4 * a.words))
  const table = gpu.upload(packJobs(sorted))
  // An entry point's bindings must all be bound; without data, any buffer (it is never read).
  const words = data ?? gpu.buffer(4)
  const pipeline = await gpu.pipeline(shader('keccak', source, { nativeDot4: gpu.nativeDot4 }), {
    entryPoint: 'keccak256',
  })
  gpu.dispatch(pipeline, null, [table, words, out], [Math.ceil(jobs.length / WORKGROUP)])
  gpu.release(table)
  if (!data) gpu.release(words)
}

/** The job table the shader reads: count, the jobs, then every prefix zero-padded to whole words. */
export function packJobs(jobs: readonly KeccakJob[]): Uint32Array {
  const head = 1 + jobs.length * JOB_WORDS
  const prefixWords = jobs.map((j) => Math.ceil(j.prefix.length / 4))
  const table = new Uint32Array(head + prefixWords.reduce((a, b) => a + b, 0))
  const bytes = new Uint8Array(table.buffer)
  table[0] = jobs.length
  let at = head
  jobs.forEach((j, i) => {
    table.set([at, j.prefix.length, j.from, j.words, j.out], 1 + i * JOB_WORDS)
    bytes.set(j.prefix, 4 * at) // little-endian words: byte order in memory is byte order hashed
    at += prefixWords[i]
  })
  return table
}

/** The CPU reference: keccak256(prefix ‖ the words as little-endian bytes), viem's. */
export function keccakRef(prefix: Uint8Array, words: Uint32Array = new Uint32Array(0)): Hex {
  return keccak256(concat([prefix, new Uint8Array(words.buffer, words.byteOffset, words.byteLength)]))
}

/** A digest as the shader writes it (8 words) in hex. */
export function digestHex(words: Uint32Array): Hex {
  if (words.length !== DIGEST_WORDS) throw new ShapeError(`A digest is 8 words; got ${words.length}.`)
  return bytesToHex(new Uint8Array(words.buffer, words.byteOffset, 32))
}
