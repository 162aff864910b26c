// Seeded lie planting: a copy of an honest artefact with exactly one thing changed, and the path of what
// changed. Every mutation is checked to change the value (firstDifference), so no case plants nothing.
import { firstDifference } from '../util/diff.ts'
import { mulberry32 } from '../util/random.ts'
import type { TrainConfig } from '../train/trainer.ts'

export interface Rng {
  /** A uniform integer in [0, n). */
  int(n: number): number
  pick<T>(xs: readonly T[]): T
}

export function rng(seed: number): Rng {
  const next = mulberry32(seed)
  const int = (n: number) => next() % n
  return { int, pick: (xs) => xs[int(xs.length)] }
}

export interface Lie<T> {
  value: T
  /** Where the lie is, as a path ("args[0].lr"), and how ("×2"). */
  path: string
  how: string
}

/** A different number near or far from `x`: what a liar would plausibly claim instead. */
function otherNumber(x: number, r: Rng): [number, string] {
  const f32 = new Float32Array([x])
  const ulp = () => {
    const bits = new Uint32Array(f32.buffer)
    bits[0] += 1
    return f32[0]
  }
  const options: [() => number, string][] = [
    [() => x * 2, '×2'],
    [() => x + 1, '+1'],
    [() => -x, 'negated'],
    [ulp, '+1 ulp'],
    [() => x * 5, '×5'],
    [() => (x === 0 ? 1 : 0), 'zeroed'],
    [() => x + 1e-3, '+1e-3'],
  ]
  for (;;) {
    const [f, how] = r.pick(options)
    const y = f()
    if (x !== y && Number.isFinite(y)) return [y, how] // never −0 for 0: JSON cannot tell them apart
  }
}

/** A different hex string of the same length (one nibble flipped), or another string. */
function otherString(s: string, r: Rng): [string, string] {
  if (/^0x[0-9a-f]+$/i.test(s) && s.length > 2) {
    const i = 2 + r.int(s.length - 2)
    const nibble = (parseInt(s[i], 16) + 1 + r.int(15)) % 16
    return [s.slice(0, i) + nibble.toString(16) + s.slice(i + 1), `nibble ${i} changed`]
  }
  return r.int(2) ? [s + 'x', 'appended'] : [s.length ? s.slice(1) : 'x', 'shortened']
}

/** Every path to a leaf or container in `v` (JSON-like), with its parent and key. */
function places(v: unknown, path = ''): { path: string; parent: unknown; key: string | number }[] {
  const out: { path: string; parent: unknown; key: string | number }[] = []
  const walk = (node: unknown, p: string) => {
    if (Array.isArray(node))
      node.forEach((x, i) => {
        out.push({ path: `${p}[${i}]`, parent: node, key: i })
        walk(x, `${p}[${i}]`)
      })
    else if (typeof node === 'object' && node !== null)
      for (const k of Object.keys(node)) {
        const sub = p ? `${p}.${k}` : k
        out.push({ path: sub, parent: node, key: k })
        walk((node as Record<string, unknown>)[k], sub)
      }
  }
  walk(v, path)
  return out
}

/** The value at `key` of `parent` changed: a number, string, boolean, null, or an array/object reshaped. */
function mutateAt(parent: unknown, key: string | number, r: Rng): string {
  const holder = parent as Record<string | number, unknown>
  const x = holder[key]
  if (typeof x === 'number') {
    const [y, how] = otherNumber(x, r)
    holder[key] = y
    return how
  }
  if (typeof x === 'string') {
    const [y, how] = otherString(x, r)
    holder[key] = y
    return how
  }
  if (typeof x === 'boolean') {
    holder[key] = !x
    return 'flipped'
  }
  if (x === null) {
    holder[key] = 0
    return 'null → 0'
  }
  if (Array.isArray(x)) {
    const k = r.int(x.length ? 3 : 1)
    if (k === 1) return (x.splice(r.int(x.length), 1), 'element dropped')
    if (k === 2) return (x.push(structuredClone(x[r.int(x.length)])), 'element duplicated')
    x.push(0)
    return 'element added'
  }
  const o = x as Record<string, unknown>
  const keys = Object.keys(o)
  if (keys.length && r.int(2)) {
    delete o[r.pick(keys)]
    return 'key deleted'
  }
  o[`extra${r.int(4)}`] = r.int(2) ? 1 : 'x'
  return 'key added'
}

/**
 * A deep copy of `value` with one lie planted at a random place among `where` (paths, as places lists
 * them; all when omitted). Redraws until the copy differs from the original.
 */
export function plantLie<T>(value: T, r: Rng, where?: (path: string) => boolean): Lie<T> {
  for (;;) {
    const copy = structuredClone(value)
    const spots = places(copy).filter((p) => !where || where(p.path))
    if (!spots.length) throw new Error('no place to plant a lie')
    const spot = r.pick(spots)
    const how = mutateAt(spot.parent, spot.key, r)
    if (firstDifference(value, copy)) return { value: copy, path: spot.path, how }
  }
}

/** Config fields a liar can change (training under one config while its receipt names another). */
export const CONFIG_LIES: [string, (c: TrainConfig) => TrainConfig][] = [
  ['lr', (c) => ({ ...c, lr: c.lr * 2 })],
  ['minLr', (c) => ({ ...c, minLr: c.minLr / 2 })],
  ['warmup', (c) => ({ ...c, warmup: c.warmup + 1 })],
  ['steps', (c) => ({ ...c, steps: c.steps + 7 })],
  ['weightDecay', (c) => ({ ...c, weightDecay: c.weightDecay * 3 })],
  ['beta1', (c) => ({ ...c, beta1: 0.8 })],
  ['beta2', (c) => ({ ...c, beta2: 0.9 })],
  ['eps', (c) => ({ ...c, eps: 1e-3 })],
  ['clip', (c) => ({ ...c, clip: 1e-3 })],
  ['seed', (c) => ({ ...c, seed: (c.seed + 1) >>> 0 })],
  ['batch', (c) => ({ ...c, batch: c.batch + 1 })],
]
