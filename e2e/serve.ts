// Builds the app once and serves the production build on loopback for every e2e test, with a swarm
// relay beside it (its address is baked into the build, as `npm start` does, and provided as relayAddr).
import type { TestProject } from 'vitest/node'
import { build, preview } from 'vite'
import { startRelay } from '../scripts/relay.mjs'
import { startChain } from '../scripts/chain.mjs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
    relayAddr: string
    /** anvil with the registries deployed, baked into the build as the page's default chain. */
    chainRpc: string
  }
}

export default async function setup(project: TestProject) {
  const relay = await startRelay({ port: 0 })
  process.env.VITE_RELAY_ADDR = relay.multiaddrs[0]
  project.provide('relayAddr', relay.multiaddrs[0])
  const chain = await startChain()
  process.env.VITE_CHAIN_RPC = chain.rpcUrl
  project.provide('chainRpc', chain.rpcUrl)
  const outDir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-'))
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } })
  const server = await preview({
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1' },
  })
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new Error('vite preview did not report a URL')
  project.provide('baseUrl', url)
  return async () => {
    await server.close()
    await relay.stop()
    await chain.stop()
    rmSync(outDir, { recursive: true, force: true })
  }
}
