// The swarm registry through a wallet session and the anchor queue, against anvil.
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { zeroAddress, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { publicClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { devWalletProvider } from './devWallet.ts'
import {
  PEER_REGISTRATION,
  ROUND_RESULT,
  peerOwners,
  proveFor,
  readRoundResult,
  sendRegisterPeer,
  sendRoundResult,
} from './swarm.ts'
import { peerSigner } from './peerProof.ts'
import { PeerKeyError, RevertedError } from '../errors/chain.ts'
import { AnchorQueue } from './queue.ts'
import { idbAnchorStore } from './store.ts'
import { connectWallet, type WalletSession } from './wallet.ts'
import { testChainConfig } from './testing.ts'

let chain: Awaited<ReturnType<typeof startChain>>
let config: ChainConfig
beforeAll(async () => {
  chain = await startChain()
  config = testChainConfig(chain)
}, 60_000)
afterAll(() => chain?.stop())

const queueFor = (session: WalletSession, name: string) =>
  new AnchorQueue({
    store: idbAnchorStore(name),
    config,
    client: publicClient(config),
    wallet: () => session,
  })

describe('swarm registry client', () => {
  it('refuses a squatter: a proof is bound to the address that sends it, and to the peer’s own key', async () => {
    const ed25519 = await generateKeyPair('Ed25519')
    const alice = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'alice')
    const bob = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'bob')
    const alicePeer = peerSigner(await generateKeyPair('secp256k1'))
    // Bob holds a proof Alice's key made for her address, or one his own key made: both refused.
    const hers = await proveFor(alicePeer, alice.address, config)
    await expect(sendRegisterPeer(bob, config, hers)).rejects.toThrow(/BadPeerSignature/)
    const bobsKey = peerSigner(await generateKeyPair('secp256k1'))
    const borrowed = { ...(await proveFor(bobsKey, bob.address, config)), peerId: alicePeer.peerId }
    await expect(sendRegisterPeer(bob, config, borrowed)).rejects.toThrow(/PeerIdMismatch/)
    expect(await peerOwners(publicClient(config), config, [alicePeer.peerId])).toEqual([zeroAddress])
    expect(() => peerSigner(ed25519)).toThrow(PeerKeyError)
  }, 60_000)

  it('registers a peer and posts a round result through the queue, once each; another address is refused', async () => {
    const client = publicClient(config)
    const alice = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'alice')
    const bob = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'bob')
    const peer = peerSigner(await generateKeyPair('secp256k1'))
    const queue = queueFor(alice, 'swarm-alice')
    const proof = await proveFor(peer, alice.address, config)
    const registration = await queue.addSwarm({ kind: PEER_REGISTRATION, from: alice.address, proof })
    expect((await queue.addSwarm({ kind: PEER_REGISTRATION, from: alice.address, proof })).id).toBe(
      registration.id,
    )
    const modelHash = `0x${'12'.repeat(32)}` as Hex
    const result = { round: 1, modelHash, updatesRoot: modelHash, peerId: peer.peerId }
    await queue.addSwarm({ kind: ROUND_RESULT, from: alice.address, result })
    await queue.runOnce()
    const jobs = await queue.list()
    expect(jobs.map((j) => [j.kind, j.status])).toEqual([
      [PEER_REGISTRATION, 'anchored'],
      [ROUND_RESULT, 'anchored'],
    ])
    expect(jobs.every((j) => /^0x[0-9a-f]{64}$/.test(j.anchor?.txHash ?? ''))).toBe(true)
    expect(await peerOwners(client, config, [peer.peerId, '16Uiu2HAmNobody'])).toEqual([
      alice.address,
      zeroAddress,
    ])
    expect((await readRoundResult(client, config, 1, alice.address))?.txHash).toBe(jobs[1].anchor?.txHash)

    // A fresh queue (a reload) finds both on chain and sends nothing.
    const again = queueFor(alice, 'swarm-alice-2')
    await again.addSwarm({ kind: PEER_REGISTRATION, from: alice.address, proof })
    await again.runOnce()
    expect((await again.list())[0]).toMatchObject({ status: 'anchored', attempts: 0 })

    // Bob posting for Alice's peer: the queue sees the registry would refuse it (NotYourPeer), sends
    // nothing, and waits for him; sent anyway, the registry reverts and names why.
    const bobs = queueFor(bob, 'swarm-bob')
    await bobs.addSwarm({ kind: ROUND_RESULT, from: bob.address, result })
    await bobs.runOnce()
    const [refused] = await bobs.list()
    expect(refused).toMatchObject({
      status: 'needs-you',
      attempts: 0,
      lastError: { name: 'NotYourPeerError' },
    })
    const reverted = await sendRoundResult(bob, config, result).catch((e: unknown) => e)
    expect(reverted).toBeInstanceOf(RevertedError)
    expect((reverted as RevertedError).shortMessage).toMatch(/NotYourPeer/)
  }, 60_000)
})
