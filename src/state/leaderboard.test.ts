// The leaderboard view's state against anvil: a swarm with a verified claim, a disputed one, a win and a
// peer the chain does not know; then the round moving on while it polls, and the failures it must show
// rather than throw (no coordinator at the address, no RPC, no such swarm).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { keccak256, toBytes, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { publicClient } from '../chain/client.ts'
import type { ChainConfig } from '../chain/config.ts'
import {
  advanceStage,
  attest,
  createSwarm,
  proveForSwarm,
  registerPeer,
  submitReward,
  submitWinners,
  swarmId,
  type SwarmRef,
} from '../chain/coordinator.ts'
import { devWalletProvider } from '../chain/devWallet.ts'
import { peerSigner, type PeerSigner } from '../chain/peerProof.ts'
import { connectWallet, type WalletSession } from '../chain/wallet.ts'
import { LeaderboardWatch } from './leaderboard.svelte.ts'
import { claimLabel, detailStages, leaderRows, points, verifiedShare } from './leaderboardRows.ts'
import { testChainConfig } from '../chain/testing.ts'

let chain: Awaited<ReturnType<typeof startChain>>
let config: ChainConfig
beforeAll(async () => {
  chain = await startChain()
  config = testChainConfig(chain)
}, 60_000)
afterAll(() => chain?.stop())

const client = () => publicClient(config)
const mined = async (hash: Promise<Hex>) => client().waitForTransactionReceipt({ hash: await hash })
const wallet = (label: string) => connectWallet(devWalletProvider(generatePrivateKey(), config), label)
const root = (n: number) => keccak256(toBytes(`receipts ${n}`))
const newPeer = async (): Promise<PeerSigner> => peerSigner(await generateKeyPair('secp256k1'))
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function join(session: WalletSession, ref: SwarmRef): Promise<PeerSigner> {
  const peer = await newPeer()
  await mined(registerPeer(session, ref, await proveForSwarm(peer, session.address, ref)))
  return peer
}

describe('leaderboard rows', () => {
  it('shows thousandths as reward points, the verified share, and claims in words', () => {
    expect([points(1500n), points(7n), points(0n), points(12_345_678n)]).toEqual([
      '1.500',
      '0.007',
      '0.000',
      '12345.678',
    ])
    expect([verifiedShare(1500n, 2000n), verifiedShare(0n, 0n), verifiedShare(1n, 3n)]).toEqual([
      '75.0%',
      '—',
      '33.3%',
    ])
    const claim = { id: root(0), round: 0, stage: 0, reward: 1n, receiptsRoot: root(0), refutations: 0 }
    expect(claimLabel(null)).toBe('no claim')
    expect(claimLabel({ ...claim, status: 'pending', confirmations: 0 })).toBe('pending')
    expect(claimLabel({ ...claim, status: 'pending', confirmations: 1 })).toBe('pending (1 confirmation)')
    expect(claimLabel({ ...claim, status: 'verified', confirmations: 2 })).toBe('verified (2 confirmations)')
    expect(claimLabel({ ...claim, status: 'refuted', confirmations: 2, refutations: 1 })).toBe(
      'disputed (1 refutation)',
    )
    expect(detailStages(0, 0, 1)).toEqual([{ round: 0, stage: 0 }])
    expect(detailStages(3, 1, 2)).toEqual([
      { round: 2, stage: 0 },
      { round: 2, stage: 1 },
      { round: 3, stage: 0 },
      { round: 3, stage: 1 },
    ])
  })

  it('keeps the board in rank order and adds each off-board peer once', () => {
    const t = (peerId: string, verified: bigint) => ({
      peerId,
      eoa: `0x${'1'.repeat(40)}` as const,
      claimed: verified,
      verified,
      refuted: 0n,
      wins: 0n,
      votes: 0n,
    })
    const rows = leaderRows([t('a', 5n), t('b', 3n)], [t('c', 0n), t('a', 5n), t('c', 0n)], 'c')
    expect(rows.map((r) => [r.peerId, r.rank, r.self])).toEqual([
      ['a', 1, false],
      ['b', 2, false],
      ['c', null, true],
    ])
  })
})

describe('LeaderboardWatch', () => {
  it('reads the round, this peer, the board with known peers off it, and the latest rounds’ claims', async () => {
    const [owner, alice, bob, carol] = await Promise.all(['owner', 'alice', 'bob', 'carol'].map(wallet))
    const name = 'leaderboard-view'
    const ref: SwarmRef = { config, address: chain.swarmCoordinator, swarm: swarmId(name) }
    await mined(createSwarm(owner, ref, { name, stages: 1, quorum: 1 }))
    const [a, b, c] = [await join(alice, ref), await join(bob, ref), await join(carol, ref)]
    const stranger = (await newPeer()).peerId // known over gossip, never registered
    await mined(
      submitReward(alice, ref, {
        round: 0,
        stage: 0,
        reward: 1500n,
        peerId: a.peerId,
        receiptsRoot: root(1),
      }),
    )
    await mined(
      submitReward(bob, ref, { round: 0, stage: 0, reward: 2000n, peerId: b.peerId, receiptsRoot: root(2) }),
    )
    const verdict = (claimant: string, attester: string, confirmed: boolean) => ({
      round: 0,
      stage: 0,
      claimant,
      attester,
      confirmed,
      evidenceHash: root(3),
    })
    await mined(attest(bob, ref, verdict(a.peerId, b.peerId, true)))
    await mined(attest(carol, ref, verdict(b.peerId, c.peerId, false)))
    await mined(submitWinners(bob, ref, { round: 0, winners: [a.peerId], peerId: b.peerId }))

    const watch = new LeaderboardWatch(client(), ref, { intervalMs: 50 })
    watch.self = stranger
    watch.known = [b.peerId, a.peerId, c.peerId]
    await watch.refresh()
    expect(watch.error).toBeNull()
    expect(watch.swarm).toMatchObject({ round: 0, stage: 0, name })
    expect(watch.me).toEqual({ peerId: stranger, eoa: null })
    const cells = (r: (typeof watch.rows)[number]) => [
      r.peerId,
      r.rank,
      r.claimed,
      r.verified,
      r.refuted,
      r.wins,
    ]
    expect(watch.rows.map(cells)).toEqual([
      [a.peerId, 1, 1500n, 1500n, 0n, 1n],
      [stranger, null, 0n, 0n, 0n, 0n],
      [b.peerId, null, 2000n, 0n, 2000n, 0n],
      [c.peerId, null, 0n, 0n, 0n, 0n],
    ])
    expect(watch.rows.map((r) => r.eoa)).toEqual([alice.address, null, bob.address, carol.address])
    expect(watch.detail).toHaveLength(1)
    const [round0] = watch.detail
    expect(round0.claims.map((x) => [x.peerId, claimLabel(x.claim), x.claim?.reward])).toEqual([
      [stranger, 'no claim', undefined],
      [b.peerId, 'disputed (1 refutation)', 2000n],
      [a.peerId, 'verified (1 confirmation)', 1500n],
      [c.peerId, 'no claim', undefined],
    ])

    // Polling: the round moves on and the view follows by itself; after stop() it reads no more.
    watch.self = a.peerId
    watch.start()
    await mined(advanceStage(owner, ref))
    for (let i = 0; i < 100 && watch.swarm?.round !== 1; i++) await wait(20)
    expect(watch.swarm?.round).toBe(1)
    await wait(120)
    expect(watch.me).toEqual({ peerId: a.peerId, eoa: alice.address })
    expect(watch.detail.map((d) => d.round)).toEqual([0, 1])
    watch.stop()
    await wait(100)
    await mined(advanceStage(owner, ref))
    await wait(200)
    expect(watch.swarm?.round).toBe(1)
  }, 60_000)

  it('shows a missing coordinator, an unreachable RPC and an unknown swarm instead of throwing', async () => {
    const swarm = swarmId('leaderboard-nobody')
    const nobody = new LeaderboardWatch(client(), { config, address: chain.swarmCoordinator, swarm })
    await nobody.refresh()
    expect([nobody.loaded, nobody.swarm, nobody.error]).toEqual([true, null, null])

    const wrong = new LeaderboardWatch(client(), { config, address: chain.receiptRegistry, swarm })
    await wrong.refresh()
    expect(wrong.error?.name).toBe('ContractMissingError')
    expect(wrong.loaded).toBe(false)

    const offline = { ...config, rpcUrl: 'http://127.0.0.1:1' }
    const down = new LeaderboardWatch(publicClient(offline), {
      config: offline,
      address: chain.swarmCoordinator,
      swarm,
    })
    await down.refresh()
    expect(down.error?.name).toBe('RpcUnavailableError')
  }, 60_000)
})
