// Training data: a byte-level tokenizer, a fixed train/validation split and a seeded batch sampler.
// Given (corpus bytes, seed, step) anyone draws the same batch: integer arithmetic only.
import { ShapeError } from '../errors/gpu.ts'

/** Byte-level tokens: vocabulary 256, so any UTF-8 text round-trips. */
export const VOCAB = 256

export function encode(text: string): Int32Array {
  return Int32Array.from(new TextEncoder().encode(text))
}

export function decode(tokens: ArrayLike<number>): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(tokens as ArrayLike<number>))
}

export interface Split {
  train: Uint8Array
  val: Uint8Array
}

/**
 * The last `valFraction` of the corpus (cut at a line start when one is near) is held out. No default:
 * the fraction comes from the corpus descriptor (corpus.ts) or the receipt being replayed.
 */
export function splitCorpus(bytes: Uint8Array, valFraction: number): Split {
  let cut = Math.floor(bytes.length * (1 - valFraction))
  const newline = bytes.indexOf(10, cut)
  if (newline >= 0 && newline - cut < 1024) cut = newline + 1
  return { train: bytes.subarray(0, cut), val: bytes.subarray(cut) }
}

export interface BatchSpec {
  seed: number
  step: number
  batch: number
  seqLen: number
}

export interface Batch {
  /** [batch, seqLen] token ids. */
  inputs: Int32Array
  /** [batch, seqLen] the next token of each input. */
  targets: Int32Array
  /** Where each row starts in the split: what a verifier needs to check the batch. */
  offsets: Uint32Array
}

// A 32-bit integer hash (lowbias32): spreads (seed, step, row) over the corpus without state.
function mix(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/** Row r of step s: offset = hash(seed, s, r) mod (len − seqLen). */
export function sampleBatch(data: Uint8Array, spec: BatchSpec): Batch {
  const { seed, step, batch, seqLen } = spec
  if (!Number.isInteger(batch) || !Number.isInteger(seqLen) || batch < 1 || seqLen < 1) {
    throw new ShapeError(
      `Batch size and sequence length must be positive integers; got ${batch} and ${seqLen}.`,
    )
  }
  const span = data.length - seqLen
  if (span < 1)
    throw new ShapeError(`The data (${data.length} bytes) is shorter than one sequence of ${seqLen + 1}.`)
  const inputs = new Int32Array(batch * seqLen)
  const targets = new Int32Array(batch * seqLen)
  const offsets = new Uint32Array(batch)
  for (let r = 0; r < batch; r++) {
    const h = mix(mix(mix(seed >>> 0) ^ (step >>> 0)) ^ Math.imul(r + 1, 0x9e3779b9))
    const start = h % span
    offsets[r] = start
    for (let t = 0; t < seqLen; t++) {
      inputs[r * seqLen + t] = data[start + t]
      targets[r * seqLen + t] = data[start + t + 1]
    }
  }
  return { inputs, targets, offsets }
}
