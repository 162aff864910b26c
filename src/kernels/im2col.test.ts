// im2colF32 copies bits (a NaN's payload, −0) and zeros the padding, for every group and window.
import { describe, expect, it } from 'vitest'
import { im2colF32, im2colRef, type PatchPlan } from './im2col.ts'

const plan = (over: Partial<PatchPlan['win']> = {}, group = 1): PatchPlan => {
  const win = { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [1, 0], out: [3, 2], ...over }
  return {
    n: 1,
    c: 2,
    group,
    cg: 2 / group,
    k: (2 / group) * 4,
    positions: win.out[0] * win.out[1],
    win,
  } as PatchPlan
}

describe('im2col reference', () => {
  it('takes each window’s values in channel, row, column order, zeros for padding', () => {
    // X [1, 2, 2, 3]: channel 0 holds 0..5, channel 1 holds 10..15.
    const x = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]
    const cols = im2colRef(x, [1, 2, 2, 3], plan(), new Int32Array(48))
    // Position (0, 0): rows −1 and 0 (−1 is padding), columns 0 and 1.
    expect(Array.from(cols.slice(0, 8))).toEqual([0, 0, 0, 1, 0, 0, 10, 11])
    // Position (2, 1): rows 1 and 2 (2 is padding), columns 1 and 2.
    expect(Array.from(cols.slice(40, 48))).toEqual([4, 5, 0, 0, 14, 15, 0, 0])
    // Two groups: group 1's patches follow group 0's.
    const grouped = im2colRef(x, [1, 2, 2, 3], plan({}, 2), new Int32Array(48))
    expect(Array.from(grouped.slice(24, 28))).toEqual([0, 0, 10, 11])
  })

  it('copies f32 bits exactly, NaN payloads and −0 included', () => {
    const bits = Uint32Array.of(0x7fc00001, 0x80000000, 0x3f800000, 0xff800001, 1, 2, 3, 4, 5, 6, 7, 8)
    const cols = im2colF32(new Float32Array(bits.buffer), [1, 2, 2, 3], plan())
    expect(new Uint32Array(cols.buffer).slice(0, 8)).toEqual(
      Uint32Array.of(0, 0, 0x7fc00001, 0x80000000, 0, 0, 3, 4),
    )
  })
})
