#!/usr/bin/env node
// `node scripts/rl-warmstart.mjs [--steps N] [--describe-only]`: the RL swarm's warm start, with its
// provenance (--describe-only: step 4 alone, for the shipped checkpoint).
//   1. writes public/rl/tasks.txt, the task corpus (src/rl/corpus.ts: a pure function of its seed);
//   2. trains the RL model on it with `lockstep train --preset rl` on the CPU reference, which signs a
//      training receipt (public/rl/warmstart.receipt.json) with Anvil's well-known account 0 key, so the
//      same run gives the same bytes anywhere (the key proves nothing here; the receipt's hashes do);
//   3. keeps the last checkpoint as public/rl/warmstart.lscp (src/swarm/protocol/codec.ts format);
//   4. describes it in public/rl/warmstart.json: hashes, its greedy accuracy per family and level on
//      fresh tasks, and its mean sampled reward on held-out tasks (src/rl/accuracy.ts), the level the
//      RL dashboard draws the warm start at.
// Anyone can re-run it, or check the shipped files against each other (src/rl/corpus.test.ts) and
// replay the receipt: `lockstep verify public/rl/warmstart.receipt.json --corpus public/rl/tasks.txt` replays
// every step, which takes as long as the training did.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const ANVIL_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const outDir = join(root, 'node_modules/.cache/lockstep-rl')
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: { ssr: join(root, 'src/rl/warmstart.ts'), outDir, emptyOutDir: true, target: 'node20' },
})
const helper = (...args) =>
  execFileSync(process.execPath, [join(outDir, 'warmstart.js'), ...args], { cwd: root, encoding: 'utf8' })

const steps = arg('steps', helper('steps').trim())
mkdirSync(join(root, 'public/rl'), { recursive: true })
const corpus = join(root, 'public/rl/tasks.txt')
const rl = (name) => join(root, 'public/rl', name)
if (process.argv.includes('--describe-only')) {
  console.log(helper('describe', rl('warmstart.lscp'), corpus, rl('warmstart.json'), arg('per-cell', '50')))
  process.exit(0)
}
process.stdout.write(helper('corpus', corpus))
const dir = mkdtempSync(join(tmpdir(), 'lockstep-rl-'))
try {
  execFileSync(
    process.execPath,
    [
      join(root, 'bin/lockstep.mjs'),
      'train',
      '--preset',
      'rl',
      '--steps',
      steps,
      '--corpus',
      corpus,
      '--checkpoints',
      dir,
      '--every',
      steps,
      '--key',
      ANVIL_KEY_0,
      '--out',
      join(root, 'public/rl/warmstart.receipt.json'),
    ],
    { cwd: root, stdio: 'inherit' },
  )
  copyFileSync(join(dir, `step-${steps}.lscp`), join(root, 'public/rl/warmstart.lscp'))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(helper('describe', rl('warmstart.lscp'), corpus, rl('warmstart.json'), arg('per-cell', '50')))
