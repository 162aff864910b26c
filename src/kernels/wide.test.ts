import { describe, expect, it } from 'vitest'
import { roundScaledToF32 } from './wide.ts'
import { mulberry32 } from '../util/random.ts'

describe('roundScaledToF32', () => {
  it('equals Math.fround of the exact value wherever a double holds it exactly', () => {
    const next = mulberry32(9)
    for (let i = 0; i < 20000; i++) {
      const bits = 1 + (next() % 53)
      const mag = Math.floor((next() / 2 ** 32) * 2 ** bits)
      const x = next() & 1 && mag ? -mag : mag
      const e2 = (next() % 330) - 200 // reaches overflow, subnormals and underflow to zero
      const expected = Math.fround(x * 2 ** e2)
      expect(Object.is(roundScaledToF32(BigInt(x), e2), expected), `${x} * 2^${e2}`).toBe(true)
    }
  })

  it('rounds ties to even beyond 53 bits, where a double would round twice', () => {
    // 2^70 + 2^46 is exactly halfway between two f32 neighbours at 2^70: ties to the even one.
    expect(roundScaledToF32((1n << 70n) + (1n << 46n), 0)).toBe(2 ** 70)
    // One unit more breaks the tie upwards; a double would have dropped that unit.
    expect(roundScaledToF32((1n << 70n) + (1n << 46n) + 1n, 0)).toBe(Math.fround(2 ** 70 + 2 ** 47))
    expect(roundScaledToF32(-((1n << 90n) + (3n << 66n)), -10)).toBe(-Math.fround(2 ** 80 + 2 ** 58))
  })
})
