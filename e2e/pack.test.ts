// The package as a new user gets it: `npm pack`, then `npm i <tarball>` in a fresh folder outside the
// repository (no dev dependencies, no optional ones, so no Dawn), then the installed `lockstep` verifies a
// receipt it trained, refuses a tampered one, runs a relay with /metrics and fills in an app. Costs 40 to
// 100 s here (two cores shared), most of it `npm i`, from npm's cache where it has the packages
// (--prefer-offline), else the registry. In the e2e project: it tests the package end to end, and the unit
// project stays quick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const repo = resolve(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'lockstep-pack-'))
const app = join(dir, 'user')
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
// npm's own cache stays (it is what makes the install fast and work offline); everything else that
// could lead back to the repository or its npm settings does not.
const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim()
const env = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_|^NODE_PATH$|^LOCKSTEP_/i.test(k)),
  ),
  HOME: join(dir, 'home'),
  npm_config_cache: cache,
  npm_config_update_notifier: 'false',
}
const run = (cmd: string, args: string[], options: SpawnSyncOptions = {}) =>
  spawnSync(cmd, args, { cwd: app, env, encoding: 'utf8', timeout: 180_000, ...options }) as {
    status: number | null
    stdout: string
    stderr: string
  }
/** The installed bin, as npm linked it; `npx lockstep` for verify, as the README has it (npx costs ~1 s). */
const lockstep = (...args: string[]) => run(join(app, 'node_modules', '.bin', 'lockstep'), args)
const npx = (...args: string[]) => run('npx', ['--no-install', 'lockstep', ...args])

beforeAll(() => {
  const packed = run('npm', ['pack', '--pack-destination', dir], { cwd: repo })
  expect(packed.status, packed.stderr).toBe(0)
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), '{ "private": true }\n')
  const flags = ['--omit=dev', '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline']
  const installed = run('npm', ['i', ...flags, join(dir, tarball)])
  expect(installed.status, installed.stderr).toBe(0)
}, 300_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the packed lockstep, installed with only its runtime dependencies', () => {
  it('ships the prebuilt CLI and app, not the sources, and installs no dev dependency', () => {
    const pkg = join(app, 'node_modules', 'lockstep')
    expect(existsSync(join(pkg, 'dist-cli', 'main.js'))).toBe(true)
    expect(existsSync(join(pkg, 'dist-app', 'index.html'))).toBe(true)
    expect(existsSync(join(pkg, 'src'))).toBe(false)
    for (const dev of ['vite', 'svelte', 'solc', 'webgpu'])
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false)
  })

  it('verifies a receipt it trained (exit 0) and refuses a tampered one (exit 1)', () => {
    const trained = lockstep('train', '--out', 'receipt.json', '--steps', '2', '--batch', '2', '--key', KEY)
    expect(trained.stderr).toBe('')
    expect(trained.status).toBe(0)
    const ok = npx('verify', 'receipt.json')
    expect(ok.stdout).toContain('every step re-executed and equal')
    expect(ok.status).toBe(0)

    const r = JSON.parse(readFileSync(join(app, 'receipt.json'), 'utf8'))
    r.body.stepHashes[1] = r.body.stepHashes[1].replace(/.$/, (c: string) => (c === '0' ? '1' : '0'))
    writeFileSync(join(app, 'tampered.json'), JSON.stringify(r))
    const refused = npx('verify', 'tampered.json')
    expect(refused.stdout).toMatch(/^FAILED: /m)
    expect(refused.status).toBe(1)
  }, 120_000)

  it('documents itself and its exit codes; --gpu without Dawn says what is missing', () => {
    const helped = lockstep('--help')
    expect(helped.stdout).toContain('exit codes: 0 ok, 1 refused')
    expect(helped.status).toBe(0)
    for (const command of ['verify', 'relay', 'deploy', 'build-app']) {
      const h = lockstep(command, '--help')
      expect(h.stdout).toContain(`lockstep ${command}`)
      expect(h.status).toBe(0)
    }
    expect(lockstep('verify').status).toBe(2)
    const gpu = lockstep('replay', 'receipt.json', '--gpu')
    expect(gpu.stderr).toContain("--gpu needs the optional 'webgpu' package")
    expect(gpu.status).toBe(1)
  }, 60_000)

  it('runs a relay with /metrics and stops it cleanly on SIGTERM', async () => {
    const relay = spawn(
      join(app, 'node_modules', '.bin', 'lockstep'),
      ['relay', '--port', '0', '--metrics-port', '0', '--identity', join(dir, 'relay-key')],
      { cwd: app, env },
    )
    let out = ''
    relay.stdout.on('data', (d) => (out += d))
    relay.stderr.on('data', (d) => (out += d))
    await expect.poll(() => /metrics: (\S+)/.exec(out)?.[1], { timeout: 30_000 }).toBeDefined()
    const metrics = await (await fetch(/metrics: (\S+)/.exec(out)![1])).text()
    expect(metrics).toMatch(/^lockstep_relay_peers 0$/m)
    expect(metrics).toMatch(/^# TYPE lockstep_relay_relayed_bytes_total counter$/m)
    const exited = new Promise<number | null>((done) => relay.on('exit', (code) => done(code)))
    relay.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toContain('relay stopped')
  }, 60_000)

  it('fills in the app with a relay and a chain', () => {
    const relay =
      '/dns4/relay.example.org/tcp/443/wss/p2p/12D3KooWSaQC2uwA7jrxNWfy2KjZbBiRAneGNchKSP6gnzuAENr1'
    const built = lockstep('build-app', '--relay', relay, '--out', 'site')
    expect(built.stderr).toBe('')
    expect(built.status).toBe(0)
    const assets = join(app, 'site', 'assets')
    const js = readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(assets, f), 'utf8'))
      .join('\n')
    expect(js).toContain(JSON.stringify(relay))
    expect(js).not.toContain('__LOCKSTEP_')
    // Off the dev chain, an RPC and addresses are required: refused before anything is written.
    const refused = lockstep('build-app', '--relay', relay, '--chain-id', '10', '--out', 'other')
    expect(refused.stderr).toContain('needs an RPC URL')
    expect(refused.status).toBe(2)
    expect(existsSync(join(app, 'other'))).toBe(false)
  })
})
