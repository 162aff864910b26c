// Builds the app once and serves the production build on loopback for every e2e test.
import type { TestProject } from 'vitest/node'
import { build, preview } from 'vite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
  }
}

export default async function setup(project: TestProject) {
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
    rmSync(outDir, { recursive: true, force: true })
  }
}
