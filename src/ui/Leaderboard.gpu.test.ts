// In the browser project (not for the GPU: a real DOM). The leaderboard fed by a fake chain client that
// answers the coordinator's reads: the automation contract (data-testid and data-* the e2e reads), the
// "disputed" column's caveat, a peer that is not registered, and an RPC failure shown, not thrown.
import { flushSync, mount, unmount } from 'svelte'
import { afterEach, expect, it } from 'vitest'
import axe from 'axe-core'
import type { PublicClient } from 'viem'
import './theme.css'
import Leaderboard from './Leaderboard.svelte'
import { resolveChain } from '../chain/config.ts'
import { swarmId, type SwarmRef } from '../chain/coordinator.ts'

const config = resolveChain({})
const ref: SwarmRef = { config, address: config.swarmCoordinator!, swarm: swarmId('board') }
const alice = `0x${'a'.repeat(40)}` as const
const zero = `0x${'0'.repeat(40)}` as const
const row = (
  peerId: string,
  eoa: string,
  claimed: bigint,
  verified: bigint,
  refuted: bigint,
  wins: bigint,
) => ({
  peerId,
  eoa,
  claimed,
  verified,
  refuted,
  wins,
  votes: 0n,
})

/** Answers swarmInfo, the board, getPeers and getClaim as the contract would; `down` fails every read. */
function fakeClient(state: { down: boolean }) {
  return {
    async readContract({ functionName, args }: { functionName: string; args: unknown[] }) {
      if (state.down) throw new Error('HTTP request failed. Failed to fetch')
      switch (functionName) {
        case 'swarmInfo':
          return {
            name: 'board',
            creator: alice,
            round: 2n,
            stage: 0n,
            stageCount: 1n,
            quorum: 1n,
            peers: 2n,
            voters: 1n,
            bootnodes: 0n,
          }
        case 'rewardLeaderboard':
          return [row('peer-a', alice, 1500n, 1500n, 0n, 3n)]
        case 'getPeers':
          return (args[1] as string[]).map((id) =>
            id === 'peer-a'
              ? row(id, alice, 1500n, 1500n, 0n, 3n)
              : row(id === 'peer-b' ? id : '', id === 'peer-b' ? alice : zero, 2000n, 0n, 2000n, 0n),
          )
        case 'getClaim':
          return {
            swarm: ref.swarm,
            peer: ref.swarm,
            round: 1n,
            stage: 0,
            status: 2,
            confirmations: 1,
            refutations: 0,
            reward: 1500n,
            receiptsRoot: ref.swarm,
          }
      }
      throw new Error(`unexpected read ${functionName}`)
    },
  } as unknown as PublicClient
}

const cleanup: (() => void)[] = []
afterEach(() => cleanup.splice(0).forEach((f) => f()))

async function show(state: { down: boolean }, self: string | null, width = 800) {
  const target = document.createElement('div')
  target.style.width = `${width}px`
  document.body.append(target)
  const app = mount(Leaderboard, {
    target,
    props: { ref, name: 'board', self, peers: ['peer-b', 'peer-c'], client: fakeClient(state) },
  })
  cleanup.push(() => (unmount(app), target.remove()))
  for (
    let i = 0;
    i < 50 &&
    target.querySelector('[data-loaded="false"]') &&
    !target.querySelector('[data-testid="leaderboard-error"]');
    i++
  ) {
    await new Promise((r) => setTimeout(r, 20))
    flushSync()
  }
  return target
}

it('shows the round, this peer, the board with known peers off it, and the latest rounds’ claims', async () => {
  const el = await show({ down: false }, 'peer-c')
  expect(el.querySelector('[data-testid="chain-round"]')?.getAttribute('data-round')).toBe('2')
  const me = el.querySelector('[data-testid="leaderboard-me"]')!
  expect(me.getAttribute('data-eoa')).toBe('')
  expect(me.textContent).toContain('not registered')
  const rows = [...el.querySelectorAll('[data-testid="leaderboard-row"]')]
  expect(rows.map((r) => r.getAttribute('data-peer'))).toEqual(['peer-a', 'peer-c', 'peer-b'])
  const cell = (r: Element, id: string) => r.querySelector(`[data-testid="${id}"]`)!
  expect(['claimed', 'verified', 'disputed', 'wins'].map((id) => cell(rows[0], id).textContent)).toEqual([
    '1.500',
    '1.500',
    '0.000',
    '3',
  ])
  expect(cell(rows[2], 'disputed').textContent).toBe('2.000')
  expect(cell(rows[2], 'disputed').getAttribute('title')).toMatch(/not proof of a lie/)
  expect(rows[0].textContent).toContain('100.0%')
  // Rounds 1 and 2: each known peer's claim (this peer is one of them), here verified once.
  const claims = [...el.querySelectorAll('[data-testid="claim-status"]')]
  expect(claims.map((c) => c.getAttribute('data-round'))).toEqual(['1', '1', '2', '2'])
  expect(claims[0].textContent).toContain('verified (1 confirmation), reward 1.500')
})

it('shows an unreachable RPC with the error note instead of failing', async () => {
  const el = await show({ down: true }, null)
  const error = el.querySelector('[data-testid="leaderboard-error"]')
  expect(error?.getAttribute('data-name')).toBe('RpcUnavailableError')
  expect(el.querySelector('[data-testid="leaderboard-row"]')).toBeNull()
})

it('has no serious axe violations and fits a 375 px phone', async () => {
  const el = await show({ down: false }, 'peer-c', 375)
  const { violations } = await axe.run(el)
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
  ).toEqual([])
  expect(el.querySelector<HTMLElement>('[data-testid="leaderboard"]')!.scrollWidth).toBeLessThanOrEqual(375)
})
