// Bool outputs in the output encoding: their own dtype byte (9), one byte a value, and only 0 and 1, so
// the encoding stays injective beside float32 and int64 (whose bytes the vectors in inference.test.ts pin).
import { toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { OutputEncodingError } from '../errors/infer.ts'
import { encodeOutputs, outputsHash, outputsProblem, tensorJson } from './tensors.ts'

describe('bool outputs', () => {
  it('encode as dtype 9 with one byte a value', () => {
    const bytes = encodeOutputs({ m: { dtype: 'bool', dims: [3], data: [1, 0, 1] } })
    // count 1, name length 1, "m", dtype 9, rank 1, dim 3, values 01 00 01
    expect(toHex(bytes)).toBe('0x01000000' + '01000000' + '6d' + '09' + '01000000' + '03000000' + '010001')
  })

  it('hash apart from the same values as int64 or float32', () => {
    const data = [1, 0, 1]
    const hashes = (['bool', 'int64', 'float32'] as const).map((dtype) =>
      outputsHash({ m: { dtype, dims: [3], data } }),
    )
    expect(new Set(hashes).size).toBe(3)
  })

  it('refuse anything but the numbers 0 and 1', () => {
    for (const v of [2, -1, 0.5, true, '1', null])
      expect(outputsProblem({ m: { dtype: 'bool', dims: [1], data: [v] } })).toMatch(/not 0 or 1/)
    expect(() => encodeOutputs({ m: { dtype: 'bool', dims: [1], data: [2] } })).toThrow(OutputEncodingError)
  })

  it('come from a runtime bool tensor', () => {
    expect(tensorJson('m', { type: 'bool', dims: [2], data: Uint8Array.of(0, 1) })).toEqual({
      dtype: 'bool',
      dims: [2],
      data: [0, 1],
    })
  })
})
