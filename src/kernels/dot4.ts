import source from '../../shaders/dot4.wgsl?raw'
import { ShapeError } from '../errors/gpu.ts'
import type { Gpu } from '../gpu/runtime.ts'
import { shader } from '../gpu/shader.ts'

/**
 * out[i] = dot4(a[i], b[i]) on the GPU: the dot product of four signed bytes packed per word.
 * Exact in i32, so every adapter (native or emulated) must give the reference's bits.
 */
export async function dot4(
  gpu: Gpu,
  a: Uint32Array,
  b: Uint32Array,
  native = gpu.nativeDot4,
): Promise<Int32Array> {
  if (a.length !== b.length) throw new ShapeError(`dot4: a has ${a.length} words but b has ${b.length}.`)
  const n = a.length
  if (n === 0) return new Int32Array(0)
  const pipeline = await gpu.pipeline(shader('dot4', source, { nativeDot4: native }))
  const bufA = gpu.upload(a)
  const bufB = gpu.upload(b)
  const out = gpu.buffer(n * 4)
  gpu.dispatch(pipeline, new Uint32Array([n]), [bufA, bufB, out], [Math.ceil(n / 64)])
  const result = new Int32Array(await gpu.read(out, n * 4))
  for (const buf of [bufA, bufB, out]) gpu.release(buf)
  return result
}

/** The CPU reference: sign-extend each byte, multiply, add. */
export function dot4Ref(a: number, b: number): number {
  let sum = 0
  for (let shift = 0; shift < 32; shift += 8) sum += ((a << (24 - shift)) >> 24) * ((b << (24 - shift)) >> 24)
  return sum
}

export function dot4RefArray(a: Uint32Array, b: Uint32Array): Int32Array {
  if (a.length !== b.length) throw new ShapeError(`dot4: a has ${a.length} words but b has ${b.length}.`)
  return Int32Array.from(a, (x, i) => dot4Ref(x, b[i]))
}
