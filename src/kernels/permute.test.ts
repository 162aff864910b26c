import { describe, expect, it } from 'vitest'
import { permuteRef, planPermute } from './permute.ts'

describe('permuteRef', () => {
  it('moves heads: [B, T, H, D] -> [B, H, T, D] element by element', () => {
    const [B, T, H, D] = [2, 3, 4, 5]
    const x = Float32Array.from({ length: B * T * H * D }, (_, i) => i)
    const y = permuteRef(x, [B, T, H, D], [0, 2, 1, 3])
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < T; t++)
          for (let d = 0; d < D; d++)
            expect(y[((b * H + h) * T + t) * D + d]).toBe(x[((b * T + t) * H + h) * D + d])
  })

  it('is undone by the inverse order, and keeps the array type', () => {
    const x = Int32Array.from({ length: 2 * 3 * 4 * 5 * 6 }, (_, i) => i * 7)
    const shape = [2, 3, 4, 5, 6]
    const y = permuteRef(x, shape, [3, 0, 4, 2, 1])
    expect(y).toBeInstanceOf(Int32Array)
    const back = permuteRef(y, planPermute(shape, [3, 0, 4, 2, 1]).outShape, [1, 4, 3, 0, 2])
    expect(back).toEqual(x)
  })

  it('rejects orders that are not permutations', () => {
    expect(() => planPermute([2, 3], [0, 0])).toThrow(/not an ordering/)
    expect(() => planPermute([2, 3], [1])).toThrow(/not an ordering/)
  })
})
