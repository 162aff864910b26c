import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { dot4, dot4RefArray } from './dot4.ts'
import { randomWords } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const extremes = new Uint32Array([0, 0x80808080, 0x7f7f7f7f, 0xffffffff, 0x01010101, 0x80ff7f01, 0x00800080])

describe.each([
  ['native', true],
  ['emulated', false],
])('dot4 on the GPU (%s)', (_name, native) => {
  it('equals the CPU reference on random words and extremes, bit for bit', async () => {
    if (native && !gpu.nativeDot4) return // adapter lacks the language feature; emulated covers it
    const n = 4099 // not a multiple of the workgroup size
    const a = randomWords(n, 11)
    const b = randomWords(n, 12)
    a.set(extremes, 0)
    b.set(extremes.slice().reverse(), 0)
    expect(await dot4(gpu, a, b, native)).toEqual(dot4RefArray(a, b))
  })
})

describe('dot4 input checks', () => {
  it('rejects mismatched lengths before touching the GPU', async () => {
    await expect(dot4(gpu, new Uint32Array(4), new Uint32Array(5))).rejects.toThrow(/4 words but b has 5/)
  })
})
