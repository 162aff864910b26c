import { describe, expect, it } from 'vitest'
import { circles, importsOf } from './circles.mjs'

describe('scripts/circles.mjs', () => {
  it('finds a circle of any length and ignores chains', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['d']],
    ])
    expect(circles(graph)).toEqual([['a', 'b', 'c']])
    graph.set('c', ['d'])
    expect(circles(graph)).toEqual([])
  })

  it('reads static, re-exported, multi-line, type-only and dynamic imports', () => {
    const src = [
      `import { a } from './a.ts'`,
      `import type { B } from './b.ts'`,
      `export { c } from './c.ts'`,
      `import {\n  d,\n  e,\n} from './d.ts'`,
      `const f = await import('./f.ts')`,
      `import { g } from 'viem'`,
      `import h from './h.wgsl?raw'`,
    ].join('\n')
    const all = importsOf('src/x/y.ts', src).sort()
    expect(all).toEqual(['src/x/a.ts', 'src/x/b.ts', 'src/x/c.ts', 'src/x/d.ts', 'src/x/f.ts'])
    expect(importsOf('src/x/y.ts', src, false)).not.toContain('src/x/b.ts')
  })
})
