import { describe, expect, it } from 'vitest'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import type { DType, GpuTensor } from '../gpu/tensor.ts'
import * as ew from './elementwise.ts'
import { NAN_BITS } from './softfloat.ts'
import { adversarialF32 } from './testing.ts'

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length))

describe('elementwise references', () => {
  it('broadcast a bias row exactly as tiling it would', () => {
    const [rows, cols] = [5, 3]
    const a = adversarialF32(rows * cols, 1, { nonFinite: true })
    const bias = adversarialF32(cols, 2, { nonFinite: true })
    const tiled = new Float32Array(rows * cols).map((_, i) => bias[i % cols])
    for (const op of ew.BINARY_OPS)
      expect(bits(ew.binaryRef(op, a, bias))).toEqual(bits(ew.binaryRef(op, a, tiled)))
  })

  it('store every NaN result as the canonical 0x7fc00000', () => {
    const x = new Float32Array(new Uint32Array([0xffc00001, 0x7f800001, 0xbf800000]).buffer)
    expect(bits(ew.unaryRef('neg', x))).toEqual([NAN_BITS, NAN_BITS, 0x3f800000])
    expect(bits(ew.unaryRef('log', x))).toEqual([NAN_BITS, NAN_BITS, NAN_BITS])
    expect(bits(ew.gradRef('relu', x, new Float32Array(3)))).toEqual([NAN_BITS, NAN_BITS, 0])
  })

  it('define relu at the edges: -0 and negatives give +0, NaN stays NaN', () => {
    expect(bits(ew.unaryRef('relu', new Float32Array([-0, -1, 2, NaN])))).toEqual([
      0,
      0,
      0x40000000,
      NAN_BITS,
    ])
  })

  it('round the scale factor to f32 before multiplying', () => {
    expect(ew.scaleRef(new Float32Array([1]), 0.1)[0]).toBe(Math.fround(0.1))
    expect(ew.scaleRef(new Float32Array([3]), 2 ** -200)[0]).toBe(0)
  })

  it('reject operands that do not fit together', () => {
    expect(() => ew.binaryRef('add', new Float32Array(6), new Float32Array(4))).toThrow(ShapeError)
    expect(() => ew.binaryRef('add', new Float32Array(6), new Float32Array(0))).toThrow(
      /0 values do not tile 6/,
    )
    expect(() => ew.gradRef('tanh', new Float32Array(2), new Float32Array(3))).toThrow(
      /x has 2 values but dy 3/,
    )
  })
})

describe('the dispatch grid', () => {
  it('stays one row until the per-dimension limit, then adds rows', () => {
    expect(ew.grid(1, 65535)).toEqual([1, 1])
    expect(ew.grid(65535, 65535)).toEqual([65535, 1])
    expect(ew.grid(65536, 65535)).toEqual([65535, 2])
    for (const groups of [7, 100_000, 3_000_000]) {
      const [x, y] = ew.grid(groups, 65535)
      expect(x).toBeLessThanOrEqual(65535)
      expect(x * y).toBeGreaterThanOrEqual(groups)
      expect(x * (y - 1)).toBeLessThan(groups)
    }
  })
})

describe('elementwise launchers validate before touching the GPU', () => {
  // Any use of this "GPU" throws a TypeError, so a ShapeError proves the check came first.
  const gpu = new Proxy({}, { get: () => undefined }) as unknown as Gpu
  const tensor = (shape: number[], dtype: DType = 'f32'): GpuTensor => ({
    buffer: {} as GPUBuffer,
    shape,
    dtype,
  })

  it('rejects shape mismatches, including a bias of the wrong length', async () => {
    await expect(ew.binary(gpu, 'add', tensor([2, 3]), tensor([3, 2]))).rejects.toThrow(
      /\[2, 3\] and \[3, 2\] differ/,
    )
    await expect(ew.binary(gpu, 'mul', tensor([2, 3]), tensor([2]))).rejects.toThrow(ShapeError)
    await expect(ew.grad(gpu, 'geluErf', tensor([4]), tensor([5]))).rejects.toThrow(ShapeError)
  })

  it('rejects non-f32 tensors', async () => {
    await expect(ew.unary(gpu, 'exp', tensor([4], 'i32'))).rejects.toThrow(
      /exp: expected a f32 tensor; got i32/,
    )
    await expect(ew.scale(gpu, tensor([4], 'u32'), 2)).rejects.toThrow(ShapeError)
    await expect(ew.binary(gpu, 'add', tensor([4]), tensor([4], 'i32'))).rejects.toThrow(ShapeError)
  })
})
