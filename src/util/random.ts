/** mulberry32: a tiny seeded PRNG, so tests and self-checks draw the same numbers everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

export function randomWords(n: number, seed: number): Uint32Array {
  const next = mulberry32(seed)
  const out = new Uint32Array(n)
  for (let i = 0; i < n; i++) out[i] = next()
  return out
}
