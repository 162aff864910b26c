import source from '../../shaders/embedding.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'
import { empty, requireDType, type GpuTensor } from '../gpu/tensor.ts'
import { fixedAccumulate, fixedToF32Bits } from './fixed.ts'

/**
 * Rows of `table` ([vocab, dim], f32) picked by token id: [ids.length, dim]. Ids are checked on the
 * CPU first (a ShapeError names the first bad one); the shader would write zeros for any it missed.
 *
 * @example
 * const x = await embedding(gpu, wte, new Int32Array([15496, 995])) // [2, dim]
 */
export async function embedding(gpu: Gpu, table: GpuTensor, ids: Int32Array): Promise<GpuTensor> {
  requireDType('embedding', table, 'f32')
  const [vocab, dim] = tableShape('embedding', table.shape)
  checkIds('embedding', ids, vocab)
  const out = empty(gpu, [ids.length, dim])
  if (ids.length * dim === 0) return out
  const idBuf = gpu.upload(ids)
  await launch(gpu, 'embedding_forward', [ids.length, dim, vocab], [idBuf, table.buffer, out.buffer])
  gpu.release(idBuf)
  return out
}

/**
 * The gradient of {@link embedding} with respect to its table: [vocab, dim], where row v is the
 * exact fixed-point sum (rounded once) of the rows of `dout` ([ids.length, dim]) whose id is v, and
 * +0 for ids that do not occur. Deterministic: no atomics, and the order of tokens cannot matter.
 */
export async function embeddingBackward(
  gpu: Gpu,
  dout: GpuTensor,
  ids: Int32Array,
  vocab: number,
): Promise<GpuTensor> {
  requireDType('embeddingBackward', dout, 'f32')
  const dim = gradShape(dout.shape, ids, vocab)
  checkIds('embeddingBackward', ids, vocab)
  const dtable = empty(gpu, [vocab, dim])
  if (vocab * dim === 0) return dtable
  const { offsets, order } = bucketIds(ids, vocab)
  const bufs = [gpu.upload(offsets), gpu.upload(order)]
  await launch(gpu, 'embedding_backward', [ids.length, dim, vocab], [...bufs, dout.buffer, dtable.buffer])
  bufs.forEach((b) => gpu.release(b))
  return dtable
}

async function launch(gpu: Gpu, entryPoint: string, [tokens, dim, vocab]: number[], buffers: GPUBuffer[]) {
  const pipeline = await gpu.pipeline(shader('embedding', source, { nativeDot4: gpu.nativeDot4 }), {
    entryPoint,
  })
  const threads = (entryPoint === 'embedding_forward' ? tokens : vocab) * dim
  const groups = Math.ceil(threads / 64)
  const gx = Math.min(groups, gpu.limits.maxComputeWorkgroupsPerDimension)
  gpu.dispatch(pipeline, new Uint32Array([tokens, dim, vocab, gx]), buffers, [gx, Math.ceil(groups / gx)])
}

/** The CPU reference for the forward: a copy of rows (bits included). */
export function embeddingRef(table: Float32Array, shape: readonly number[], ids: Int32Array): Float32Array {
  const [vocab, dim] = tableShape('embedding', shape)
  if (table.length !== vocab * dim)
    throw new ShapeError(`embedding: table has ${table.length} values, not ${vocab * dim}.`)
  checkIds('embedding', ids, vocab)
  const out = new Float32Array(ids.length * dim)
  ids.forEach((id, t) => out.set(table.subarray(id * dim, (id + 1) * dim), t * dim))
  return out
}

/** The CPU reference for the backward ([tokens, dim] → [vocab, dim]), same fixed-point sums as the shader. */
export function embeddingBackwardRef(
  dout: Float32Array,
  shape: readonly number[],
  ids: Int32Array,
  vocab: number,
): Float32Array {
  const dim = gradShape(shape, ids, vocab)
  if (dout.length !== ids.length * dim) {
    throw new ShapeError(
      `embeddingBackward: the gradient has ${dout.length} values, not ${ids.length * dim}.`,
    )
  }
  checkIds('embeddingBackward', ids, vocab)
  const { offsets, order } = bucketIds(ids, vocab)
  const bits = new Uint32Array(dout.buffer, dout.byteOffset, dout.length)
  const out = new Uint32Array(vocab * dim)
  for (let v = 0; v < vocab; v++) {
    const terms = new Uint32Array(offsets[v + 1] - offsets[v])
    for (let c = 0; c < dim; c++) {
      terms.forEach((_, k) => (terms[k] = bits[order[offsets[v] + k] * dim + c]))
      out[v * dim + c] = fixedToF32Bits(fixedAccumulate(terms))
    }
  }
  return new Float32Array(out.buffer)
}

/** Token positions grouped by id (a counting sort): positions of v are order[offsets[v] .. offsets[v+1]]. */
export function bucketIds(ids: Int32Array, vocab: number): { offsets: Uint32Array; order: Uint32Array } {
  const offsets = new Uint32Array(vocab + 1)
  for (const id of ids) offsets[id + 1]++
  for (let v = 0; v < vocab; v++) offsets[v + 1] += offsets[v]
  const next = offsets.slice(0, vocab)
  const order = new Uint32Array(ids.length)
  ids.forEach((id, t) => (order[next[id]++] = t))
  return { offsets, order }
}

export function checkIds(op: string, ids: Int32Array, vocab: number): void {
  if (!(ids instanceof Int32Array)) throw new ShapeError(`${op}: token ids must be an Int32Array.`)
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      throw new ShapeError(
        `${op}: token id ${ids[i]} at position ${i} is outside the vocabulary [0, ${vocab}).`,
      )
    }
  }
}

function tableShape(op: string, shape: readonly number[]): [number, number] {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: the table must be [vocab, dim]; got [${shape.join(', ')}].`)
  }
  return [shape[0], shape[1]]
}

function gradShape(shape: readonly number[], ids: Int32Array, vocab: number): number {
  if (!Number.isInteger(vocab) || vocab < 1)
    throw new ShapeError(`embeddingBackward: vocab must be >= 1; got ${vocab}.`)
  if (shape.length !== 2 || shape[0] !== ids.length || !Number.isInteger(shape[1]) || shape[1] < 0) {
    throw new ShapeError(
      `embeddingBackward: the gradient must be [${ids.length}, dim] for ${ids.length} ids; got [${shape.join(', ')}].`,
    )
  }
  return shape[1]
}
