// In the browser (the gpu project runs in Chromium), the CPU reference's WebAssembly kernels load and
// give the bits of their JavaScript twins: what a verifier without WebGPU runs in a tab.
import { concat, keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import { matmulRef } from '../kernels/matmul.ts'
import { simdAvailable } from '../kernels/matmulSimd.ts'
import { adversarialF32, expectBitsEqual } from '../kernels/testing.ts'
import { keccak256Hex, keccakWasmAvailable } from './keccak.ts'

describe('WebAssembly in the browser', () => {
  it('matmulRef runs in SIMD with the JavaScript loop’s bits', () => {
    expect(simdAvailable()).toBe(true)
    const a = adversarialF32(9 * 70, 1, { nonFinite: true })
    const b = adversarialF32(70 * 11, 2)
    expectBitsEqual(matmulRef(a, [9, 70], b, [70, 11]), matmulRef(a, [9, 70], b, [70, 11], { simd: false }))
  })

  it('keccak256 runs in WebAssembly with viem’s bits', () => {
    expect(keccakWasmAvailable()).toBe(true)
    const parts = [new Uint8Array(70_000).map((_, i) => i * 31), new Uint8Array(137).fill(7)]
    expect(keccak256Hex(parts)).toBe(keccak256(concat(parts)))
  })
})
