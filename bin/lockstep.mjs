#!/usr/bin/env node
// `lockstep` (package bin): runs src/cli/main.ts, bundled on first use (and whenever src/ or
// shaders/ changed since) into dist-cli/ with the project's own Vite.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const entry = join(root, 'dist-cli', 'main.js')

function newest(dir) {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

const stale =
  !existsSync(entry) ||
  statSync(entry).mtimeMs < Math.max(newest(join(root, 'src')), newest(join(root, 'shaders')))
if (stale) {
  const { build } = await import('vite')
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    build: {
      ssr: join(root, 'src/cli/main.ts'),
      outDir: join(root, 'dist-cli'),
      emptyOutDir: true,
      target: 'node20',
    },
  })
}
await import(pathToFileURL(entry).href)
