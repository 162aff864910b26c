#!/usr/bin/env node
// `node scripts/simulate.mjs [--peers 100,1000] [--real 8] …`: the swarm simulator (src/swarm/sim/cli.ts),
// bundled with the project's own Vite into node_modules/.cache/lockstep-sim (kernels are imported with
// import.meta.glob, which only Vite resolves), then run. docs/swarm.md describes what it measures.
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'node_modules/.cache/lockstep-sim')
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: { ssr: join(root, 'src/swarm/sim/cli.ts'), outDir, emptyOutDir: true, target: 'node20' },
})
await import(pathToFileURL(join(outDir, 'cli.js')).href)
