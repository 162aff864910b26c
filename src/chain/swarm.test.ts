// The swarm registry through a wallet session, against anvil.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { zeroAddress, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { publicClient } from './client.ts'
import { resolveChain, type ChainConfig } from './config.ts'
import { devWalletProvider } from './devWallet.ts'
import { peerOwners, registerPeer, submitRoundResult } from './swarm.ts'
import { peerSigner, type PeerSigner } from './peerProof.ts'
import { PeerKeyError } from '../errors/chain.ts'
import { connectWallet } from './wallet.ts'

let chain: Awaited<ReturnType<typeof startChain>>
let config: ChainConfig
beforeAll(async () => {
  chain = await startChain()
  config = resolveChain({
    rpc: chain.rpcUrl,
    registry: chain.receiptRegistry,
    swarmRegistry: chain.swarmRegistry,
  })
}, 60_000)
afterAll(() => chain?.stop())

describe('swarm registry client', () => {
  it("registers a peer once, with its key's proof, refuses a squatter, and records round results", async () => {
    const ed25519 = await generateKeyPair('Ed25519')
    const client = publicClient(config)
    const alice = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'alice')
    const bob = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'bob')
    const alicePeer = peerSigner(await generateKeyPair('secp256k1'))
    // A squatter who registers Alice's peer id first, before she does, with her public key in hand: the
    // proof it can make is its own key's, or hers for her address, and the registry refuses both.
    const squatter: PeerSigner = {
      peerId: alicePeer.peerId,
      prove: async (t) => ({ ...(await alicePeer.prove({ ...t, eoa: alice.address })) }),
    }
    await expect(registerPeer(bob, config, client, squatter)).rejects.toThrow(/BadPeerSignature/)
    const bobsKey = peerSigner(await generateKeyPair('secp256k1'))
    const borrowed: PeerSigner = {
      peerId: alicePeer.peerId,
      prove: async (t) => ({ ...(await bobsKey.prove(t)), peerId: alicePeer.peerId }),
    }
    await expect(registerPeer(bob, config, client, borrowed)).rejects.toThrow(/PeerIdMismatch/)
    expect(await peerOwners(client, config, [alicePeer.peerId])).toEqual([zeroAddress])

    expect(await registerPeer(alice, config, client, alicePeer)).toMatch(/^0x/)
    expect(await registerPeer(alice, config, client, alicePeer)).toBeNull() // already hers: no transaction
    expect(await peerOwners(client, config, [alicePeer.peerId, '16Uiu2HAmNobody'])).toEqual([
      alice.address,
      zeroAddress,
    ])
    expect(() => peerSigner(ed25519)).toThrow(PeerKeyError)
    const modelHash = `0x${'12'.repeat(32)}` as Hex
    await submitRoundResult(alice, config, client, {
      round: 1,
      modelHash,
      updatesRoot: modelHash,
      peerId: alicePeer.peerId,
    })
    await expect(
      submitRoundResult(bob, config, client, {
        round: 1,
        modelHash,
        updatesRoot: modelHash,
        peerId: alicePeer.peerId,
      }),
    ).rejects.toThrow(/NotYourPeer/)
  }, 60_000)
})
