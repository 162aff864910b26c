// The integer product on the GPU gives the reference's int32 bits, wrapped sums included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { download, release, upload } from '../gpu/tensor.ts'
import { mulberry32 } from '../util/random.ts'
import { matmulInt, matmulIntRef, type MatmulIntPlan } from './matmul_int.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const ints = (n: number, lo: number, hi: number, seed: number) => {
  const next = mulberry32(seed)
  return Int32Array.from({ length: n }, () => lo + (next() % (hi - lo + 1)))
}

async function onGpu(a: Int32Array, b: Int32Array, bz: Int32Array, p: MatmulIntPlan, az: number) {
  const t = [upload(gpu, a), upload(gpu, b), upload(gpu, bz)]
  const y = await matmulInt(gpu, t[0], t[1], t[2], p, az)
  const out = await download(gpu, y)
  release(gpu, y, ...t)
  return Array.from(out)
}

describe('matmulInt on the GPU', () => {
  it('equals matmulIntRef: batched, shared B, per-column and single zero points', async () => {
    for (const p of [
      { batch: 1, m: 9, k: 13, n: 17, shared: true },
      { batch: 3, m: 2, k: 40, n: 5, shared: false },
    ]) {
      const a = ints(p.batch * p.m * p.k, -128, 127, p.m)
      const b = ints((p.shared ? 1 : p.batch) * p.k * p.n, 0, 255, p.n)
      for (const bz of [ints(p.n, 0, 255, 4), Int32Array.of(77)])
        expect(await onGpu(a, b, bz, p, -7)).toEqual(Array.from(matmulIntRef(a, b, p, -7, bz)))
    }
  }, 60_000)

  it('wraps a sum beyond 2^31 as the reference does', async () => {
    const p = { batch: 1, m: 1, k: 40_000, n: 2, shared: true }
    const a = new Int32Array(40_000).fill(255)
    const b = Int32Array.from({ length: 80_000 }, (_, i) => (i % 2 ? 0 : 255))
    const bz = Int32Array.of(0, 255)
    expect(await onGpu(a, b, bz, p, 0)).toEqual(Array.from(matmulIntRef(a, b, p, 0, bz)))
  }, 60_000)
})
