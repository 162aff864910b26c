import { describe, expect, it } from 'vitest'
import { sizeClass } from './runtime.ts'

describe('sizeClass', () => {
  it('rounds small buffers to 256 bytes and large ones to powers of two, never below the request', () => {
    expect(sizeClass(1)).toBe(256)
    expect(sizeClass(256)).toBe(256)
    expect(sizeClass(257)).toBe(512)
    expect(sizeClass(65536)).toBe(65536)
    expect(sizeClass(65537)).toBe(131072)
    for (let b = 1; b < 5_000_000; b = Math.ceil(b * 1.37)) expect(sizeClass(b)).toBeGreaterThanOrEqual(b)
  })
})
