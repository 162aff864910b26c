import { DeviceLostError, WebGPUUnavailableError } from '../errors/gpu.ts'
import { describeAdapter, type AdapterReport } from './report.ts'

export interface AcquireOptions {
  /** The WebGPU entry point; defaults to `navigator.gpu`. Node passes Dawn's (`webgpu` package). */
  gpu?: GPU
  powerPreference?: GPUPowerPreference
  /** Ask for `timestamp-query` when the adapter has it (benchmarks). */
  timestamps?: boolean
  /**
   * Ask for lower limits than the adapter allows (never higher): to behave like a smaller GPU, e.g.
   * in tests of what happens when a model does not fit.
   */
  limits?: Partial<Record<(typeof raisedLimits)[number], number>>
  /**
   * Called once if the device is lost after acquisition, with the reason: 'destroyed' when
   * device.destroy() was called (by us or by anyone holding the device), else 'unknown'.
   */
  onLost?: (error: DeviceLostError, reason: GPUDeviceLostReason) => void
}

export interface Acquired {
  adapter: GPUAdapter
  device: GPUDevice
  report: AdapterReport
  /** Whether WGSL's `dot4I8Packed` is native here; otherwise kernels use the exact emulation. */
  nativeDot4: boolean
}

// Limits we raise to the adapter's maximum: big models need big storage buffers.
const raisedLimits = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const

export async function acquireDevice(options: AcquireOptions = {}): Promise<Acquired> {
  const gpu = options.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined)
  if (!gpu) {
    throw new WebGPUUnavailableError('This browser does not offer WebGPU.', {
      details: 'navigator.gpu is undefined (WebGPU disabled, unsupported browser, or an insecure origin).',
    })
  }
  let adapter: GPUAdapter | null
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' })
  } catch (cause) {
    throw new WebGPUUnavailableError('The browser could not open a GPU adapter.', { cause })
  }
  if (!adapter) {
    throw new WebGPUUnavailableError('WebGPU is present but no GPU adapter is available.', {
      details: 'requestAdapter() returned null (GPU blocklisted, disabled by flags, or no usable driver).',
    })
  }
  const requiredLimits: Record<string, number> = {}
  for (const name of raisedLimits)
    requiredLimits[name] = Math.min(adapter.limits[name], options.limits?.[name] ?? Infinity)
  const requiredFeatures: GPUFeatureName[] = []
  if (options.timestamps && adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query')

  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures })
  device.lost.then((info) => {
    const error = new DeviceLostError('The GPU device was lost; reload the page to start it again.', {
      details: `${info.reason}: ${info.message}`,
    })
    options.onLost?.(error, info.reason)
  })
  const wgsl = gpu.wgslLanguageFeatures ?? new Set<string>()
  const report = describeAdapter(adapter, wgsl)
  return { adapter, device, report, nativeDot4: report.wgslFeatures.packed_4x8_integer_dot_product }
}
