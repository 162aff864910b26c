// Finds (and, as root, installs) the system Chromium that every browser test drives.
// We never download a browser build: CI and offline machines cannot reach one.
import { existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

/** Flags for headless runs on a machine with no network but loopback. */
export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

/** The same flags without WebGPU: how tests see a browser that has none. */
export const chromiumArgsNoWebGPU = chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu')

const standardPaths = [
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]

/** @returns {string | undefined} the browser binary: $CHROMIUM_PATH first, then the usual places. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`)
    return fromEnv
  }
  return standardPaths.find((p) => existsSync(p))
}

/** @returns {string} the browser binary, installing Debian's chromium first when we are root. */
export function ensureChromium() {
  const found = findChromium()
  if (found) return found
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('[lockstep] Chromium not found; installing Debian package "chromium" with apt-get ...')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env })
    const installed = findChromium()
    if (installed) return installed
  }
  throw new Error(
    'Chromium was not found. Install it (Debian/Ubuntu: `sudo apt-get install -y chromium`) ' +
      'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  )
}
