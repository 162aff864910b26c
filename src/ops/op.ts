// What an op module declares, once: its kernels on each backend (the GPU launcher, the CPU reference
// with the GPU's bits, an independent float64 version), how the tape sends gradients through it, how a
// trace records it and a referee recomputes it, and the ONNX operators it runs (onnx.ts). The backends,
// the tape, the tracing backend, the dispute recompute and the ONNX runtime are built from the modules
// (registry.ts) and list no op of their own: adding an op is its module, its shader and its tests.
import type { Gpu } from '../gpu/runtime.ts'
import type { GpuTensor } from '../gpu/tensor.ts'
import type { OnnxOp } from './onnx.ts'
import type { ParamState, Stepper } from './stepper.ts'

/** The CPU reference backend's tensors: f32 values, the GPU's bits. */
export interface CpuTensor {
  data: Float32Array
  shape: readonly number[]
}

/** The float64 backend's tensors. */
export interface F64Tensor {
  data: Float64Array
  shape: readonly number[]
}

/**
 * The kernels of every backend over its tensor type T. Empty here: each op module adds its kernels'
 * signatures (`declare module './op.ts' { interface Kernels<T> { … } }`), so the Backend type is the
 * modules' and no central list of ops exists to fall out of date.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type
export interface Kernels<T> {}

/**
 * The tape's operations (differentiable, recorded for backward()), added by op modules as Kernels is.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type
export interface TapeOps<T> {}

/** What every backend has besides its kernels: tensors in and out, and views. */
export interface BackendCore<T> {
  readonly kind: 'cpu' | 'gpu'
  /** The largest tensor this backend can hold, in bytes, when it has such a limit. */
  readonly maxTensorBytes?: number
  upload(data: Float32Array, shape: readonly number[]): T
  download(t: T): Promise<Float32Array>
  shape(t: T): readonly number[]
  /** The same elements under another shape of equal size (no copy). */
  view(t: T, shape: readonly number[]): T
  release(...ts: T[]): void
  /** Several tensors back in one batch (one copy and one map on the GPU); else one download each. */
  downloadMany?(ts: readonly T[]): Promise<Float32Array[]>
  /**
   * Its own optimizer step and state commitment, kept where the tensors live (the GPU's, in
   * src/train/resident.ts); without one the trainer calls the kernels from the host (src/train/step.ts).
   */
  stepper?(state: readonly ParamState<T>[]): Stepper<T>
}

/**
 * The operations the training engine needs, over an opaque tensor type T. The CPU reference
 * (src/train/cpu.ts) and the GPU (src/train/gpu.ts) give the same bits; float64 (src/train/f64.ts)
 * checks them. The engine (autograd.ts, gpt.ts) is written once against this type.
 */
export type Backend<T> = BackendCore<T> & Kernels<T>

export type KernelName = keyof Kernels<unknown>

/** What the tape's rules use: the backend, gradients, ownership of what it allocates, the record. */
export interface TapeCore<T> {
  readonly be: Backend<T>
  grad(t: T): T | undefined
  /** Takes ownership of a tensor the tape made, so dispose() releases it. */
  own<U extends T>(t: U): U
  /** Adds g to t's gradient, in record order. */
  accumulate(t: T, g: T): Promise<void>
  /** Records how to send gradients back; backward() runs the records in reverse. */
  record(backward: () => Promise<void>): void
}

export type Tape<T> = TapeCore<T> & TapeOps<T>
export type TapeName = keyof TapeOps<unknown>

/** How a trace records one kernel call and a referee replays it (src/disputes/trace.ts). */
export interface TraceDef<K extends KernelName> {
  /** The call's tensor inputs (hashed) and its other arguments as JSON-able values (kept). */
  record<T>(...args: Parameters<Kernels<T>[K]>): { inputs: T[]; args: unknown[] }
  /** The call again from a record's inputs and arguments: what the referee recomputes. */
  replay<T>(be: Backend<T>, inputs: T[], args: never[]): ReturnType<Kernels<T>[K]>
  /**
   * The tensors the record hashes as outputs: by default the result (or each of an array, or a number
   * as a scalar hash); in-place kernels name their inputs.
   */
  outputs?<T>(result: Awaited<ReturnType<Kernels<T>[K]>>, inputs: T[]): T[]
}

/** One kernel on every backend, and its trace. */
export interface KernelDef<K extends KernelName> {
  /** The CPU reference: the kernel's TypeScript twin, so the GPU's bits. */
  cpu: Kernels<CpuTensor>[K]
  /** The WGSL kernel's launcher. */
  gpu(gpu: Gpu, ...args: Parameters<Kernels<GpuTensor>[K]>): ReturnType<Kernels<GpuTensor>[K]>
  /** Plain float64 arithmetic sharing no code with the kernels: what gradient checks compare with. */
  f64: Kernels<F64Tensor>[K]
  trace: TraceDef<K>
}

/** A tape entry: run the kernels forward, record the backward. */
export type TapeRule<K extends TapeName> = <T>(
  tape: Tape<T>,
  ...args: Parameters<TapeOps<T>[K]>
) => ReturnType<TapeOps<T>[K]>

export interface OpModule {
  /** The module's name (its file's). */
  name: string
  kernels?: { [K in KernelName]?: KernelDef<K> }
  tape?: { [K in TapeName]?: TapeRule<K> }
  /** ONNX operators by op_type. */
  onnx?: Record<string, OnnxOp>
}

/** Declares an op module; the identity, there for the types. */
export function defineOp<M extends OpModule>(module: M): M {
  return module
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
