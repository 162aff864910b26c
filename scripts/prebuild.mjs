#!/usr/bin/env node
// The two things an installed `lockstep` runs without Vite, built with the project's own Vite:
//   dist-cli/main.js  the command line (src/cli/main.ts), its npm dependencies left as imports;
//   dist-app/         the static app with a relative base (it runs from any path) and placeholders
//                     where build settings go, which `lockstep build-app` fills in (src/cli/buildApp.ts).
// `npm pack` runs this (prepack); in a clone bin/lockstep.mjs runs it when a source is newer than a
// build. Each build goes to a fresh folder and is then moved into place, so a process that starts the
// CLI while another rebuilds it never reads a half-written file.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { APP_SETTINGS, placeholder } from './appSettings.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const cliEntry = join(root, 'dist-cli', 'main.js')
export const appDir = join(root, 'dist-app')

function newest(path) {
  if (!existsSync(path)) return 0
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  let t = 0
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)))
  return t
}

/** Whether `built` is missing or older than any of `sources` (paths relative to the root). */
function stale(built, sources) {
  return (
    !existsSync(built) || statSync(built).mtimeMs < Math.max(...sources.map((s) => newest(join(root, s))))
  )
}

const cliSources = [
  'src',
  'shaders',
  'scripts/relay.mjs',
  'scripts/deploy.mjs',
  'scripts/polyfill.mjs',
  'scripts/appSettings.mjs',
]
const appSources = [
  'src',
  'shaders',
  'workers',
  'public',
  'index.html',
  'vite.config.ts',
  'svelte.config.js',
  'scripts/appSettings.mjs',
]

/** A fresh folder beside `dir` (same file system, so the final rename is atomic). */
const scratch = (dir) => mkdtempSync(`${dir}.tmp-`)

export async function buildCli({ force = false } = {}) {
  if (!force && !stale(cliEntry, cliSources)) return false
  const { build } = await import('vite')
  const outDir = scratch(join(root, 'dist-cli'))
  try {
    await build({
      root,
      configFile: false,
      publicDir: false,
      logLevel: 'warn',
      build: {
        ssr: true,
        outDir,
        emptyOutDir: true,
        target: 'node20',
        rolldownOptions: {
          // main.js, and the worker-thread entry of `verify --full` (src/cli/replayThreads.ts) beside it.
          input: { main: join(root, 'src/cli/main.ts'), replayThread: join(root, 'src/cli/replayThread.ts') },
          // Chunks beside main.js, not in assets/: files move into place one by one.
          output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
        },
      },
    })
    // File by file: renaming over a file is atomic, so a CLI starting now reads the old or the new one.
    mkdirSync(dirname(cliEntry), { recursive: true })
    // main.js last, so the chunks it imports are in place before it is.
    const files = readdirSync(outDir).sort((a, b) => Number(a === 'main.js') - Number(b === 'main.js'))
    for (const f of files) renameSync(join(outDir, f), join(dirname(cliEntry), f))
    // Then the previous build's chunks (their names are hashed), so a packed CLI carries only its own.
    for (const f of readdirSync(dirname(cliEntry)))
      if (!files.includes(f)) rmSync(join(dirname(cliEntry), f), { recursive: true, force: true })
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
  return true
}

export async function buildApp({ force = false } = {}) {
  if (!force && !stale(join(appDir, 'index.html'), appSources)) return false
  const { build } = await import('vite')
  const outDir = scratch(appDir)
  // Vite reads VITE_* from the environment; every setting is a placeholder here, whatever the shell says.
  const saved = Object.fromEntries(APP_SETTINGS.map((n) => [n, process.env[n]]))
  for (const n of APP_SETTINGS) process.env[n] = placeholder(n)
  try {
    await build({
      root,
      base: './',
      logLevel: 'warn',
      build: {
        outDir,
        emptyOutDir: true,
        chunkSizeWarningLimit: 4096,
        // Rolldown reports slow plugins even at logLevel 'warn'; a packer cannot act on that.
        rolldownOptions: { checks: { bundlerTimings: false } },
      },
    })
    rmSync(appDir, { recursive: true, force: true, maxRetries: 3 })
    renameSync(outDir, appDir)
  } finally {
    for (const [n, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[n]
      else process.env[n] = v
    }
    rmSync(outDir, { recursive: true, force: true })
  }
  return true
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force')
  const cli = await buildCli({ force })
  const app = await buildApp({ force })
  console.log(`[prebuild] dist-cli ${cli ? 'built' : 'up to date'}, dist-app ${app ? 'built' : 'up to date'}`)
}
