// Coordinator writes through the anchor queue, against anvil behind a proxy that can go down: each lands
// exactly once (counted in the contract's events) across double adds and reloads, waits for its peer's
// registration, rides out an RPC outage, waits for the visitor after a decline, and a claim whose stage
// the chain has left ends `missed` and is never sent.
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { keccak256, toBytes, type EIP1193Provider, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { startRpcProxy } from '../../scripts/rpc-proxy.mjs'
import { publicClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { swarmCoordinatorAbi } from './contracts/SwarmCoordinator.ts'
import { advanceStage, createSwarm, proveForSwarm, readClaim, swarmId, type SwarmRef } from './coordinator.ts'
import {
  ATTESTATION,
  COORDINATOR_REGISTRATION,
  REWARD_CLAIM,
  WINNERS_VOTE,
  coordinatorJobText,
} from './coordinatorJobs.ts'
import { devWalletProvider } from './devWallet.ts'
import { peerSigner, type PeerSigner } from './peerProof.ts'
import { AnchorQueue } from './queue.ts'
import { idbAnchorStore, type AnchorStore } from './store.ts'
import { connectWallet, type WalletSession } from './wallet.ts'
import { testChainConfig } from './testing.ts'

let chain: Awaited<ReturnType<typeof startChain>>
let proxy: Awaited<ReturnType<typeof startRpcProxy>>
let config: ChainConfig
let owner: WalletSession
beforeAll(async () => {
  chain = await startChain()
  proxy = await startRpcProxy(chain.rpcUrl)
  config = testChainConfig(chain, proxy.url)
  owner = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'owner')
}, 60_000)
afterAll(async () => {
  await proxy?.stop()
  await chain?.stop()
})

const direct = () => publicClient({ ...config, rpcUrl: chain.rpcUrl })
const mined = async (hash: Promise<Hex>) => direct().waitForTransactionReceipt({ hash: await hash })

async function newSwarm(name: string): Promise<SwarmRef> {
  const ref = { config, address: chain.swarmCoordinator, swarm: swarmId(name) }
  await mined(createSwarm(owner, ref, { name, stages: 1, quorum: 1 }))
  return ref
}

/** A dev wallet that can decline, and can run something just before it sends. */
async function testWallet(label: string) {
  const inner = devWalletProvider(generatePrivateKey(), config)
  const state: { decline: boolean; beforeSend: (() => Promise<unknown>) | null; asked: number } = {
    decline: false,
    beforeSend: null,
    asked: 0,
  }
  const provider = {
    async request(args: { method: string; params?: unknown }) {
      if (args.method === 'eth_sendTransaction') {
        state.asked++
        if (state.decline) throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
        const before = state.beforeSend
        state.beforeSend = null
        await before?.()
      }
      return inner.request(args as never)
    },
  } as unknown as EIP1193Provider
  return { session: await connectWallet(provider, label), state }
}

let dbs = 0
// Jobs run in the order they were queued; a clock that always moves keeps two adds in one millisecond apart.
let clock = 0
const now = () => (clock = Math.max(clock + 1, Date.now()))
function queueFor(
  session: WalletSession,
  store: AnchorStore = idbAnchorStore(`coordinator-${++dbs}`),
  backoff = { baseMs: 10, maxMs: 50 },
) {
  const queue = new AnchorQueue({
    store,
    config,
    client: publicClient(config),
    wallet: () => session,
    now,
    backoff,
  })
  return { queue, store }
}

const newPeer = async (): Promise<PeerSigner> => peerSigner(await generateKeyPair('secp256k1'))
const root = (n: number) => keccak256(toBytes(`receipts ${n}`))
const pause = () => new Promise((r) => setTimeout(r, 60))
const sends = () => proxy.requests.filter((r) => r.method === 'eth_sendRawTransaction').length

async function events(
  eventName: 'PeerRegistered' | 'RewardSubmitted' | 'Attested' | 'WinnersSubmitted',
  swarm: Hex,
) {
  return direct().getContractEvents({
    address: chain.swarmCoordinator,
    abi: swarmCoordinatorAbi,
    eventName,
    args: { swarm },
    fromBlock: 0n,
  })
}

async function registered(session: WalletSession, ref: SwarmRef, peer: PeerSigner) {
  const { queue } = queueFor(session)
  const proof = await proveForSwarm(peer, session.address, ref)
  await queue.addCoordinator(ref, { kind: COORDINATOR_REGISTRATION, from: session.address, proof })
  await queue.runOnce()
  expect((await queue.list())[0].status).toBe('anchored')
}

describe('coordinator writes through the anchor queue', () => {
  it('lands each write once: a claim waits for its registration, double adds and reloads send nothing more', async () => {
    const ref = await newSwarm('queue-once')
    const [alice, bob] = [await testWallet('alice'), await testWallet('bob')]
    const [a, b] = [await newPeer(), await newPeer()]
    const claim = { round: 0, stage: 0, reward: 1500n, peerId: a.peerId, receiptsRoot: root(1) }
    const { queue, store } = queueFor(alice.session)
    const from = alice.session.address
    const proof = await proveForSwarm(a, from, ref)
    // The claim first: it must wait for the registration queued after it.
    const first = await queue.addCoordinator(ref, { kind: REWARD_CLAIM, from, claim })
    const twice = await queue.addCoordinator(ref, { kind: REWARD_CLAIM, from, claim })
    expect(twice).toMatchObject({ id: first.id, createdAt: first.createdAt })
    await queue.addCoordinator(ref, { kind: COORDINATOR_REGISTRATION, from, proof })
    await queue.addCoordinator(ref, { kind: COORDINATOR_REGISTRATION, from, proof })
    expect(await queue.list()).toHaveLength(2)
    await queue.runOnce()
    const [waiting, r] = await queue.list()
    expect(r.status).toBe('anchored')
    expect(coordinatorJobText(waiting)).toBe(`reward claim, round 0 stage 0 (…${a.peerId.slice(-8)})`)
    expect(coordinatorJobText(r)).toBe(`registration of …${a.peerId.slice(-8)} in the swarm`)
    expect(waiting.status).toBe('queued')
    expect(waiting.lastError?.name).toBe('PeerNotRegisteredError')

    await pause()
    const reloaded = queueFor(alice.session, store).queue
    await reloaded.runOnce()
    const [c] = await reloaded.list()
    expect(c.status).toBe('anchored')
    const [submitted] = await events('RewardSubmitted', ref.swarm)
    expect(c.anchor).toEqual({
      blockNumber: submitted.blockNumber.toString(),
      timestamp: expect.any(Number),
      txHash: submitted.transactionHash,
    })

    // Bob attests Alice's claim and votes her the round's winner, each queued twice.
    const q2 = queueFor(bob.session).queue
    const bobFrom = bob.session.address
    const attestation = {
      round: 0,
      stage: 0,
      claimant: a.peerId,
      attester: b.peerId,
      confirmed: true,
      evidenceHash: root(2),
    }
    const vote = { round: 0, winners: [a.peerId], peerId: b.peerId }
    for (let i = 0; i < 2; i++) {
      await q2.addCoordinator(ref, {
        kind: COORDINATOR_REGISTRATION,
        from: bobFrom,
        proof: await proveForSwarm(b, bobFrom, ref),
      })
      await q2.addCoordinator(ref, { kind: ATTESTATION, from: bobFrom, attestation })
      await q2.addCoordinator(ref, { kind: WINNERS_VOTE, from: bobFrom, vote })
    }
    await q2.runOnce()
    expect((await q2.list()).map((j) => j.status)).toEqual(['anchored', 'anchored', 'anchored'])
    expect((await q2.list()).slice(1).map(coordinatorJobText)).toEqual([
      `attestation confirming …${a.peerId.slice(-8)}'s claim, round 0 stage 0`,
      'winners vote for round 0 (1 named)',
    ])
    expect((await readClaim(direct(), ref, 0, 0, a.peerId))?.status).toBe('verified')

    // Everything queued again, on reloaded queues: found on the chain, nothing sent.
    const before = sends()
    const again = queueFor(alice.session, store).queue
    await again.addCoordinator(ref, { kind: REWARD_CLAIM, from, claim })
    await again.runOnce()
    await q2.runOnce()
    expect(sends()).toBe(before)
    expect(await events('PeerRegistered', ref.swarm)).toHaveLength(2)
    expect(await events('RewardSubmitted', ref.swarm)).toHaveLength(1)
    expect(await events('Attested', ref.swarm)).toHaveLength(1)
    expect(await events('WinnersSubmitted', ref.swarm)).toHaveLength(1)
  }, 60_000)

  it('sends a claim that waited for its registration as soon as that lands, not after its backoff', async () => {
    const ref = await newSwarm('queue-wake')
    const { session } = await testWallet('alice')
    const peer = await newPeer()
    const from = session.address
    // A minute's backoff: only the registration landing can send the claim within the test.
    const { queue } = queueFor(session, undefined, { baseMs: 60_000, maxMs: 60_000 })
    const claim = { round: 0, stage: 0, reward: 3n, peerId: peer.peerId, receiptsRoot: root(7) }
    await queue.addCoordinator(ref, { kind: REWARD_CLAIM, from, claim })
    await queue.runOnce()
    expect((await queue.list())[0].lastError?.name).toBe('PeerNotRegisteredError')
    const proof = await proveForSwarm(peer, from, ref)
    await queue.addCoordinator(ref, { kind: COORDINATOR_REGISTRATION, from, proof })
    queue.start()
    try {
      for (let i = 0; i < 100 && (await queue.list()).some((j) => j.status !== 'anchored'); i++) await pause()
    } finally {
      queue.stop()
    }
    expect((await queue.list()).map((j) => j.status)).toEqual(['anchored', 'anchored'])
    expect(await events('RewardSubmitted', ref.swarm)).toHaveLength(1)
  }, 60_000)

  it('refuses a write that could never be sent, before queuing it', async () => {
    const ref = await newSwarm('queue-invalid')
    const { session } = await testWallet('alice')
    const { queue } = queueFor(session)
    const from = session.address
    const claim = { round: 0, stage: 0, reward: 1n, peerId: 'p', receiptsRoot: root(8) }
    for (const bad of [{ round: -1 }, { stage: 0.5 }, { reward: -1n }, { reward: 2n ** 128n }])
      await expect(
        queue.addCoordinator(ref, { kind: REWARD_CLAIM, from, claim: { ...claim, ...bad } }),
      ).rejects.toThrow(expect.objectContaining({ name: 'InvalidWriteError' }))
    const vote = { round: Number.MAX_SAFE_INTEGER + 1, winners: ['p'], peerId: 'p' }
    await expect(queue.addCoordinator(ref, { kind: WINNERS_VOTE, from, vote })).rejects.toThrow(
      /whole number/,
    )
    await expect(
      queue.addCoordinator(
        { ...ref, config: { ...config, chainId: 1 } },
        { kind: WINNERS_VOTE, from, vote: { ...vote, round: 0 } },
      ),
    ).rejects.toThrow(/chain 1/)
    expect(await queue.list()).toEqual([])
  }, 60_000)

  it('keeps a claim through an RPC outage and a reload, then lands it once', async () => {
    const ref = await newSwarm('queue-outage')
    const { session } = await testWallet('alice')
    const peer = await newPeer()
    await registered(session, ref, peer)
    const { queue, store } = queueFor(session)
    await proxy.down()
    const claim = { round: 0, stage: 0, reward: 7n, peerId: peer.peerId, receiptsRoot: root(3) }
    await queue.addCoordinator(ref, { kind: REWARD_CLAIM, from: session.address, claim })
    for (let i = 0; i < 2; i++) {
      await pause()
      await queue.runOnce()
    }
    const [during] = await queue.list()
    expect(during.status).toBe('queued')
    expect(during.attempts).toBeGreaterThanOrEqual(2)
    expect(during.lastError?.name).toBe('RpcUnavailableError')
    await proxy.up()
    await pause()
    const reloaded = queueFor(session, store).queue
    await reloaded.runOnce()
    expect((await reloaded.list())[0].status).toBe('anchored')
    expect(await events('RewardSubmitted', ref.swarm)).toHaveLength(1)
  }, 60_000)

  it('waits for the visitor after a declined claim, then lands it once on Retry', async () => {
    const ref = await newSwarm('queue-declined')
    const { session, state } = await testWallet('alice')
    const peer = await newPeer()
    await registered(session, ref, peer)
    const { queue } = queueFor(session)
    const claim = { round: 0, stage: 0, reward: 9n, peerId: peer.peerId, receiptsRoot: root(4) }
    state.decline = true
    const job = await queue.addCoordinator(ref, { kind: REWARD_CLAIM, from: session.address, claim })
    await queue.runOnce()
    let [j] = await queue.list()
    expect(j.status).toBe('needs-you')
    expect(j.lastError?.name).toBe('UserRejectedError')
    await queue.runOnce() // not retried behind the visitor's back
    expect((await queue.list())[0].attempts).toBe(j.attempts)
    state.decline = false
    await queue.retry(job.id)
    await queue.runOnce()
    ;[j] = await queue.list()
    expect(j.status).toBe('anchored')
    expect(await events('RewardSubmitted', ref.swarm)).toHaveLength(1)
  }, 60_000)

  it('ends a claim the chain has moved past as missed, before sending and after a WrongRoundOrStage revert', async () => {
    const ref = await newSwarm('queue-missed')
    const { session, state } = await testWallet('alice')
    const peer = await newPeer()
    await registered(session, ref, peer)
    const claim = (round: number, n: number) => ({
      round,
      stage: 0,
      reward: 5n,
      peerId: peer.peerId,
      receiptsRoot: root(n),
    })
    const from = session.address
    const { queue } = queueFor(session)

    // A claim for a round the chain has not reached waits; one for a round it has left is missed.
    await queue.addCoordinator(ref, { kind: REWARD_CLAIM, from, claim: claim(1, 5) })
    await queue.runOnce()
    expect((await queue.list())[0]).toMatchObject({
      status: 'queued',
      lastError: { name: 'NotYetOnChainError' },
    })
    await mined(advanceStage(owner, ref)) // round 1
    await mined(advanceStage(owner, ref)) // round 2, before the claim for round 1 was sent
    await pause()
    const [before, asked] = [sends(), state.asked]
    await queue.runOnce()
    const [missed] = await queue.list()
    expect(missed.status).toBe('missed')
    expect(missed.lastError?.name).toBe('ClaimWindowClosedError')
    expect(missed.lastError?.shortMessage).toMatch(/round 1 stage 0 .*chain is at round 2 stage 0/)
    // Final: never retried, not even when asked to.
    await queue.retry(missed.id)
    await pause()
    await queue.runOnce()
    expect(await queue.list()).toEqual([missed])
    expect(sends()).toBe(before)
    expect(state.asked).toBe(asked) // the wallet was never asked

    // The stage moves on between the queue's check and the send: the revert ends it missed too.
    state.beforeSend = () => mined(advanceStage(owner, ref)) // round 3
    await queue.addCoordinator(ref, { kind: REWARD_CLAIM, from, claim: claim(2, 6) })
    await queue.runOnce()
    const raced = (await queue.list())[1]
    expect(raced.status).toBe('missed')
    expect(raced.lastError?.shortMessage).toMatch(/round 2 stage 0 .*chain is at round 3 stage 0/)
    expect(await events('RewardSubmitted', ref.swarm)).toHaveLength(0)
  }, 60_000)
})
