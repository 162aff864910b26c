// Test support: runs one softfloat primitive over arrays on the GPU (shaders/softfloat_probe.wgsl) and
// makes operand pairs that stress rounding. Shared by the primitive tests of softfloat and softfloat_fast.
import probeSource from '../../shaders/softfloat_probe.wgsl?raw'
import type { Gpu } from '../gpu/runtime.ts'
import { withPrelude } from '../gpu/shader.ts'
import { mulberry32 } from '../util/random.ts'
import * as sf from './softfloat.ts'

/** Runs shaders/softfloat_probe.wgsl: out[i] = primitive OP of (a[i], b[i]), as raw words. */
export async function probeOn(gpu: Gpu, op: number, a: Uint32Array, b: Uint32Array): Promise<Uint32Array> {
  const code = withPrelude(probeSource, { nativeDot4: gpu.nativeDot4 })
  const pipeline = await gpu.pipeline(code, { constants: { OP: op } })
  const bufs = [gpu.upload(a), gpu.upload(b), gpu.buffer(a.length * 4)]
  gpu.dispatch(pipeline, new Uint32Array([a.length]), bufs, [Math.ceil(a.length / 64)])
  const out = new Uint32Array(await gpu.read(bufs[2], a.length * 4))
  bufs.forEach((buf) => gpu.release(buf))
  return out
}

/**
 * Operand pairs that stress rounding: random words (every exponent, NaN, Inf), close exponents
 * (cancellation, and sums whose dropped bits are exactly one half: ties), addends near half an ulp,
 * subnormals against everything, and products of integers that land on ties.
 */
export function operandPairs(n: number, seed: number): [Uint32Array, Uint32Array] {
  const next = mulberry32(seed)
  const a = new Uint32Array(n)
  const b = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    let x = next()
    let y = next()
    const kind = i % 6
    if (kind === 1 && next() & 1) {
      y = (x ^ 0x80000000) + (next() % 4096) - 2048 // near-opposites: heavy cancellation
    } else if (kind === 1) {
      y = (y & 0x807fffff) | (Math.max(0, ((x >>> 23) & 0xff) - (next() % 27)) << 23)
    } else if (kind === 2) {
      y =
        ((x & 0x80000000) ^ ((next() & 1) << 31)) |
        (Math.max(0, ((x >>> 23) & 0xff) - 24 - (next() % 2)) << 23)
    } else if (kind === 3) {
      x &= 0x807fffff
      y = (y & 0x807fffff) | (next() & 1 ? 0 : (next() % 40) << 23)
    } else if (kind === 4) {
      x = sf.f32Bits((next() % (1 << 24)) - (1 << 23))
      y = sf.f32Bits((next() % 64) - 32)
    } else if (kind === 5) {
      const e = (next() % 254) + 1
      x = (x & 0x807fffff) | (e << 23)
      y = (y & 0x807fffff) | (((next() % 254) + 1) << 23)
    }
    a[i] = x >>> 0
    b[i] = y >>> 0
  }
  return [a, b]
}
