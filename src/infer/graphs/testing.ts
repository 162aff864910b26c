// Shared by the test-graph tests: feeds for the decoders' HF I/O and the comparison with onnxruntime.
import type { Tensor } from '../model.ts'

/** A host tensor as the runtime takes it. */
export const int64 = (dims: number[], values: number[]): Tensor => ({
  type: 'int64',
  dims,
  data: BigInt64Array.from(values, BigInt),
})

/** Decoder feeds: ids [1, s] after `past` cached positions, mask of ones, position_ids, the cache. */
export function decoderFeeds(
  ids: number[],
  cache: Map<string, Tensor>,
  opts: { layers: number; kvHeads: number; headDim: number; positionIds: boolean; mask?: number[] },
): Map<string, Tensor> {
  const past = cache.size ? cache.get('past_key_values.0.key')!.dims[2] : 0
  const s = ids.length
  const feeds = new Map<string, Tensor>()
  feeds.set('input_ids', int64([1, s], ids))
  feeds.set('attention_mask', int64([1, past + s], opts.mask ?? new Array<number>(past + s).fill(1)))
  if (opts.positionIds)
    feeds.set(
      'position_ids',
      int64(
        [1, s],
        ids.map((_, i) => past + i),
      ),
    )
  for (let l = 0; l < opts.layers; l++)
    for (const kv of ['key', 'value']) {
      const name = `past_key_values.${l}.${kv}`
      feeds.set(
        name,
        cache.get(name) ?? {
          type: 'float',
          dims: [1, opts.kvHeads, 0, opts.headDim],
          data: new Float32Array(0),
        },
      )
    }
  return feeds
}

/** The presents of one step as the next step's cache (HF: present.N.* fed back as past_key_values.N.*). */
export function nextCache(outputs: Map<string, Tensor>): Map<string, Tensor> {
  const cache = new Map<string, Tensor>()
  for (const [name, t] of outputs)
    if (name.startsWith('present.')) cache.set(name.replace('present.', 'past_key_values.'), t)
  return cache
}

/** max |a - b| / max |b|: the error relative to the output's scale. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let err = 0
  let scale = 0
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return err / scale
}

/** The decoders' cache layout, from their configs. */
export const gpt2Layout = (c: { nLayer: number; nHead: number; dModel: number; positionIds: boolean }) => ({
  layers: c.nLayer,
  kvHeads: c.nHead,
  headDim: c.dModel / c.nHead,
  positionIds: c.positionIds,
})
export const llamaLayout = (c: { nLayer: number; nHead: number; nKvHead: number; dModel: number }) => ({
  layers: c.nLayer,
  kvHeads: c.nKvHead,
  headDim: c.dModel / c.nHead,
  positionIds: true,
})

/** onnxruntime's name for each of the runtime's element types. */
export const ORT_TYPE = {
  float: 'float32',
  int64: 'int64',
  bool: 'bool',
  int8: 'int8',
  uint8: 'uint8',
  int32: 'int32',
} as const

/** The element types these test graphs hold (the decoder/encoder ones; GraphBuilder's). */
export type GraphType = 'float' | 'int64' | 'bool'
