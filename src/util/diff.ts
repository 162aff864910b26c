// The first place two JSON-like values differ, as a path a person can read ("args[0].lr"), with both
// values. Referees use it to refuse a party's claim by naming the exact field it lied about.

export interface Difference {
  path: string
  expected: unknown
  got: unknown
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

/** Null when `got` equals `expected` structurally (numbers by Object.is, so −0 ≠ 0 and NaN = NaN). */
export function firstDifference(expected: unknown, got: unknown, path = ''): Difference | null {
  const here = { path: path || '(value)', expected, got }
  if (kind(expected) !== kind(got)) return here
  if (Array.isArray(expected)) {
    const g = got as unknown[]
    const n = Math.max(expected.length, g.length)
    for (let i = 0; i < n; i++) {
      if (i >= expected.length || i >= g.length)
        return { path: `${path}.length`, expected: expected.length, got: g.length }
      const d = firstDifference(expected[i], g[i], `${path}[${i}]`)
      if (d) return d
    }
    return null
  }
  if (typeof expected === 'object' && expected !== null) {
    const [e, g] = [expected as Record<string, unknown>, got as Record<string, unknown>]
    const keys = [...new Set([...Object.keys(e), ...Object.keys(g)])].sort()
    for (const k of keys) {
      const sub = path ? `${path}.${k}` : k
      // A key set to undefined is the absent key: JSON, which every party's data arrives as, has no undefined.
      const [inE, inG] = [e[k] !== undefined, g[k] !== undefined]
      if (!inE && !inG) continue
      if (!inE || !inG) return { path: sub, expected: e[k], got: g[k] }
      const d = firstDifference(e[k], g[k], sub)
      if (d) return d
    }
    return null
  }
  return Object.is(expected, got) ? null : here
}

/** "lr: 0.006, expected 0.003": a difference in one line. */
export function describeDifference(d: Difference): string {
  const show = (v: unknown) => (v === undefined ? 'nothing' : (JSON.stringify(v)?.slice(0, 80) ?? String(v)))
  return `${d.path}: ${show(d.got)}, expected ${show(d.expected)}`
}
