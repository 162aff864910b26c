// A WebGPU entry point that runs nothing: buffers have a size and no memory, dispatches are dropped,
// reads return zeros. The engine runs on it unchanged, so the runtime's own accounting (Gpu.memory())
// counts exactly the storage buffers a model's step allocates, without a GPU and in milliseconds
// (src/train/memory.ts). Not for results: every value read back is zero.

/** The limits it offers: WebGPU's defaults, with storage buffers as large as a discrete GPU allows. */
const limits = {
  maxStorageBufferBindingSize: 2 ** 31,
  maxBufferSize: 2 ** 31,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 10,
  maxUniformBufferBindingSize: 65536,
  maxBindGroups: 4,
  maxBindingsPerBindGroup: 1000,
  minStorageBufferOffsetAlignment: 256,
  minUniformBufferOffsetAlignment: 256,
}

const noop = () => {}

function dryBuffer(size: number) {
  return {
    size,
    mapAsync: async () => {},
    getMappedRange: () => new ArrayBuffer(size),
    unmap: noop,
    destroy: noop,
  }
}

function dryDevice() {
  const pass = {
    setPipeline: noop,
    setBindGroup: noop,
    dispatchWorkgroups: noop,
    dispatchWorkgroupsIndirect: noop,
    end: noop,
  }
  const pipeline = { getBindGroupLayout: () => ({}) }
  return {
    limits,
    features: new Set<string>(),
    lost: new Promise(noop),
    queue: { writeBuffer: noop, submit: noop, onSubmittedWorkDone: async () => {} },
    createBuffer: ({ size }: { size: number }) => dryBuffer(size),
    createShaderModule: () => ({ getCompilationInfo: async () => ({ messages: [] }) }),
    createComputePipeline: () => pipeline,
    createComputePipelineAsync: async () => pipeline,
    createBindGroup: () => ({}),
    createCommandEncoder: () => ({
      beginComputePass: () => pass,
      copyBufferToBuffer: noop,
      clearBuffer: noop,
      finish: () => ({}),
    }),
    pushErrorScope: noop,
    popErrorScope: async () => null,
    addEventListener: noop,
    destroy: noop,
  }
}

/** The entry point (what `navigator.gpu` or Dawn's `create()` would be). */
export function dryRunGpu(): GPU {
  const adapter = {
    limits,
    features: new Set<string>(),
    info: {
      vendor: 'lockstep',
      architecture: 'dry run',
      device: '',
      description: 'counts buffers, runs nothing',
    },
    requestDevice: async () => dryDevice(),
  }
  return {
    requestAdapter: async () => adapter,
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: new Set(['packed_4x8_integer_dot_product']),
  } as unknown as GPU
}
