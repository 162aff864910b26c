// `lockstep build-app`: the static app with a swarm's relay and chain built in as its defaults. The app
// is built once, when the package is packed (scripts/prebuild.mjs: dist-app/, relative base, a placeholder
// string for each setting in scripts/appSettings.mjs); this copies it and puts each value where its placeholder was, so an
// installed package needs no bundler. The page's URL parameters still override every default.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Address } from 'viem'
import { resolveChain } from '../chain/config.ts'
import { APP_SETTINGS } from '../../scripts/appSettings.mjs'
import type { Deployments } from './deploy.ts'
import { flag } from './args.ts'
import { BuildAppError, UsageError } from '../errors/cli.ts'

export type AppSettings = Partial<Record<(typeof APP_SETTINGS)[number], string>>

/** The headers the app is served with (the dev server's too): Netlify / Cloudflare Pages read `_headers`. */
export const APP_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

/**
 * Copies the template `from` to `to` with every placeholder replaced by its setting (a JS string), or by
 * `void 0` where a setting is unset (as if it had not been set at build time). Throws if the template lacks
 * a setting's placeholder (it was not built by prebuild.mjs) or if one is left over.
 */
export function fillApp(from: string, to: string, settings: AppSettings): Record<string, number> {
  if (!existsSync(join(from, 'index.html'))) throw new BuildAppError(`no app template in ${from}`)
  cpSync(from, to, { recursive: true })
  const found = Object.fromEntries(APP_SETTINGS.map((n) => [n, 0]))
  const pattern = /(["'`])__LOCKSTEP_(VITE_[A-Z_]+)__\1/g
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.(js|html)$/.test(e.name)) {
        const text = readFileSync(p, 'utf8')
        if (!text.includes('__LOCKSTEP_')) continue
        const filled = text.replace(pattern, (whole, _q, name: string) => {
          if (!(name in found)) return whole
          found[name]++
          const v = settings[name as keyof AppSettings]
          return v === undefined ? 'void 0' : JSON.stringify(v)
        })
        if (filled.includes('__LOCKSTEP_'))
          throw new BuildAppError(`${p}: a placeholder is left that build-app does not know`)
        writeFileSync(p, filled)
      }
    }
  }
  walk(to)
  const missing = APP_SETTINGS.filter((n) => found[n] === 0)
  if (missing.length)
    throw new BuildAppError(`the app template has no place for ${missing.join(', ')}: rebuild it`)
  writeFileSync(
    join(to, '_headers'),
    `/*\n${Object.entries(APP_HEADERS)
      .map(([k, v]) => `  ${k}: ${v}\n`)
      .join('')}`,
  )
  return found
}

function chainSettings(args: string[]): AppSettings {
  const file = flag(args, 'contracts')
  const d = file ? (JSON.parse(readFileSync(file, 'utf8')) as Deployments) : undefined
  const pick = (name: string, fromFile: string | undefined) => {
    const given = flag(args, name)
    if (given !== undefined && fromFile !== undefined && given.toLowerCase() !== fromFile.toLowerCase())
      throw new UsageError(`--${name} ${given} disagrees with ${file} (${fromFile})`)
    return given ?? fromFile
  }
  const s = {
    rpc: flag(args, 'rpc'),
    chainId: pick('chain-id', d?.chainId === undefined ? undefined : String(d.chainId)),
    registry: pick('registry', d?.contracts.receiptRegistry),
    swarmRegistry: pick('swarm-registry', d?.contracts.swarmRegistry),
    swarmCoordinator: pick('swarm-coordinator', d?.contracts.swarmCoordinator),
    marketFactory: pick('market-factory', d?.contracts.marketFactory),
    // Any ERC-20 by address; a deployment with a TestToken (deploy --test-token) offers it.
    collateral: flag(args, 'market-collateral') ?? d?.contracts.testToken,
    name: flag(args, 'chain-name'),
    explorer: flag(args, 'explorer'),
  }
  if (s.marketFactory && !s.collateral)
    throw new UsageError(
      'a market factory needs --market-collateral ADDRESS: the ERC-20 new markets take by default',
    )
  // The page's own rules, applied now: a build the page would refuse is not written.
  try {
    resolveChain(s)
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
  return {
    VITE_CHAIN_RPC: s.rpc,
    VITE_CHAIN_ID: s.chainId,
    VITE_RECEIPT_REGISTRY: s.registry as Address | undefined,
    VITE_SWARM_REGISTRY: s.swarmRegistry as Address | undefined,
    VITE_SWARM_COORDINATOR: s.swarmCoordinator as Address | undefined,
    VITE_MARKET_FACTORY: s.marketFactory as Address | undefined,
    VITE_MARKET_COLLATERAL: s.collateral as Address | undefined,
    VITE_CHAIN_NAME: s.name,
    VITE_CHAIN_EXPLORER: s.explorer,
  }
}

/** Only a folder that is empty or holds an earlier build is replaced. */
function clearOut(out: string): void {
  if (!existsSync(out)) return
  const entries = readdirSync(out)
  const earlier = entries.includes('index.html') && entries.includes('assets')
  if (entries.length && !earlier)
    throw new BuildAppError(`${out} is not empty and holds no earlier build: name another --out`)
  rmSync(out, { recursive: true, force: true })
}

export async function buildAppCommand(args: string[]): Promise<number> {
  const relays = (flag(args, 'relay') ?? '').split(',').filter(Boolean)
  for (const r of relays)
    if (!r.startsWith('/') || !r.includes('/p2p/'))
      throw new UsageError(`--relay ${r} is not a relay address (a multiaddr ending /p2p/<peer id>)`)
  const settings = { VITE_RELAY_ADDR: relays.join(',') || undefined, ...chainSettings(args) }
  // Without a built-in relay a tab reads its swarm's relays from the coordinator (docs/swarm.md).
  if (!relays.length && !settings.VITE_SWARM_COORDINATOR)
    throw new UsageError(
      '--relay takes the relay address that `lockstep relay` printed (or give the coordinator that lists the relays: --contracts or --swarm-coordinator)',
    )
  const out = resolve(flag(args, 'out') ?? 'lockstep-app')
  clearOut(out)
  const template = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist-app')
  fillApp(template, out, settings)
  const chain = resolveChain({
    rpc: settings.VITE_CHAIN_RPC,
    chainId: settings.VITE_CHAIN_ID,
    registry: settings.VITE_RECEIPT_REGISTRY,
    swarmRegistry: settings.VITE_SWARM_REGISTRY,
    swarmCoordinator: settings.VITE_SWARM_COORDINATOR,
    marketFactory: settings.VITE_MARKET_FACTORY,
    collateral: settings.VITE_MARKET_COLLATERAL,
  })
  console.log(`wrote ${out}`)
  console.log(`relay: ${relays.join(', ') || `read from SwarmCoordinator ${chain.swarmCoordinator}`}`)
  console.log(
    `chain: ${chain.chainId} at ${chain.rpcUrl}, ReceiptRegistry ${chain.receiptRegistry}, SwarmRegistry ${chain.swarmRegistry}${chain.swarmCoordinator ? `, SwarmCoordinator ${chain.swarmCoordinator}` : ''}`,
  )
  if (chain.marketFactory)
    console.log(`markets: MarketFactory ${chain.marketFactory}, collateral ${chain.marketCollateral}`)
  console.log('serve it from any static host, at any path, with the headers in _headers (docs/deploy.md)')
  return 0
}
