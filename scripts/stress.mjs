#!/usr/bin/env node
// Runs chosen test files N times and reports each test's pass rate: for whoever touches timing-sensitive
// code, and for hunting an intermittent failure. `--load K` keeps K busy loops spinning beside the runs
// (on a 2-core machine, --load 1 takes a whole core away, as a second heavy job would).
//
//   node scripts/stress.mjs --runs 20 --load 1 src/swarm/protocol/join.test.ts
//   node scripts/stress.mjs --runs 5 --project e2e e2e/swarm.test.ts
import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { firstLines, prepareTestEnv } from './testEnv.mjs'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '10' },
    load: { type: 'string', default: '0' },
    project: { type: 'string' },
    'test-name': { type: 'string', short: 't' },
  },
})
const runs = Number(values.runs)
const load = Number(values.load)
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, not ${values.runs}`)
if (!Number.isInteger(load) || load < 0) throw new Error(`--load must be a whole number, not ${values.load}`)
if (positionals.length === 0) {
  console.error('usage: node scripts/stress.mjs [--runs N] [--load K] [--project P] [-t NAME] FILE...')
  process.exit(2)
}

prepareTestEnv()
// Busy loops in their own processes, so they compete for cores and not for this process's event loop.
const spinners = Array.from({ length: load }, () =>
  spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
)
const stopSpinners = () => spinners.forEach((s) => s.kill('SIGKILL'))
process.on('exit', stopSpinners)
process.on('SIGINT', () => process.exit(130))

const dir = mkdtempSync(join(tmpdir(), 'lockstep-stress-'))
// Each failure's whole message, for the cause the first lines do not show.
const kept = 'artifacts/stress'
rmSync(kept, { recursive: true, force: true })
mkdirSync(kept, { recursive: true })
/** test name → { passed, failed, firstError, seconds[] } */
const tally = new Map()
let cleanRuns = 0
for (let run = 1; run <= runs; run++) {
  const report = join(dir, `run-${run}.json`)
  const args = ['run', '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`]
  if (values.project) args.push('--project', values.project)
  if (values['test-name']) args.push('-t', values['test-name'])
  const started = Date.now()
  const r = spawnSync('node_modules/.bin/vitest', [...args, ...positionals], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const seconds = (Date.now() - started) / 1000
  let failedHere = 0
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'))
    for (const suite of json.testResults) {
      const file = relative(process.cwd(), suite.name)
      const results = suite.assertionResults.length
        ? suite.assertionResults
        : [{ fullName: '(file failed to load)', status: 'failed', failureMessages: [suite.message] }]
      for (const t of results) {
        if (t.status !== 'passed' && t.status !== 'failed') continue
        const key = `${file} > ${t.fullName}`
        const row = tally.get(key) ?? { passed: 0, failed: 0, errors: [] }
        if (t.status === 'passed') row.passed++
        else {
          row.failed++
          failedHere++
          row.errors.push(`run ${run}:${firstLines(t.failureMessages?.[0], 3)}`)
          appendFileSync(`${kept}/run-${run}.txt`, `${key}\n${t.failureMessages?.join('\n')}\n\n`)
        }
        tally.set(key, row)
      }
    }
  } catch {
    failedHere++
    const row = tally.get('(vitest)') ?? { passed: 0, failed: 0, errors: [] }
    row.failed++
    row.errors.push(`run ${run}: no report (exit ${r.status})${firstLines(r.stderr?.toString(), 3)}`)
    tally.set('(vitest)', row)
  }
  if (failedHere === 0 && r.status === 0) cleanRuns++
  console.log(
    `run ${run}/${runs}: ${failedHere === 0 && r.status === 0 ? 'passed' : `${failedHere} failed`} in ${seconds.toFixed(0)} s`,
  )
}
stopSpinners()
rmSync(dir, { recursive: true, force: true })

if (cleanRuns < runs) console.log(`\nWhole failure messages: ${kept}/run-N.txt`)
console.log(`\n${cleanRuns}/${runs} runs passed (load: ${load} busy loop${load === 1 ? '' : 's'})`)
for (const [name, row] of tally) {
  if (row.failed === 0) continue
  console.log(`  ${row.passed}/${row.passed + row.failed}  ${name}`)
  for (const e of row.errors) console.log(`    ${e.replace(/\n/g, '\n    ')}`)
}
process.exit(cleanRuns === runs ? 0 : 1)
