// The CPU twin of shaders/lib/wide.wgsl: exact integers (BigInt here) and their one rounding to f32.

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/**
 * The f32 nearest (ties to even) to x · 2^e2: subnormal results rounded at their own precision,
 * overflow to infinity, zero to +0. Mirrors i96_to_f32 step for step, so it is also its oracle.
 */
export function roundScaledToF32(x: bigint, e2: number): number {
  if (x === 0n) return 0
  const neg = x < 0n
  const mag = neg ? -x : x
  const len = mag.toString(2).length
  let s = Math.max(len - 24, -149 - e2)
  let m: number
  if (s <= 0) m = Number(mag) * 2 ** -s
  else if (s > len) return neg ? -0 : 0
  else {
    const q = mag >> BigInt(s)
    const rem = mag - (q << BigInt(s))
    const half = 1n << BigInt(s - 1)
    m = Number(q) + (rem > half || (rem === half && (q & 1n) === 1n) ? 1 : 0)
  }
  if (m === 0x1000000) {
    m = 0x800000
    s += 1
  }
  let bits: number
  if (m < 0x800000) bits = m
  else {
    const biased = e2 + s + 23 + 127
    bits = biased >= 255 ? 0x7f800000 : (biased << 23) | (m & 0x7fffff)
  }
  u32[0] = (neg ? 0x80000000 | bits : bits) >>> 0
  return f32[0]
}
