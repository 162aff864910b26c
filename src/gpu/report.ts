/** What a visitor's GPU offers, as shown on the page and recorded beside benchmarks. */
export interface AdapterReport {
  vendor: string
  architecture: string
  device: string
  description: string
  /** The features Lockstep cares about, present or not. */
  features: Record<(typeof watchedFeatures)[number], boolean>
  /** WGSL language features Lockstep cares about, present or not. */
  wgslFeatures: Record<(typeof watchedWgslFeatures)[number], boolean>
  limits: Record<(typeof watchedLimits)[number], number>
  /** A CPU implementation of WebGPU (SwiftShader, lavapipe): the adapter's isFallbackAdapter. */
  fallback: boolean
  /** The widest subgroup the adapter runs (its SIMD width on a CPU adapter); 0 when it does not say. */
  subgroupMaxSize: number
}

export const watchedFeatures = ['shader-f16', 'subgroups', 'timestamp-query'] as const
export const watchedWgslFeatures = ['packed_4x8_integer_dot_product'] as const
export const watchedLimits = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const

export function describeAdapter(adapter: GPUAdapter, wgsl: ReadonlySet<string>): AdapterReport {
  const info = adapter.info
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    features: Object.fromEntries(
      watchedFeatures.map((f) => [f, adapter.features.has(f)]),
    ) as AdapterReport['features'],
    wgslFeatures: Object.fromEntries(
      watchedWgslFeatures.map((f) => [f, wgsl.has(f)]),
    ) as AdapterReport['wgslFeatures'],
    limits: Object.fromEntries(watchedLimits.map((l) => [l, adapter.limits[l]])) as AdapterReport['limits'],
    fallback: info.isFallbackAdapter ?? false,
    subgroupMaxSize: (info as { subgroupMaxSize?: number }).subgroupMaxSize ?? 0,
  }
}

/**
 * Threads per workgroup for the row kernels, which give each row one workgroup (norms, softmax,
 * cross-entropy, reduce): 64 on a GPU. A CPU adapter runs a workgroup as SIMD groups one after another,
 * each repeating the row's shared work (its sums' carries, divisions, square root), so there one SIMD
 * group per row is fastest: 4 lanes on SwiftShader, 8 on lavapipe, 4-7× faster per row kernel than 64
 * (docs/benchmarks.md). Any size gives the same bits.
 */
export function rowWorkgroupSize(r: AdapterReport): number {
  if (!r.fallback) return 64
  const width = r.subgroupMaxSize
  return Number.isInteger(width) && width >= 1 && width <= 64 ? width : 4
}

/** One line naming the adapter, for logs and benchmark records. */
export function adapterName(r: AdapterReport): string {
  return [r.vendor, r.architecture, r.device, r.description].filter(Boolean).join(' / ') || 'unknown adapter'
}
