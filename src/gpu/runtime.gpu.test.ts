import { describe, expect, it } from 'vitest'
import { Gpu } from './runtime.ts'
import { DeviceLimitError, DeviceLostError, KernelError } from '../errors/gpu.ts'
import source from '../../shaders/dot4.wgsl?raw'
import { withPrelude } from './shader.ts'

describe('Gpu runtime', () => {
  it('caches pipelines and reuses pooled buffers', async () => {
    const gpu = await Gpu.create()
    try {
      const code = withPrelude(source, { nativeDot4: false })
      expect(await gpu.pipeline(code)).toBe(await gpu.pipeline(code))
      const a = gpu.buffer(1000)
      gpu.release(a)
      expect(gpu.buffer(900)).toBe(a)
      expect(gpu.buffer(900)).not.toBe(a)
    } finally {
      gpu.destroy()
    }
  })

  it('refuses buffers and dispatches beyond the device limits with the limit named', async () => {
    const gpu = await Gpu.create()
    try {
      const max = gpu.limits.maxStorageBufferBindingSize
      expect(() => gpu.buffer(max + 4)).toThrow(DeviceLimitError)
      expect(() => gpu.buffer(max + 4)).toThrow(/maxStorageBufferBindingSize/)
      const pipeline = await gpu.pipeline(withPrelude(source, { nativeDot4: false }))
      const b = gpu.buffer(16)
      expect(() => gpu.dispatch(pipeline, new Uint32Array([1]), [b, b, b], [70000])).toThrow(
        /maxComputeWorkgroupsPerDimension/,
      )
    } finally {
      gpu.destroy()
    }
  })

  it('raises a GPU validation error as KernelError at the next read', async () => {
    const gpu = await Gpu.create()
    try {
      const pipeline = await gpu.pipeline(withPrelude(source, { nativeDot4: false }))
      const b = gpu.buffer(16)
      gpu.dispatch(pipeline, new Uint32Array([1]), [b, b], [1]) // one binding short
      await expect(gpu.read(b, 16)).rejects.toThrow(KernelError)
    } finally {
      gpu.destroy()
    }
  })

  it('turns a lost device into DeviceLostError on the next use', async () => {
    let reported: DeviceLostError | undefined
    const gpu = await Gpu.create({ onLost: (e) => (reported = e) })
    gpu.device.destroy() // as if the driver had reset: not through gpu.destroy()
    await expect.poll(() => reported).toBeInstanceOf(DeviceLostError)
    expect(() => gpu.buffer(16)).toThrow(/device was lost/)
  })

  it('says so when used after destroy()', async () => {
    const gpu = await Gpu.create()
    gpu.destroy()
    expect(() => gpu.buffer(16)).toThrow(/closed/)
  })
})
