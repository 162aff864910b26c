// A Backend wrapper that records every operator of a step: its name, arguments, and the hashes of its
// input and output tensors, keeping the values so a referee can recompute any single operator.
// Two parties' traces of the same step can then be bisected to the first operator they disagree on.
import { concat, keccak256, toBytes, type Hex } from 'viem'
import type { AdamHyper, Backend } from '../train/backend.ts'

export interface OpRecord {
  index: number
  op: string
  /** Non-tensor arguments (options, ids, scalars), as plain JSON-able values. */
  args: unknown[]
  inputs: Hex[]
  outputs: Hex[]
}

export interface TensorValue {
  shape: number[]
  data: Float32Array
}

export function tensorHash(v: TensorValue): Hex {
  const header = new Uint8Array(4 * (1 + v.shape.length))
  const view = new DataView(header.buffer)
  view.setUint32(0, v.shape.length, true)
  v.shape.forEach((d, i) => view.setUint32(4 * (i + 1), d, true))
  return keccak256(concat([header, new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength)]))
}

const scalarHash = (x: number) =>
  keccak256(toBytes(`f32:${new Uint32Array(new Float32Array([x]).buffer)[0]}`))

export class TracingBackend<T> implements Backend<T> {
  readonly kind: 'cpu' | 'gpu'
  readonly maxTensorBytes?: number
  readonly records: OpRecord[] = []
  readonly values = new Map<Hex, TensorValue>()
  #inner: Backend<T>
  #hashes = new WeakMap<object, Hex>()
  /** Changes an operator's outputs before they are recorded: how tests plant a cheating producer. */
  tamper?: (record: OpRecord, outputs: T[]) => Promise<void>

  constructor(inner: Backend<T>) {
    this.#inner = inner
    this.kind = inner.kind
    this.maxTensorBytes = inner.maxTensorBytes
  }

  /** Drops the trace (between steps). */
  reset(): void {
    this.records.length = 0
    this.values.clear()
    this.#hashes = new WeakMap()
  }

  async #hash(t: T): Promise<Hex> {
    const known = this.#hashes.get(t as object)
    if (known) return known
    const v = { shape: [...this.#inner.shape(t)], data: await this.#inner.download(t) }
    const h = tensorHash(v)
    this.values.set(h, v)
    this.#hashes.set(t as object, h)
    return h
  }

  async #record(op: string, args: unknown[], inputs: T[], outputs: T[]): Promise<void> {
    const record: OpRecord = { index: this.records.length, op, args, inputs: [], outputs: [] }
    for (const t of inputs) record.inputs.push(await this.#hash(t))
    await this.tamper?.(record, outputs)
    for (const t of outputs) {
      this.#hashes.delete(t as object) // in-place updates change a tensor's value
      record.outputs.push(await this.#hash(t))
    }
    this.records.push(record)
  }

  async #one(op: string, args: unknown[], inputs: T[], run: Promise<T>): Promise<T> {
    const out = await run
    await this.#record(op, args, inputs, [out])
    return out
  }

  upload = (data: Float32Array, shape: readonly number[]) => this.#inner.upload(data, shape)
  download = (t: T) => this.#inner.download(t)
  shape = (t: T) => this.#inner.shape(t)
  view = (t: T, shape: readonly number[]) => this.#inner.view(t, shape)
  release = (...ts: T[]) => this.#inner.release(...ts)

  matmul = (a: T, b: T, o: { transA?: boolean; transB?: boolean } = {}) =>
    this.#one('matmul', [o], [a, b], this.#inner.matmul(a, b, o))
  add = (a: T, b: T) => this.#one('add', [], [a, b], this.#inner.add(a, b))
  scale = (x: T, s: number) => this.#one('scale', [s], [x], this.#inner.scale(x, s))
  gelu = (x: T) => this.#one('gelu', [], [x], this.#inner.gelu(x))
  geluGrad = (x: T, dy: T) => this.#one('geluGrad', [], [x, dy], this.#inner.geluGrad(x, dy))
  columnSums = (x: T) => this.#one('columnSums', [], [x], this.#inner.columnSums(x))
  embedding = (t: T, ids: Int32Array) =>
    this.#one('embedding', [Array.from(ids)], [t], this.#inner.embedding(t, ids))
  embeddingGrad = (dy: T, ids: Int32Array, vocab: number) =>
    this.#one('embeddingGrad', [Array.from(ids), vocab], [dy], this.#inner.embeddingGrad(dy, ids, vocab))
  permute = (x: T, order: readonly number[]) =>
    this.#one('permute', [[...order]], [x], this.#inner.permute(x, order))
  softmaxCausal = (x: T) => this.#one('softmaxCausal', [], [x], this.#inner.softmaxCausal(x))
  softmaxCausalGrad = (y: T, dy: T) =>
    this.#one('softmaxCausalGrad', [], [y, dy], this.#inner.softmaxCausalGrad(y, dy))
  crossEntropy = (l: T, targets: Int32Array) =>
    this.#one('crossEntropy', [Array.from(targets)], [l], this.#inner.crossEntropy(l, targets))
  crossEntropyGrad = (l: T, targets: Int32Array) =>
    this.#one('crossEntropyGrad', [Array.from(targets)], [l], this.#inner.crossEntropyGrad(l, targets))

  split = async (x: T, parts: number) => {
    const outs = await this.#inner.split(x, parts)
    await this.#record('split', [parts], [x], outs)
    return outs
  }
  concat = async (ts: readonly T[]) => this.#one('concat', [], [...ts], this.#inner.concat(ts))
  layernorm = async (x: T, g: T, b: T) => {
    const r = await this.#inner.layernorm(x, g, b)
    await this.#record('layernorm', [], [x, g, b], [r.y, r.saved.mean, r.saved.std])
    return r
  }
  layernormGrad = async (x: T, g: T, saved: { mean: T; std: T }, dy: T) => {
    const r = await this.#inner.layernormGrad(x, g, saved, dy)
    await this.#record('layernormGrad', [], [x, g, saved.mean, saved.std, dy], [r.dx, r.dgamma, r.dbeta])
    return r
  }
  gradNorm = async (ts: readonly T[]) => {
    const norm = await this.#inner.gradNorm(ts)
    const record: OpRecord = {
      index: this.records.length,
      op: 'gradNorm',
      args: [],
      inputs: [],
      outputs: [scalarHash(norm)],
    }
    for (const t of ts) record.inputs.push(await this.#hash(t))
    this.records.push(record)
    return norm
  }
  adamw = async (p: T, g: T, m: T, v: T, h: AdamHyper) => {
    const inputs = [await this.#hash(p), await this.#hash(g), await this.#hash(m), await this.#hash(v)]
    await this.#inner.adamw(p, g, m, v, h)
    const record: OpRecord = { index: this.records.length, op: 'adamw', args: [h], inputs, outputs: [] }
    await this.tamper?.(record, [p, m, v])
    for (const t of [p, m, v]) {
      this.#hashes.delete(t as object)
      record.outputs.push(await this.#hash(t))
    }
    this.records.push(record)
  }
}

/**
 * The referee: recomputes one recorded operator from its input values on `be` (any backend with the
 * reference bits) and returns the output hashes. Inputs are looked up by hash and checked.
 */
export async function recompute<T>(
  be: Backend<T>,
  record: OpRecord,
  values: ReadonlyMap<Hex, TensorValue>,
): Promise<Hex[]> {
  const inputs = record.inputs.map((h) => {
    const v = values.get(h)
    if (!v || tensorHash(v) !== h)
      throw new Error(`operator ${record.index} (${record.op}): no value for input ${h}`)
    return be.upload(v.data.slice(), v.shape)
  })
  const hashOf = async (t: T) => tensorHash({ shape: [...be.shape(t)], data: await be.download(t) })
  const a = record.args as never[]
  const ints = (x: unknown) => Int32Array.from(x as number[])
  const i = inputs
  switch (record.op) {
    case 'matmul':
      return [await hashOf(await be.matmul(i[0], i[1], a[0]))]
    case 'add':
      return [await hashOf(await be.add(i[0], i[1]))]
    case 'scale':
      return [await hashOf(await be.scale(i[0], a[0]))]
    case 'gelu':
      return [await hashOf(await be.gelu(i[0]))]
    case 'geluGrad':
      return [await hashOf(await be.geluGrad(i[0], i[1]))]
    case 'columnSums':
      return [await hashOf(await be.columnSums(i[0]))]
    case 'embedding':
      return [await hashOf(await be.embedding(i[0], ints(a[0])))]
    case 'embeddingGrad':
      return [await hashOf(await be.embeddingGrad(i[0], ints(a[0]), a[1]))]
    case 'permute':
      return [await hashOf(await be.permute(i[0], a[0]))]
    case 'softmaxCausal':
      return [await hashOf(await be.softmaxCausal(i[0]))]
    case 'softmaxCausalGrad':
      return [await hashOf(await be.softmaxCausalGrad(i[0], i[1]))]
    case 'crossEntropy':
      return [await hashOf(await be.crossEntropy(i[0], ints(a[0])))]
    case 'crossEntropyGrad':
      return [await hashOf(await be.crossEntropyGrad(i[0], ints(a[0])))]
    case 'split':
      return Promise.all((await be.split(i[0], a[0])).map(hashOf))
    case 'concat':
      return [await hashOf(await be.concat(i))]
    case 'layernorm': {
      const r = await be.layernorm(i[0], i[1], i[2])
      return [await hashOf(r.y), await hashOf(r.saved.mean), await hashOf(r.saved.std)]
    }
    case 'layernormGrad': {
      const r = await be.layernormGrad(i[0], i[1], { mean: i[2], std: i[3] }, i[4])
      return [await hashOf(r.dx), await hashOf(r.dgamma), await hashOf(r.dbeta)]
    }
    case 'gradNorm':
      return [scalarHash(await be.gradNorm(i))]
    case 'adamw': {
      await be.adamw(i[0], i[1], i[2], i[3], a[0])
      return [await hashOf(i[0]), await hashOf(i[2]), await hashOf(i[3])]
    }
    default:
      throw new Error(`operator ${record.index}: unknown op ${record.op}`)
  }
}
