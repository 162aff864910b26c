#!/usr/bin/env node
// The one test command: installs what is missing, runs lint, format and type checks, then every
// vitest project (unit in Node, GPU in headless Chromium, e2e), and ends with "N passed, N failed".
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { relative } from 'node:path'
import { firstLines, prepareTestEnv } from './testEnv.mjs'

const { lavapipe } = prepareTestEnv()
mkdirSync('artifacts', { recursive: true })
// Failures of an earlier run would be mistaken for this one's.
rmSync('artifacts/failures', { recursive: true, force: true })

const bin = (name) => `node_modules/.bin/${name}`
const checks = [
  ['lint', bin('eslint'), ['.', '--max-warnings=0']],
  ['format', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
  [
    'typecheck',
    bin('svelte-check'),
    ['--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human'],
  ],
  // Workers, and the src/ files they import, against the WebWorker library without the DOM.
  ['typecheck workers', bin('tsc'), ['--noEmit', '-p', 'workers/tsconfig.json']],
  ['import circles', process.execPath, ['scripts/circles.mjs']],
]

let passed = 0
let failed = 0
let skipped = 0
const failures = []
const skips = []

// The second Vulkan adapter: a failed install is a failure; a machine that cannot install it (not root,
// not Debian) runs everything else and says so at the end.
if (!lavapipe.icd) {
  const line = `lavapipe (the second Dawn adapter): ${lavapipe.why}`
  if (lavapipe.failed) {
    failed++
    failures.push(`check: ${line}`)
  } else {
    skipped++
    skips.push(line)
  }
  console.log(`[lockstep] ${lavapipe.failed ? 'FAILED' : 'SKIPPED'}: ${line}`)
}

for (const [name, cmd, args] of checks) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' })
  if (r.status === 0) passed++
  else {
    failed++
    failures.push(`check: ${name}`)
  }
  console.log(`[lockstep] check ${name}: ${r.status === 0 ? 'ok' : 'FAILED'}`)
}

// Build the CLI and the app template once, before tests spawn the CLI from several workers at the same
// time and the pack test packs them (each would otherwise rebuild what is stale, costing its time).
spawnSync(process.execPath, ['scripts/prebuild.mjs'], { stdio: 'ignore' })

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
    const file = relative(process.cwd(), suite.name)
    for (const t of suite.assertionResults)
      if (t.status === 'failed') failures.push(`${file} > ${t.fullName}${firstLines(t.failureMessages?.[0])}`)
    if (suite.status === 'failed' && suite.assertionResults.length === 0) {
      failed++
      failures.push(`${file}: suite failed to load${firstLines(suite.message)}`)
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

if (failures.length) {
  console.log('\nFailed:\n' + failures.map((f) => `  - ${f}`).join('\n'))
  if (existsSync('artifacts/failures'))
    console.log('Screenshots and tab warnings of failed browser tests: artifacts/failures/')
}
if (skips.length) console.log('\nSkipped:\n' + skips.map((s) => `  - ${s}`).join('\n'))
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed === 0 ? 0 : 1)
