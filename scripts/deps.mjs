// Installs node_modules when they are missing or older than package-lock.json.
// Uses only Node built-ins: it runs before anything else is installed.
import { existsSync, statSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

export function ensureDeps(root = process.cwd()) {
  const lock = join(root, 'package-lock.json')
  const installed = join(root, 'node_modules', '.package-lock.json')
  const fresh = existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs
  if (fresh) return
  console.log('[lockstep] installing dependencies (npm ci) ...')
  // onnxruntime-node's install script downloads from the internet; its CPU binary ships in the package.
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env })
}
