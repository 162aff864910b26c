// build-app's substitution on a small template: every quote style the minifier may choose, unset
// settings become `void 0` (as if unset at build time), and a template that does not fit is refused.
import { describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { APP_SETTINGS, placeholder } from '../../scripts/appSettings.mjs'
import { buildAppCommand, fillApp } from './buildApp.ts'

function template(extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-template-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<script src="./assets/index.js"></script>')
  const [relay, rpc, ...rest] = APP_SETTINGS
  const env = rest.map((n) => `${n}:\`${placeholder(n)}\``).join(',')
  writeFileSync(
    join(dir, 'assets', 'index.js'),
    `var e={${env}};function r(s,t='${placeholder(relay)}'){return t}var c="${placeholder(rpc)}";${extra}`,
  )
  return dir
}

describe('fillApp', () => {
  it('puts each setting where its placeholder was, whatever the quotes, and writes _headers', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lockstep-app-')), 'site')
    const found = fillApp(template(), out, {
      VITE_RELAY_ADDR: '/dns4/r.example/tcp/443/wss/p2p/12D3KooW',
      VITE_CHAIN_RPC: 'https://rpc.example/"quoted"',
      VITE_CHAIN_ID: '10',
    })
    const js = readFileSync(join(out, 'assets', 'index.js'), 'utf8')
    expect(js).toContain(`t="/dns4/r.example/tcp/443/wss/p2p/12D3KooW"`)
    expect(js).toContain(`c="https://rpc.example/\\"quoted\\""`)
    expect(js).toContain('VITE_CHAIN_ID:"10"')
    expect(js).toContain('VITE_CHAIN_NAME:void 0')
    expect(js).not.toContain('__LOCKSTEP_')
    // The filled file is still JavaScript, and means what a build with these settings would.
    const e = new Function(`${js};return [e, r(''), c]`)() as [Record<string, string>, string, string]
    expect(e[0].VITE_CHAIN_ID).toBe('10')
    expect(e[0].VITE_CHAIN_EXPLORER).toBeUndefined()
    expect(e[2]).toBe('https://rpc.example/"quoted"')
    expect(Object.values(found).every((n) => n === 1)).toBe(true)
    expect(readFileSync(join(out, '_headers'), 'utf8')).toContain(
      'Cross-Origin-Embedder-Policy: require-corp',
    )
  })

  it('refuses a template missing a placeholder, or holding one it does not know', () => {
    const dir = template()
    const file = join(dir, 'assets', 'index.js')
    writeFileSync(file, readFileSync(file, 'utf8').replace(placeholder('VITE_CHAIN_ID'), 'x'))
    expect(() => fillApp(dir, `${dir}-out`, {})).toThrow(/no place for VITE_CHAIN_ID/)
    const odd = template(`var o="__LOCKSTEP_VITE_NEW__";`)
    expect(() => fillApp(odd, `${odd}-out`, {})).toThrow(/a placeholder is left/)
  })
})

describe('build-app without --relay', () => {
  it('is refused, before anything is written, unless a coordinator will list the relays', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lockstep-app-')), 'site')
    const elsewhere = ['--rpc', 'https://rpc.example', '--chain-id', '10']
    const registries = ['--registry', '0x5FbDB2315678afecb367f032d93F642f64180aa3']
    registries.push('--swarm-registry', '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512')
    await expect(buildAppCommand([...elsewhere, ...registries, '--out', out])).rejects.toMatchObject({
      name: 'UsageError',
      shortMessage: expect.stringMatching(/--relay takes .* --contracts or --swarm-coordinator/),
    })
    expect(existsSync(out)).toBe(false)
    await expect(
      buildAppCommand([...elsewhere, ...registries, '--swarm-coordinator', 'relay', '--out', out]),
    ).rejects.toMatchObject({ name: 'UsageError', shortMessage: /swarm coordinator address is not/ })
  })
})

describe('build-app with markets', () => {
  it('refuses a market factory without a collateral, or either one malformed, before writing', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lockstep-app-')), 'site')
    const base = ['--relay', '/dns4/r.example/tcp/443/wss/p2p/12D3KooW', '--rpc', 'https://rpc.example']
    base.push('--chain-id', '10', '--registry', '0x5FbDB2315678afecb367f032d93F642f64180aa3')
    base.push('--swarm-registry', '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', '--out', out)
    const factory = ['--market-factory', '0x0165878A594ca255338adfa4d48449f69242Eb8F']
    await expect(buildAppCommand([...base, ...factory])).rejects.toMatchObject({
      name: 'UsageError',
      shortMessage: expect.stringContaining('needs --market-collateral'),
    })
    await expect(buildAppCommand([...base, ...factory, '--market-collateral', 'usdc'])).rejects.toMatchObject(
      { name: 'UsageError', shortMessage: /market collateral address is not/ },
    )
    await expect(
      buildAppCommand([...base, '--market-factory', '0x12', '--market-collateral', factory[1]]),
    ).rejects.toMatchObject({ name: 'UsageError', shortMessage: /market factory address is not/ })
    expect(existsSync(out)).toBe(false)
  })
})
