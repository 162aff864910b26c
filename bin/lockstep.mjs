#!/usr/bin/env node
// `lockstep` (package bin): runs the prebuilt dist-cli/main.js. An installed package ships it (built
// when packed); in a clone it is rebuilt first whenever a source is newer (scripts/prebuild.mjs), and
// so is the app template dist-app/ before `lockstep build-app`.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const entry = join(root, 'dist-cli', 'main.js')

if (existsSync(join(root, 'src', 'cli', 'main.ts'))) {
  const { buildApp, buildCli } = await import('../scripts/prebuild.mjs')
  await buildCli()
  if (process.argv[2] === 'build-app') await buildApp()
} else if (!existsSync(entry)) {
  console.error(`lockstep: ${entry} is missing; this package was packed without its build`)
  process.exit(1)
}
await import(pathToFileURL(entry).href)
