import { DeviceLimitError, DeviceLostError, GpuOutOfMemoryError, KernelError } from '../errors/gpu.ts'
import { acquireDevice, type AcquireOptions } from './device.ts'
import { rowWorkgroupSize, type AdapterReport } from './report.ts'
import type { Shader } from './shader.ts'

// The spec's fixed flag values. Spelled out so this module also loads in Node, where the
// GPUBufferUsage globals exist only after Dawn installs them.
const Usage = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  INDIRECT: 0x100,
} as const
const MAP_READ_MODE = 0x1
// INDIRECT: a kernel may write the workgroup counts of a later dispatch (see dispatchIndirect).
const storageUsage = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST | Usage.INDIRECT

/**
 * One GPU device and what kernels need around it: cached pipelines, pooled storage buffers,
 * and dispatches recorded into one command encoder until someone reads a result (per-dispatch
 * submission overhead dominates small models).
 */
export class Gpu {
  readonly device: GPUDevice
  readonly report: AdapterReport
  readonly nativeDot4: boolean
  /** The row kernels' default threads per workgroup for this adapter: see {@link rowWorkgroupSize}. */
  readonly rowWorkgroupSize: number
  #pipelines = new Map<string, Promise<GPUComputePipeline>>()
  #pool = new Map<number, GPUBuffer[]>()
  #encoder: GPUCommandEncoder | null = null
  #uniforms: GPUBuffer[] = []
  #lost: DeviceLostError | null = null
  #destroyed = false
  #gpuError: GPUError | null = null
  #allocated = 0
  #peak = 0
  #dispatches = 0

  private constructor(device: GPUDevice, report: AdapterReport, nativeDot4: boolean) {
    this.device = device
    this.report = report
    this.nativeDot4 = nativeDot4
    this.rowWorkgroupSize = rowWorkgroupSize(report)
    // Validation errors arrive asynchronously; keep the first and raise it at the next read
    // rather than let a bad dispatch silently produce zeros.
    device.addEventListener('uncapturederror', (e) => {
      this.#gpuError ??= (e as GPUUncapturedErrorEvent).error
    })
  }

  static async create(options: AcquireOptions & { forceEmulatedDot4?: boolean } = {}): Promise<Gpu> {
    const holder: { gpu?: Gpu } = {}
    const acquired = await acquireDevice({
      ...options,
      onLost: (e, reason) => {
        // Our own destroy() is not a loss; anything else (driver reset, someone else's destroy) is.
        const gpu = holder.gpu
        if (reason === 'destroyed' && gpu && gpu.#destroyed) return
        if (gpu) gpu.#lost = e
        options.onLost?.(e, reason)
      },
    })
    holder.gpu = new Gpu(acquired.device, acquired.report, acquired.nativeDot4 && !options.forceEmulatedDot4)
    return holder.gpu
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits
  }

  /**
   * A compute pipeline for this kernel (src/gpu/shader.ts) or plain WGSL text, entry point and override
   * constants, compiled once. A kernel's pipelines are cached under its id, so a launch costs no hashing
   * of shader text. Compile errors reject with the compiler's message.
   */
  pipeline(
    shader: Shader | string,
    options: { entryPoint?: string; constants?: Record<string, number> } = {},
  ): Promise<GPUComputePipeline> {
    const { id, code } = typeof shader === 'string' ? { id: shader, code: shader } : shader
    const entryPoint = options.entryPoint ?? 'main'
    const constants = options.constants ?? {}
    const key = `${id}\n${entryPoint}\n${JSON.stringify(constants)}`
    let p = this.#pipelines.get(key)
    if (!p) {
      const module = this.device.createShaderModule({ code })
      p = this.device.createComputePipelineAsync({
        layout: 'auto',
        compute: { module, entryPoint, constants },
      })
      this.#pipelines.set(key, p)
    }
    return p
  }

  /** A storage buffer of at least `bytes` bytes, reused from the pool when one is free. */
  buffer(bytes: number): GPUBuffer {
    this.#check()
    const max = this.device.limits.maxStorageBufferBindingSize
    if (bytes > max) {
      throw new DeviceLimitError(`A tensor of ${bytes} bytes does not fit in one GPU buffer here.`, {
        details: `maxStorageBufferBindingSize is ${max} bytes on this adapter.`,
      })
    }
    const size = sizeClass(bytes)
    const pooled = this.#pool.get(size)?.pop()
    if (pooled) return pooled
    this.#allocated += size
    this.#peak = Math.max(this.#peak, this.#allocated)
    return this.device.createBuffer({ size, usage: storageUsage })
  }

  /** Bytes of storage buffers this runtime holds (pooled or in use), and the most it ever held. */
  memory(): { allocated: number; peak: number } {
    return { allocated: this.#allocated, peak: this.#peak }
  }

  /** Dispatches recorded since this runtime was created (benchmarks count them per step). */
  get dispatches(): number {
    return this.#dispatches
  }

  /** Returns a buffer to the pool; the caller must not use it again. */
  release(buffer: GPUBuffer): void {
    const list = this.#pool.get(buffer.size) ?? []
    list.push(buffer)
    this.#pool.set(buffer.size, list)
  }

  upload(data: ArrayBufferView): GPUBuffer {
    const buffer = this.buffer(Math.max(data.byteLength, 4))
    // A pooled buffer may still be read by recorded work; queue writes run before unsubmitted
    // commands, so submit those first.
    if (this.#encoder) this.submit()
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength)
    return buffer
  }

  /**
   * Records one dispatch. Binding 0 is `uniforms` (if given), the buffers (or ranges of them) follow
   * in order; a `null` skips a binding the entry point does not use.
   */
  dispatch(
    pipeline: GPUComputePipeline,
    uniforms: ArrayBufferView | null,
    buffers: (GPUBuffer | GPUBufferBinding | null)[],
    workgroups: [number, number?, number?],
  ): void {
    this.#check()
    const maxGroups = this.device.limits.maxComputeWorkgroupsPerDimension
    for (const n of workgroups) {
      if (n !== undefined && n > maxGroups) {
        throw new DeviceLimitError(`A dispatch of ${n} workgroups exceeds this adapter's limit.`, {
          details: `maxComputeWorkgroupsPerDimension is ${maxGroups}.`,
        })
      }
    }
    this.#record(pipeline, uniforms, buffers, (pass) =>
      pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1),
    )
  }

  /**
   * Records one dispatch whose workgroup counts an earlier dispatch wrote: three u32 at `offset` of
   * `indirect`. The kernel that writes them keeps each within maxComputeWorkgroupsPerDimension.
   */
  dispatchIndirect(
    pipeline: GPUComputePipeline,
    uniforms: ArrayBufferView | null,
    buffers: (GPUBuffer | GPUBufferBinding | null)[],
    indirect: GPUBuffer,
    offset = 0,
  ): void {
    this.#check()
    this.#record(pipeline, uniforms, buffers, (pass) => pass.dispatchWorkgroupsIndirect(indirect, offset))
  }

  /** Records zeroing a buffer's first `bytes` bytes (a multiple of 4). */
  clear(buffer: GPUBuffer, bytes: number): void {
    this.#check()
    this.#encoder ??= this.device.createCommandEncoder()
    this.#encoder.clearBuffer(buffer, 0, bytes)
  }

  #record(
    pipeline: GPUComputePipeline,
    uniforms: ArrayBufferView | null,
    buffers: (GPUBuffer | GPUBufferBinding | null)[],
    dispatch: (pass: GPUComputePassEncoder) => void,
  ): void {
    const entries: GPUBindGroupEntry[] = []
    if (uniforms) {
      const u = this.device.createBuffer({
        size: Math.max(16, Math.ceil(uniforms.byteLength / 16) * 16),
        usage: Usage.UNIFORM | Usage.COPY_DST,
      })
      this.device.queue.writeBuffer(u, 0, uniforms.buffer, uniforms.byteOffset, uniforms.byteLength)
      this.#uniforms.push(u)
      entries.push({ binding: 0, resource: { buffer: u } })
    }
    const first = entries.length
    buffers.forEach((buffer, i) => {
      if (buffer) entries.push({ binding: first + i, resource: 'buffer' in buffer ? buffer : { buffer } })
    })
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries })
    this.#encoder ??= this.device.createCommandEncoder()
    const pass = this.#encoder.beginComputePass()
    pass.setPipeline(pipeline)
    pass.setBindGroup(0, bindGroup)
    dispatch(pass)
    pass.end()
    this.#dispatches++
  }

  /** Records a copy of `bytes` bytes between buffers (a multiple of 4, offsets too). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.#check()
    this.#encoder ??= this.device.createCommandEncoder()
    this.#encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes)
  }

  /** Submits everything recorded so far. */
  submit(): void {
    if (this.#encoder) {
      this.device.queue.submit([this.#encoder.finish()])
      this.#encoder = null
    }
    const done = this.#uniforms
    this.#uniforms = []
    if (done.length) void this.device.queue.onSubmittedWorkDone().then(() => done.forEach((b) => b.destroy()))
  }

  /** Copies `bytes` bytes of `buffer` back to the CPU, submitting pending work first. */
  async read(buffer: GPUBuffer, bytes = buffer.size): Promise<ArrayBuffer> {
    return (await this.readMany([{ buffer, bytes }]))[0]
  }

  /**
   * Copies several buffers' first bytes back at once: one staging buffer and one map per batch that
   * fits the adapter's buffer size (one for any training state that fits in GPU memory at all).
   */
  async readMany(parts: readonly { buffer: GPUBuffer; bytes: number }[]): Promise<ArrayBuffer[]> {
    this.#check()
    const max = this.device.limits.maxBufferSize
    const out: ArrayBuffer[] = []
    for (let i = 0; i < parts.length;) {
      const batch: { buffer: GPUBuffer; size: number; offset: number; bytes: number }[] = []
      let total = 0
      for (; i < parts.length; i++) {
        const size = Math.max(4, Math.ceil(parts[i].bytes / 4) * 4)
        if (batch.length && total + size > max) break
        batch.push({ buffer: parts[i].buffer, size, offset: total, bytes: parts[i].bytes })
        total += size
      }
      const staging = this.device.createBuffer({ size: total, usage: Usage.MAP_READ | Usage.COPY_DST })
      this.#encoder ??= this.device.createCommandEncoder()
      for (const b of batch) this.#encoder.copyBufferToBuffer(b.buffer, 0, staging, b.offset, b.size)
      this.submit()
      try {
        await staging.mapAsync(MAP_READ_MODE)
      } catch (cause) {
        this.#check()
        throw cause
      }
      const mapped = staging.getMappedRange()
      for (const b of batch) out.push(mapped.slice(b.offset, b.offset + b.bytes))
      staging.destroy()
      this.#check()
    }
    return out
  }

  /** Waits for all submitted work (benchmarks). */
  async finish(): Promise<void> {
    this.submit()
    await this.device.queue.onSubmittedWorkDone()
  }

  destroy(): void {
    this.#destroyed = true
    for (const list of this.#pool.values()) list.forEach((b) => b.destroy())
    this.#pool.clear()
    this.#allocated = 0
    this.device.destroy()
  }

  #check(): void {
    if (this.#lost) throw this.#lost
    if (this.#destroyed) throw new DeviceLostError('This GPU runtime was closed.')
    if (this.#gpuError) {
      const error = this.#gpuError
      this.#gpuError = null
      if (typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError) {
        throw new GpuOutOfMemoryError('The GPU ran out of memory.', {
          details: `${error.message} Lockstep held ${(this.#allocated / 2 ** 20).toFixed(1)} MiB of buffers; pick a smaller model or batch.`,
        })
      }
      throw new KernelError('A GPU command failed validation.', { details: error.message })
    }
  }
}

/** Buffers are pooled by size class: multiples of 256 bytes up to 64 KiB, then powers of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= 65536) return Math.max(256, Math.ceil(bytes / 256) * 256)
  return 2 ** Math.ceil(Math.log2(bytes))
}
