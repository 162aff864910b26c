#!/usr/bin/env node
// `node scripts/sapo.mjs [--engine real|fake] [--suite experiment|scale|all] …`: the SAPO experiment and
// scale bench (bench/sapo.ts), bundled with the project's own Vite into node_modules/.cache/lockstep-sapo
// (kernels are imported with import.meta.glob, which only Vite resolves), then run. docs/rl.md explains it.
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'node_modules/.cache/lockstep-sapo')
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: { ssr: join(root, 'bench/sapo.ts'), outDir, emptyOutDir: true, target: 'node20' },
})
await import(pathToFileURL(join(outDir, 'sapo.js')).href)
