import { describe, expect, it } from 'vitest'
import { rowWorkgroupSize, type AdapterReport } from './report.ts'

const report = (fallback: boolean, subgroupMaxSize: number) =>
  ({ fallback, subgroupMaxSize }) as AdapterReport

describe('rowWorkgroupSize', () => {
  it('gives a GPU 64 threads per row and a CPU adapter one SIMD group', () => {
    expect(rowWorkgroupSize(report(false, 32))).toBe(64)
    expect(rowWorkgroupSize(report(false, 0))).toBe(64)
    expect(rowWorkgroupSize(report(true, 4))).toBe(4) // SwiftShader
    expect(rowWorkgroupSize(report(true, 8))).toBe(8) // lavapipe, 256-bit
  })

  it('falls back to 4 when a CPU adapter does not say its width, or says something unusable', () => {
    for (const s of [0, -1, 65, 1.5, NaN]) expect(rowWorkgroupSize(report(true, s))).toBe(4)
  })
})
