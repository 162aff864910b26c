// The bare swarm-network page (fixtures/swarm-net) built and served on loopback, and helpers to open
// tabs on it in separate browser contexts (separate storage, separate libp2p identities).
import { build, preview } from 'vite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { expect } from 'vitest'
import type { SwarmTestApi } from './fixtures/swarm-net/main.ts'
import { openPage } from './browser.ts'

declare global {
  interface Window {
    swarmTest: SwarmTestApi
  }
}

export async function serveSwarmFixture(): Promise<{ url: string; close(): Promise<void> }> {
  const root = resolve('e2e/fixtures/swarm-net')
  const outDir = mkdtempSync(join(tmpdir(), 'lockstep-swarm-net-'))
  const config = { configFile: false as const, root, logLevel: 'warn' as const }
  await build({ ...config, build: { outDir, emptyOutDir: true, target: 'esnext' } })
  const server = await preview({ ...config, build: { outDir }, preview: { port: 0, host: '127.0.0.1' } })
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new Error('vite preview did not report a URL')
  return {
    url,
    close: async () => {
      await server.close()
      rmSync(outDir, { recursive: true, force: true })
    },
  }
}

export interface Tab {
  page: Page
  errors: string[]
  id: string
}

/** Opens a tab on the fixture pointed at `relay` and waits until its node runs. */
export async function openTab(browser: Browser, url: string, relay: string): Promise<Tab> {
  const { page, errors } = await openPage(browser, `${url}?relay=${encodeURIComponent(relay)}`)
  await page.waitForFunction(() => window.swarmTest !== undefined, null, { timeout: 30_000 })
  const id = await page.evaluate(() => window.swarmTest.status().self)
  return { page, errors, id }
}

/** Waits until every tab has a direct (WebRTC) connection to every other tab. */
export async function untilMeshed(tabs: Tab[], timeout = 60_000): Promise<void> {
  for (const tab of tabs) {
    const others = tabs.filter((t) => t !== tab).map((t) => t.id)
    await expect
      .poll(
        async () => {
          const { peers } = await tab.page.evaluate(() => window.swarmTest.status())
          return others.filter((id) => peers.some((p) => p.id === id && p.direct)).length
        },
        { timeout, interval: 250 },
      )
      .toBe(others.length)
  }
}
