// Verified rewards end to end (docs/chain.md#verified-rewards): a chain and a relay of this file's own (the
// swarm is created on the coordinator with the relay listed; the tabs and the Node peer are given it),
// three tabs in the RL swarm with injected wallets that claim their rewards each coordinator round, one of
// them inflating its claims. The honest tabs' claims are confirmed and verified on chain, the inflated ones
// refuted; the leaderboard the page reads back matches the chain; and an honest tab's evidence file against
// the inflater, downloaded from the page, is re-checked by the real CLI (`lockstep evidence --rpc`). A Node
// peer (`lockstep swarm --claim`) takes part the same way: its claims are verified by the tabs, and it
// refutes the inflater with an evidence file of its own.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { createPublicClient, createWalletClient, http, keccak256, toBytes } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startRelay } from '../scripts/relay.mjs'
import { ANVIL_KEY_0, listRelays, startChain } from '../scripts/chain.mjs'
import { swarmCoordinatorAbi } from '../src/chain/contracts/SwarmCoordinator.ts'
import { launch } from './browser.ts'
import { anvilAccounts, injectTestWallet } from './testWallet.ts'

const baseUrl = inject('baseUrl')
const NAME = 'e2e-claims'
const swarm = keccak256(toBytes(NAME))
let browser: Browser
let relay: Awaited<ReturnType<typeof startRelay>>
let chain: Awaited<ReturnType<typeof startChain>>
let advancing: ReturnType<typeof setInterval> | undefined
const tabs: { page: Page; errors: string[] }[] = []
let nodePeer: ChildProcess | undefined
const nodeLines: string[] = []
/** anvil's sixth dev key (anvilAccounts[4]): the Node peer's sending key. A public test key. */
const NODE_KEY = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba'
const evidenceDir = mkdtempSync(join(tmpdir(), 'lockstep-node-evidence-'))

beforeAll(async () => {
  ;[browser, relay, chain] = await Promise.all([
    launch({ webgpu: false }),
    startRelay({ port: 0 }),
    startChain(),
  ])
  await listRelays(chain, [relay.multiaddrs[0]], { name: NAME })
}, 120_000)
afterAll(async () => {
  clearInterval(advancing)
  if (nodePeer && nodePeer.exitCode === null) {
    const exited = new Promise((r) => nodePeer!.once('exit', r))
    nodePeer.kill('SIGINT')
    const timer = setTimeout(() => nodePeer!.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  await browser?.close()
  await Promise.all([relay?.stop(), chain?.stop()])
})

const at = () => ({ address: chain.swarmCoordinator, abi: swarmCoordinatorAbi }) as const
const reader = () => createPublicClient({ transport: http(chain.rpcUrl) })

/** The stage manager, as `npm start` runs one: the coordinator's round moves on every `ms`. */
function advanceEvery(ms: number) {
  const wallet = createWalletClient({
    account: privateKeyToAccount(ANVIL_KEY_0),
    transport: http(chain.rpcUrl),
  })
  advancing = setInterval(() => {
    void wallet
      .writeContract({ ...at(), functionName: 'updateStageAndRound', args: [swarm], chain: null })
      .catch(() => {})
  }, ms)
}

async function openTab(account: string, query: string) {
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await injectTestWallet(page, { rpc: chain.rpcUrl, signer: chain.rpcUrl, account, chainId: 31337 })
  const rpc = encodeURIComponent(chain.rpcUrl)
  const relayAddr = encodeURIComponent(relay.multiaddrs[0])
  await page.goto(
    `${baseUrl}?swarm=rl&swarmName=${NAME}&swarmMin=3&swarmClaim=1&rpc=${rpc}&relay=${relayAddr}${query}`,
  )
  await page.locator('[data-testid="wallet-option"][data-name="Test Wallet"]').click()
  await page.getByTestId('wallet-connected').waitFor()
  return { page, errors }
}

const selfId = (page: Page) => page.getByTestId('swarm-self').getAttribute('title') as Promise<string>
const attestations = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="rl-attestation"]'), (r) => ({
      claimant: r.getAttribute('data-claimant')!,
      round: Number(r.getAttribute('data-round')),
      confirmed: r.getAttribute('data-confirmed') === 'true',
    })),
  )

/** What each tab's panel says, attached to a failure. */
async function explain<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    const panels = await Promise.all(
      tabs.map((t) => t.page.getByTestId('swarm-panel').innerText().catch(String)),
    )
    const jobs = await Promise.all(
      tabs.map((t) => t.page.getByTestId('wallet-panel').innerText().catch(String)),
    )
    throw new Error(
      `${e instanceof Error ? e.message : e}\nnode peer:\n${nodeLines.slice(-30).join('\n')}\n${panels.map((p, i) => `tab ${i}: ${p.slice(0, 1500)}\nwallet: ${jobs[i].slice(0, 800)}`).join('\n')}`,
      { cause: e },
    )
  }
}

const evidenceCli = (file: string) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, ['bin/lockstep.mjs', 'evidence', file, '--rpc', chain.rpcUrl], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d))
    p.stderr.on('data', (d: Buffer) => (out += d))
    p.on('exit', (code) => resolve({ code, out }))
  })

describe('verified rewards: three tabs claim, one inflates', () => {
  it('verifies honest claims, refutes the inflated ones with evidence the CLI re-checks, and shows it', async () => {
    tabs.push(
      ...(await Promise.all([
        openTab(anvilAccounts[0], ''),
        openTab(anvilAccounts[1], ''),
        openTab(anvilAccounts[2], '&swarmInflate=1'),
      ])),
    )
    const pages = tabs.map((t) => t.page)
    const ids = await explain(async () => {
      for (const page of pages) await page.getByTestId('swarm-self').waitFor({ timeout: 60_000 })
      return Promise.all(pages.map(selfId))
    })
    advanceEvery(15_000)
    nodePeer = spawn(
      process.execPath,
      [
        ...['bin/lockstep.mjs', 'swarm', '--kind', 'rl', '--relay', relay.multiaddrs[0], '--name', NAME],
        ...['--claim', '--rpc', chain.rpcUrl, '--evidence-dir', evidenceDir, '--json'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOCKSTEP_KEY: NODE_KEY } },
    )
    for (const out of [nodePeer.stdout!, nodePeer.stderr!])
      out.on('data', (d: Buffer) => nodeLines.push(...d.toString().split('\n').filter(Boolean)))
    const nodeId = await explain(() =>
      expect
        .poll(() => nodeLines.map((l) => /joined RL swarm/.test(l) && l.split(' ')[2]).find(Boolean), {
          timeout: 120_000,
        })
        .toMatch(/^16Uiu2/),
    ).then(() => nodeLines.map((l) => /joined RL swarm/.test(l) && l.split(' ')[2]).find(Boolean) as string)
    ids.push(nodeId)
    const client = reader()
    const totals = () => client.readContract({ ...at(), functionName: 'getPeers', args: [swarm, ids] })

    // Both honest tabs have a verified reward, the inflater a refuted one and nothing verified.
    await explain(() =>
      expect
        .poll(
          async () => {
            const rows = await totals()
            return rows.map((r) => ({ verified: r.verified > 0n, refuted: r.refuted > 0n }))
          },
          { timeout: 420_000, interval: 2000 },
        )
        .toEqual([
          { verified: true, refuted: false },
          { verified: true, refuted: false },
          { verified: false, refuted: true },
          { verified: true, refuted: false },
        ]),
    )
    // Each peer's verified total is the sum of its verified claims, each the reward its tab computed.
    const claimed = await Promise.all(
      pages.map((p) =>
        p.evaluate(() =>
          Array.from(document.querySelectorAll('[data-testid="rl-claim"]'), (e) => ({
            round: Number(e.getAttribute('data-round')),
            reward: e.getAttribute('data-reward')!,
          })),
        ),
      ),
    )
    for (const i of [0, 1]) {
      let verified = 0n
      let landed = 0
      for (const c of claimed[i]) {
        const claim = await client.readContract({
          ...at(),
          functionName: 'getClaim',
          args: [
            await client.readContract({
              ...at(),
              functionName: 'claimId',
              args: [swarm, BigInt(c.round), 0n, ids[i]],
            }),
          ],
        })
        // A listed claim is queued in the tab's wallet: not on chain yet (or missed, its stage over) is no
        // mismatch; one that landed carries exactly the reward the tab computed.
        if (claim.status === 0) continue
        landed++
        if (claim.status === 2) verified += claim.reward
        expect(claim.reward.toString()).toBe(c.reward)
      }
      // Only the last five claims are listed, and more are verified while this reads: the total read after
      // the claims covers at least those (a verified total only grows unless a claim is refuted).
      expect((await totals())[i].verified).toBeGreaterThanOrEqual(verified)
      expect(landed).toBeGreaterThan(0)
    }

    // The page's leaderboard reads the same totals back from the chain and shows the inflater disputed.
    for (const page of pages.slice(0, 1))
      await explain(async () => {
        for (const [i, id] of ids.entries()) {
          const row = page.locator(`[data-testid="leaderboard-row"][data-peer="${id}"]`)
          // The chain moves on while the page polls it (every 4 s): equal at some moment, read side by side.
          const cell = (k: string) => row.getByTestId(k).getAttribute('data-value')
          const same = async () => {
            const t = (await totals())[i]
            return [await cell('verified'), await cell('disputed')].join() === [t.verified, t.refuted].join()
          }
          await expect.poll(same, { timeout: 60_000, interval: 1000 }).toBe(true)
          const disputed = () => cell('disputed')
          if (i === 2) expect(await disputed()).not.toBe('0')
        }
      })

    // Each peer votes once per ended coordinator round for the best peers by its own recomputation.
    await expect
      .poll(async () => (await totals()).reduce((n, r) => n + r.votes, 0n), { timeout: 60_000 })
      .toBeGreaterThan(0n)
    expect((await totals()).reduce((n, r) => n + r.wins, 0n)).toBeGreaterThan(0n)

    // An honest tab's refutation of the inflater: its evidence file, downloaded, re-checked by the CLI.
    // (The chain says someone refuted it; tab 0's own refutation may be of a claim still in flight.)
    await explain(() =>
      expect
        .poll(async () => (await attestations(pages[0])).some((a) => a.claimant === ids[2] && !a.confirmed), {
          timeout: 120_000,
          interval: 1000,
          message: 'tab 0 refuted the inflater',
        })
        .toBe(true),
    )
    const link = pages[0].locator(
      `[data-testid="rl-attestation"][data-claimant="${ids[2]}"][data-confirmed="false"] [data-testid="rl-evidence"]`,
    )
    const [download] = await Promise.all([pages[0].waitForEvent('download'), link.first().click()])
    const file = join(mkdtempSync(join(tmpdir(), 'lockstep-evidence-')), download.suggestedFilename())
    await download.saveAs(file)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      kind: 'lockstep/reward-evidence',
      claim: { peerId: ids[2] },
      verdict: { confirmed: false },
    })
    const cli = await evidenceCli(file)
    expect(cli.out).toMatch(/refuted/)
    expect(cli.code, cli.out).toBe(0)

    // The Node peer refuted the inflater too, with an evidence file of its own that the CLI re-checks.
    await explain(() =>
      expect
        .poll(() => nodeLines.some((l) => l.includes(`refuted ${ids[2]}'s claim`)), { timeout: 120_000 })
        .toBe(true),
    )
    const files = readdirSync(evidenceDir).filter((f) => f.includes(ids[2].slice(-8)))
    const refuting = files.find(
      (f) => JSON.parse(readFileSync(join(evidenceDir, f), 'utf8')).verdict.confirmed === false,
    )
    expect(refuting, 'the Node peer wrote its refutation').toBeDefined()
    const again = await evidenceCli(join(evidenceDir, refuting!))
    expect(again.code, again.out).toBe(0)
    for (const t of tabs) expect(t.errors).toEqual([])
  }, 600_000)
})
