#!/usr/bin/env node
// Fails when files under src/ and workers/ import each other in a circle. A circle means two
// layers each need the other: neither can be read, tested or changed alone, and the bundler's
// evaluation order decides which one sees the other half-initialised. Type-only imports count
// too — they are erased at runtime, but they tie the modules' design together just the same.
//
//   node scripts/circles.mjs [--types=false]    exit 0: none, 1: circles (each printed), 2: usage
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const roots = ['src', 'workers']
const args = process.argv.slice(2)
const unknown = args.filter((a) => a !== '--types=false')
if (unknown.length) {
  console.error(`usage: node scripts/circles.mjs [--types=false] (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}
const withTypes = !args.includes('--types=false')

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* files(path)
    else if (/\.(ts|svelte)$/.test(name) && !/\.test\.ts$/.test(name)) yield path
  }
}

// Static imports and re-exports, plus dynamic import('…') and new URL('…', import.meta.url)
// workers: all of them are edges a reader has to follow.
const IMPORT = /(?:^|[\s;])(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)/g

export function importsOf(path, source, includeTypes = true) {
  const out = new Set()
  const add = (spec) => {
    if (!spec.startsWith('.')) return
    const target = resolve(dirname(path), spec.replace(/\?.*$/, ''))
    if (/\.(ts|svelte)$/.test(target)) out.add(relative(process.cwd(), target))
  }
  for (const m of source.matchAll(IMPORT)) if (includeTypes || !m[2]) add(m[3])
  for (const m of source.matchAll(DYNAMIC)) add(m[1])
  return [...out]
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan. */
export function circles(graph) {
  let index = 0
  const stack = []
  const on = new Set()
  const idx = new Map()
  const low = new Map()
  const found = []
  const visit = (v) => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)))
    }
    if (low.get(v) === idx.get(v)) {
      const scc = []
      let w
      do {
        w = stack.pop()
        on.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || graph.get(v)?.includes(v)) found.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return found
}

/** One concrete path around a component, for the message: a → b → … → a. */
function cycleIn(graph, scc) {
  const inside = new Set(scc)
  const start = scc[0]
  const prev = new Map([[start, null]])
  const queue = [start]
  while (queue.length) {
    const v = queue.shift()
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue
      if (w === start) {
        const path = [start]
        for (let x = v; x !== start; x = prev.get(x)) path.splice(1, 0, x)
        return [...path, start]
      }
      if (!prev.has(w)) {
        prev.set(w, v)
        queue.push(w)
      }
    }
  }
  return scc
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = new Map()
  for (const root of roots)
    for (const f of files(root)) graph.set(f, importsOf(f, readFileSync(f, 'utf8'), withTypes))
  const found = circles(graph)
  for (const scc of found)
    console.log(`import circle (${scc.length} files): ${cycleIn(graph, scc).join(' → ')}`)
  console.log(`[lockstep] ${graph.size} files, ${found.length} import circle(s)`)
  process.exit(found.length ? 1 : 0)
}
