// Matmul benchmark: the deterministic bq15 matmul and the f32 baseline side by side, same adapter,
// same run, plus each output's hash so runs on different adapters can be compared bit for bit.
import type { Gpu } from '../src/gpu/runtime.ts'
import { adapterName } from '../src/gpu/report.ts'
import { downloadF32, release, upload, type GpuTensor } from '../src/gpu/tensor.ts'
import { matmul, matmulRef, preferredVariant } from '../src/kernels/matmul.ts'
import { matmulF32Baseline } from '../src/kernels/matmul_f32_baseline.ts'
import { sha256Hex } from '../src/util/hash.ts'
import { mulberry32 } from '../src/util/random.ts'

export interface BenchRecord {
  op: string
  impl: string
  adapter: string
  m: number
  n: number
  k: number
  ms: number
  gflops: number
  /** SHA-256 of the output's bytes. */
  hash: string
}

/**
 * Inputs drawn with integer steps only (no Math.log/cos, whose last bits may vary between JS
 * engines), so Node, every browser and the device machine start from identical bits: a sum of
 * four uniforms, roughly gaussian.
 */
export function benchInput(n: number, seed: number): Float32Array {
  const next = mulberry32(seed)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = (next() + next() + next() + next()) / 2 ** 32 - 2
  return out
}

async function time(gpu: Gpu, run: () => Promise<GpuTensor>, minMs: number): Promise<number> {
  release(gpu, await run()) // warm-up: compiles the pipelines
  await gpu.finish()
  let iterations = 0
  const start = performance.now()
  do {
    release(gpu, await run())
    iterations++
    await gpu.finish()
  } while (performance.now() - start < minMs)
  return (performance.now() - start) / iterations
}

export async function benchMatmul(
  gpu: Gpu,
  sizes: number[],
  options: {
    minMs?: number
    /** Sizes at which to also run the CPU reference (slow) for its hash. */
    reference?: number[]
    /** Sizes at which to also hash other tilings / split-K / kernel orders (must all be equal). */
    variants?: number[]
    log?: (r: BenchRecord) => void
  } = {},
): Promise<BenchRecord[]> {
  const records: BenchRecord[] = []
  const adapter = adapterName(gpu.report)
  const push = (r: BenchRecord) => {
    records.push(r)
    options.log?.(r)
  }
  for (const s of sizes) {
    const a = benchInput(s * s, 1)
    const b = benchInput(s * s, 2)
    const ta = upload(gpu, a, [s, s])
    const tb = upload(gpu, b, [s, s])
    const flop = 2 * s * s * s
    for (const [impl, run] of [
      [`deterministic bq15 (${preferredVariant(gpu)})`, () => matmul(gpu, ta, tb)],
      ['f32 baseline (non-deterministic)', () => matmulF32Baseline(gpu, ta, tb)],
    ] as const) {
      const ms = await time(gpu, run, options.minMs ?? 500)
      const out = await run()
      const hash = await sha256Hex(await downloadF32(gpu, out))
      release(gpu, out)
      push({ op: 'matmul', impl, adapter, m: s, n: s, k: s, ms, gflops: flop / ms / 1e6, hash })
    }
    if (options.variants?.includes(s)) {
      for (const opts of [
        { variant: 'tiled' as const },
        { variant: 'tiled' as const, workgroup: 8 as const },
        { variant: 'tiled' as const, splitK: 3 },
        { variant: 'naive' as const },
      ]) {
        const start = performance.now()
        const out = await matmul(gpu, ta, tb, opts)
        const hash = await sha256Hex(await downloadF32(gpu, out))
        const ms = performance.now() - start
        release(gpu, out)
        push({
          op: 'matmul',
          impl: `deterministic bq15 ${JSON.stringify(opts)}`,
          adapter,
          m: s,
          n: s,
          k: s,
          ms,
          gflops: flop / ms / 1e6,
          hash,
        })
      }
    }
    if (options.reference?.includes(s)) {
      const start = performance.now()
      const ref = matmulRef(a, [s, s], b, [s, s])
      const ms = performance.now() - start
      push({
        op: 'matmul',
        impl: 'TS reference (CPU)',
        adapter: 'CPU',
        m: s,
        n: s,
        k: s,
        ms,
        gflops: flop / ms / 1e6,
        hash: await sha256Hex(ref),
      })
    }
    release(gpu, ta, tb)
  }
  return records
}
