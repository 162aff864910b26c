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
  }
}

/** One line naming the adapter, for logs and benchmark records. */
export function adapterName(r: AdapterReport): string {
  return [r.vendor, r.architecture, r.device, r.description].filter(Boolean).join(' / ') || 'unknown adapter'
}
