import { BaseError } from './base.ts'

/** The browser has no `navigator.gpu`, or it offers no adapter. */
export class WebGPUUnavailableError extends BaseError {
  override name = 'WebGPUUnavailableError'
}

/** The GPU device was lost (driver reset, tab backgrounded too long, out of memory). */
export class DeviceLostError extends BaseError {
  override name = 'DeviceLostError'
}

/** A kernel was called with shapes or dtypes that do not fit together. */
export class ShapeError extends BaseError {
  override name = 'ShapeError'
}

/** A buffer or dispatch would exceed what this device allows. */
export class DeviceLimitError extends BaseError {
  override name = 'DeviceLimitError'
}

/** A kernel failed on the GPU (validation error, compile error): a bug, reported with the driver's words. */
export class KernelError extends BaseError {
  override name = 'KernelError'
}

/** The GPU could not allocate memory for the work asked of it. */
export class GpuOutOfMemoryError extends BaseError {
  override name = 'GpuOutOfMemoryError'
}
