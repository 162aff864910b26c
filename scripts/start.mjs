#!/usr/bin/env node
// The one run command: installs what is missing, then builds the app and serves the production build on
// localhost — what a deployment serves (docs/deploy.md). `npm run dev` (this script with --dev) serves
// Vite's dev server instead, with hot reload, for working on the app.
import { spawn, spawnSync } from 'node:child_process'
import { ensureDeps } from './deps.mjs'

ensureDeps()
const port = process.env.PORT ?? '5173'
// The swarm's relay on loopback, unless VITE_RELAY_ADDR already points tabs at another one.
// Imported only now: on a first run libp2p is not installed until ensureDeps() returns.
let relay
if (!process.env.VITE_RELAY_ADDR) {
  const { startRelay } = await import('./relay.mjs')
  relay = await startRelay({ port: Number(process.env.RELAY_PORT ?? 9090) })
  console.log(`[lockstep] swarm relay at ${relay.multiaddrs[0]}`)
}
// The local dev chain (anvil) with the registries deployed, unless VITE_CHAIN_RPC already points the
// app at another chain (docs/chain.md).
let chain
if (!process.env.VITE_CHAIN_RPC) {
  const { startChain } = await import('./chain.mjs')
  chain = await startChain({ port: Number(process.env.CHAIN_PORT ?? 8545) })
  process.env.VITE_CHAIN_RPC = chain.rpcUrl
  console.log(
    `[lockstep] dev chain ${chain.chainId} at ${chain.rpcUrl}, receipt registry ${chain.receiptRegistry}`,
  )
}
// With a relay and a chain of its own, the relay is listed on the chain's SwarmCoordinator (the default
// swarm's bootnodes) instead of being built in: tabs find it there, as they would a deployment's relays
// (docs/swarm.md#finding-a-relay). On someone else's chain there is no key to list it with: build it in.
if (relay && chain) {
  const { listRelays, runStageManager, DEV_SWARM_NAME } = await import('./chain.mjs')
  try {
    await listRelays(chain, relay.multiaddrs)
    console.log(
      `[lockstep] relay listed for swarm "${DEV_SWARM_NAME}" on SwarmCoordinator ${chain.swarmCoordinator}; tabs read it from the chain`,
    )
    // Reward claims are made once per coordinator round: move the dev swarm's round on (CHAIN_ROUND_S).
    const everyMs = 1000 * Number(process.env.CHAIN_ROUND_S ?? 30)
    runStageManager(chain, { everyMs, log: console.warn })
    console.log(`[lockstep] the dev swarm's coordinator round moves on every ${everyMs / 1000} s`)
  } catch (e) {
    console.warn(`[lockstep] could not list the relay on the chain (${e}); building it into the app instead`)
    process.env.VITE_RELAY_ADDR = relay.multiaddrs[0]
  }
} else if (relay) process.env.VITE_RELAY_ADDR = relay.multiaddrs[0]
const dev = process.argv.includes('--dev')
if (!dev) {
  console.log('[lockstep] building the app (npm run dev skips this and serves the sources)…')
  const built = spawnSync('node_modules/.bin/vite', ['build', '--logLevel', 'warn'], { stdio: 'inherit' })
  if (built.status !== 0) {
    void relay?.stop()
    void chain?.stop()
    console.error('[lockstep] the build failed (above); `npm run dev` serves the sources without building')
    process.exit(1)
  }
}
// Start vite's own binary, not `npx vite`, so signals reach the real process. `vite preview` serves
// dist/ with the same headers as the dev server (vite.config.ts).
const serve = dev ? [] : ['preview']
const vite = spawn(
  'node_modules/.bin/vite',
  [...serve, '--host', '127.0.0.1', '--port', port, '--strictPort'],
  {
    stdio: 'inherit',
  },
)
const stop = () => {
  vite.kill('SIGTERM')
  void relay?.stop()
  void chain?.stop()
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
vite.on('exit', (code) => process.exit(code ?? 0))
