// The public surface of every folder under src/, snapshotted so that a change to it shows in review
// the day it is made. A folder's public entry is its index.ts where it has one (src/swarm/net,
// src/swarm/protocol); elsewhere there are no barrels (house style), so every module in the folder is
// an entry. Left out: tests, test helpers (testing.ts), Svelte components, and the modules that act
// on import (src/main.ts mounts the app; src/cli/main.ts and src/swarm/sim/cli.ts are command lines, src/cli/replayThread.ts a thread's entry). Runtime names only: types
// leave no trace in Object.keys. Update with `npx vitest run --project unit src/exports.test.ts -u`.
import { describe, expect, it } from 'vitest'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const ACTS_ON_IMPORT = new Set([
  'src/main.ts',
  'src/cli/main.ts',
  'src/cli/replayThread.ts',
  'src/swarm/sim/cli.ts',
])

function entries(dir: string): string[] {
  const files = readdirSync(dir)
  if (files.includes('index.ts') && dir !== 'src') return [join(dir, 'index.ts')]
  const own = files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'testing.ts')
    .map((f) => join(dir, f))
    .filter((f) => !ACTS_ON_IMPORT.has(f))
  const sub = files.filter((f) => statSync(join(dir, f)).isDirectory()).flatMap((f) => entries(join(dir, f)))
  return [...own, ...sub]
}

describe('exports', () => {
  it('of each folder’s public entry match the snapshot', async () => {
    const lines: string[] = []
    for (const file of entries('src').sort()) {
      const mod = (await import(/* @vite-ignore */ `/${file}`)) as Record<string, unknown>
      lines.push(`${relative('src', file)}: ${Object.keys(mod).sort().join(', ')}`)
    }
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('./__snapshots__/exports.txt')
  }, 120_000)
})
