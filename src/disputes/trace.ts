// A Backend wrapper that records every operator of a step: its name, arguments, and the hashes of its
// input and output tensors, keeping the values so a referee can recompute any single operator.
// Two parties' traces of the same step can then be bisected to the first operator they disagree on.
// Every kernel of the op modules (src/ops/) is traced and recomputed through its module's trace entry.
import { keccak256, toBytes, type Hex } from 'viem'
import { TraceError } from '../errors/dispute.ts'
import type { Backend, BackendCore, Kernels } from '../ops/op.ts'
import { KERNELS, type AnyKernel } from '../ops/registry.ts'
import { keccak256Hex } from '../util/keccak.ts'

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
  return keccak256Hex([header, new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength)])
}

const scalarHash = (x: number) =>
  keccak256(toBytes(`f32:${new Uint32Array(new Float32Array([x]).buffer)[0]}`))

// The class and the interface merge: the kernels are wrapped in the constructor, typed by the modules.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TracingBackend<T> extends Kernels<T> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class TracingBackend<T> implements BackendCore<T> {
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
    for (const k of KERNELS.values())
      Object.assign(this, { [k.name]: (...args: unknown[]) => this.#traced(k, args) })
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

  /**
   * One kernel call, recorded: its inputs hashed before it runs (in-place kernels overwrite them), then
   * its outputs (after `tamper`, when a test plants a lie), or the scalar it returns.
   */
  async #traced(k: AnyKernel, params: unknown[]): Promise<unknown> {
    const { inputs, args } = k.trace.record(...params)
    const record: OpRecord = { index: this.records.length, op: k.name, args, inputs: [], outputs: [] }
    for (const t of inputs) record.inputs.push(await this.#hash(t as T))
    const run = (this.#inner as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[k.name]
    const result = await run(...params)
    const outputs = outputsOf(k, result, inputs)
    if (typeof outputs === 'number') record.outputs.push(scalarHash(outputs))
    else {
      await this.tamper?.(record, outputs as T[])
      for (const t of outputs as T[]) {
        this.#hashes.delete(t as object) // in-place updates change a tensor's value
        record.outputs.push(await this.#hash(t))
      }
    }
    this.records.push(record)
    return result
  }

  upload = (data: Float32Array, shape: readonly number[]) => this.#inner.upload(data, shape)
  download = (t: T) => this.#inner.download(t)
  shape = (t: T) => this.#inner.shape(t)
  view = (t: T, shape: readonly number[]) => this.#inner.view(t, shape)
  release = (...ts: T[]) => this.#inner.release(...ts)
}

/** The tensors a kernel's record hashes as outputs, or the number it returned. */
function outputsOf(k: AnyKernel, result: unknown, inputs: unknown[]): unknown[] | number {
  if (k.trace.outputs) return k.trace.outputs(result, inputs)
  if (typeof result === 'number') return result
  return Array.isArray(result) ? result : [result]
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
  const k = KERNELS.get(record.op)
  if (!k) throw new TraceError(`Operator ${record.index}: unknown op ${record.op}.`)
  const inputs = record.inputs.map((h) => {
    const v = values.get(h)
    if (!v || tensorHash(v) !== h)
      throw new TraceError(`Operator ${record.index} (${record.op}): no value for input ${h}.`)
    return be.upload(v.data.slice(), v.shape)
  })
  const outputs = outputsOf(k, await k.trace.replay(be, inputs, record.args), inputs)
  if (typeof outputs === 'number') return [scalarHash(outputs)]
  const hashOf = async (t: T) => tensorHash({ shape: [...be.shape(t)], data: await be.download(t) })
  return Promise.all((outputs as T[]).map(hashOf))
}
