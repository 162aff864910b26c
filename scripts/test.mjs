#!/usr/bin/env node
// The one test command: installs what is missing, runs lint, format and type checks, then every
// vitest project (unit in Node, GPU in headless Chromium, e2e), and ends with "N passed, N failed".
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { ensureDeps } from './deps.mjs'
import { ensureChromium } from './chromium.mjs'

ensureDeps()
process.env.CHROMIUM_PATH = ensureChromium()
// Dawn for Node (the optional `webgpu` package) needs a Vulkan driver: on a machine without a GPU,
// Chromium's SwiftShader. Set before vitest starts, since the loader is found at process start.
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json'
if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) {
  process.env.VK_ICD_FILENAMES = swiftshader
  process.env.LD_LIBRARY_PATH = ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':')
}
mkdirSync('artifacts', { recursive: true })

const bin = (name) => `node_modules/.bin/${name}`
const checks = [
  ['lint', bin('eslint'), ['.', '--max-warnings=0']],
  ['format', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
  [
    'typecheck',
    bin('svelte-check'),
    ['--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human'],
  ],
]

let passed = 0
let failed = 0
let skipped = 0
const failures = []

for (const [name, cmd, args] of checks) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' })
  if (r.status === 0) passed++
  else {
    failed++
    failures.push(`check: ${name}`)
  }
  console.log(`[lockstep] check ${name}: ${r.status === 0 ? 'ok' : 'FAILED'}`)
}

// Bundle the CLI once before tests spawn it from several workers at the same time (each would
// otherwise rebuild dist-cli/ on first use, racing on the same folder).
spawnSync(process.execPath, ['bin/lockstep.mjs'], { stdio: 'ignore' })

// Extra arguments narrow the vitest run, e.g. `npm test -- --project unit`.
const report = 'artifacts/vitest.json'
rmSync(report, { force: true })
const extra = process.argv.slice(2)
const vitest = spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
  { stdio: 'inherit' },
)
try {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed += json.numPassedTests
  failed += json.numFailedTests
  skipped += json.numPendingTests + (json.numTodoTests ?? 0)
  for (const suite of json.testResults) {
    for (const t of suite.assertionResults) if (t.status === 'failed') failures.push(t.fullName)
    if (suite.status === 'failed' && suite.assertionResults.length === 0) {
      failed++
      failures.push(`${suite.name}: ${suite.message || 'suite failed to load'}`)
    }
  }
  if (vitest.status !== 0 && json.numFailedTests === 0 && failures.length === 0) {
    failed++
    failures.push(`vitest exited ${vitest.status}`)
  }
} catch (e) {
  failed++
  failures.push(`vitest produced no report (exit ${vitest.status}): ${e.message}`)
}

if (failures.length) console.log('\nFailed:\n' + failures.map((f) => `  - ${f}`).join('\n'))
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed === 0 ? 0 : 1)
