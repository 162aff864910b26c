// The Vulkan adapters Dawn for Node runs the engine on in `npm test`, and a child process per adapter:
// the Vulkan loader and its driver are chosen when the process starts, so one process cannot try two.
//   node scripts/adapters.mjs --adapter lavapipe [--steps 20 --batch 4 --preset tiny --rows 64 --n 256]
// prints the adapter's hash report (bench/hashes.ts) as one line after HASH_REPORT_MARK.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findLavapipe } from './lavapipe.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const HASH_REPORT_MARK = 'LOCKSTEP_HASH_REPORT '
const SWIFTSHADER_DIR = '/usr/lib/chromium'

/** Two independent CPU implementations of Vulkan: Chromium's SwiftShader and Mesa's lavapipe. */
export const adapters = {
  swiftshader: {
    /** What Dawn must report, so that a fallback to another driver cannot pass for this one. */
    expect: /swiftshader/i,
    setup: () => {
      const icd = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`
      if (!existsSync(icd)) return { why: `${icd} is missing (Debian's chromium package ships it)` }
      // Chromium's own Vulkan loader sits beside it; Debian 12 has none unless libvulkan1 is installed.
      return { icd, libraryPath: SWIFTSHADER_DIR }
    },
  },
  lavapipe: {
    expect: /llvmpipe/i,
    setup: () => {
      const icd = findLavapipe()
      if (!icd)
        return { why: 'lavapipe is not installed (scripts/lavapipe.mjs installs it as root on Debian)' }
      return { icd }
    },
  },
}

/**
 * The environment that makes Dawn pick exactly this adapter: its ICD alone, and no leftover loader path
 * from the other one; or why this machine has no such adapter.
 * @param {keyof typeof adapters} name
 * @returns {{ env: NodeJS.ProcessEnv, why?: undefined } | { env?: undefined, why: string }}
 */
export function adapterEnv(name) {
  const s = adapters[name].setup()
  if (!s.icd) return s
  const env = { ...process.env, VK_ICD_FILENAMES: s.icd }
  delete env.VK_DRIVER_FILES // the newer loader's name wins over VK_ICD_FILENAMES
  const paths = (env.LD_LIBRARY_PATH ?? '').split(':').filter((p) => p && p !== SWIFTSHADER_DIR)
  if (s.libraryPath) paths.unshift(s.libraryPath)
  if (paths.length) env.LD_LIBRARY_PATH = paths.join(':')
  else delete env.LD_LIBRARY_PATH
  return { env }
}

/**
 * Runs the hash check on one adapter in a child process. Rejects with the child's output when it fails
 * or does not report within `timeoutMs`.
 * @param {keyof typeof adapters} name
 * @param {Record<string, string | number>} [options] the check's sizes (bench/hashes.ts HashOptions)
 * @returns {Promise<import('../bench/hashes.ts').HashReport>}
 */
export function runOnAdapter(name, options = {}, timeoutMs = 600_000) {
  const setup = adapterEnv(name)
  if (!setup.env) return Promise.reject(new Error(`${name}: ${setup.why}`))
  const args = [fileURLToPath(import.meta.url), '--adapter', name]
  for (const [k, v] of Object.entries(options)) args.push(`--${k}`, String(v))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: setup.env, timeout: timeoutMs })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith(HASH_REPORT_MARK))
      if (code === 0 && line) return resolve(JSON.parse(line.slice(HASH_REPORT_MARK.length)))
      const tail = out.trim().split('\n').slice(-15).join('\n')
      reject(new Error(`${name}: the hash check exited ${signal ?? code}:\n${tail}`))
    })
  })
}

async function main() {
  const arg = (k, fallback) => {
    const i = process.argv.indexOf(`--${k}`)
    return i >= 0 ? process.argv[i + 1] : fallback
  }
  const name = arg('adapter', '(as the environment says)')
  const { runnerImport } = await import('vite')
  const { module: hashes } = await runnerImport(join(root, 'bench/hashes.ts'), {
    configFile: false,
    logLevel: 'error',
  })
  const d = hashes.HASH_CHECK
  const options = {
    rows: Number(arg('rows', d.rows)),
    n: Number(arg('n', d.n)),
    preset: arg('preset', d.preset),
    steps: Number(arg('steps', d.steps)),
    batch: Number(arg('batch', d.batch)),
  }
  const { module: dawn } = await runnerImport(join(root, 'src/gpu/dawn.ts'), {
    configFile: false,
    logLevel: 'error',
  })
  const corpus = new Uint8Array(readFileSync(join(root, hashes.CORPUS_FILE)))
  const report = await hashes.dawnHashes(await dawn.loadDawn(() => import('webgpu')), corpus, options)
  const expect = adapters[name]?.expect
  if (expect && !expect.test(report.adapter))
    throw new Error(`asked for ${name} but Dawn ran on ${report.adapter} (VK_ICD_FILENAMES ignored?)`)
  console.log(HASH_REPORT_MARK + JSON.stringify(report))
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e)
      process.exit(1)
    },
  )
