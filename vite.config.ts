import { defineConfig } from 'vitest/config'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { playwright } from '@vitest/browser-playwright'
import { chromiumArgs, findChromium } from './scripts/chromium.mjs'
/** anvil nodes started by browser tests (commands.startAnvil), by RPC URL, so the test can stop its own. */
const nodes = new Map<string, { stop: () => Promise<void> }>()

// Cross-origin isolation lets workers share memory (and onnxruntime-web use threads).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export default defineConfig({
  plugins: [svelte()],
  worker: { format: 'es' },
  build: { target: 'esnext' },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          // Both cores (vitest would take one of two): the swarm protocol's tests run on a virtual clock,
          // so a busy core slows them without failing them.
          maxWorkers: 2,
          include: ['src/**/*.test.ts', 'workers/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.gpu.test.ts', 'scripts/adapters.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // The same kernels and steps on two Vulkan drivers through Dawn, each in its own process
          // (scripts/adapters.mjs): minutes of pipeline compiles, so last and alone.
          name: 'adapters',
          environment: 'node',
          include: ['scripts/adapters.test.ts'],
          sequence: { groupOrder: 3 },
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['src/**/*.gpu.test.ts'],
          // After unit, which takes both cores (vitest runs projects of one group side by side).
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            // A failed browser test keeps its page, next to the e2e failures (artifacts/ is ignored).
            screenshotFailures: true,
            screenshotDirectory: 'artifacts/failures/gpu',
            instances: [{ browser: 'chromium' }],
            // A page test against a real chain (src/ui/pages/MarketsPage.gpu.test.ts): the browser cannot
            // start anvil, so the node side does; the test deploys and talks to it over its RPC.
            commands: {
              async startAnvil() {
                const { startAnvil } = await import('./scripts/chain.mjs')
                const node = await startAnvil()
                nodes.set(node.rpcUrl, node)
                return node.rpcUrl
              },
              async stopAnvil(_ctx, rpcUrl: string) {
                await nodes.get(rpcUrl)?.stop()
                nodes.delete(rpcUrl)
              },
            },
            provider: playwright({
              launchOptions: { executablePath: findChromium(), args: chromiumArgs },
            }),
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['e2e/**/*.test.ts'],
          globalSetup: ['e2e/serve.ts'],
          setupFiles: ['e2e/failures.ts'],
          // After unit and gpu, one file at a time: a swarm test runs four Chromium tabs that train and
          // re-check each other, and on a 2-core machine other suites beside it starve its rounds.
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
