// The swarm registry through a wallet session, against anvil.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { zeroAddress, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { publicClient } from './client.ts'
import { resolveChain, type ChainConfig } from './config.ts'
import { devWalletProvider } from './devWallet.ts'
import { peerOwners, registerPeer, submitRoundResult } from './swarm.ts'
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
  it('registers a peer once, maps peers to addresses, and records round results', async () => {
    const client = publicClient(config)
    const alice = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'alice')
    const bob = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'bob')
    expect(await registerPeer(alice, config, client, '12D3KooWAlicePeer')).toMatch(/^0x/)
    expect(await registerPeer(alice, config, client, '12D3KooWAlicePeer')).toBeNull() // already hers: no transaction
    await expect(registerPeer(bob, config, client, '12D3KooWAlicePeer')).rejects.toThrow(/PeerIdTaken/)
    expect(await peerOwners(client, config, ['12D3KooWAlicePeer', '12D3KooWNobody'])).toEqual([
      alice.address,
      zeroAddress,
    ])
    const modelHash = `0x${'12'.repeat(32)}` as Hex
    await submitRoundResult(alice, config, client, {
      round: 1,
      modelHash,
      updatesRoot: modelHash,
      peerId: '12D3KooWAlicePeer',
    })
    await expect(
      submitRoundResult(bob, config, client, {
        round: 1,
        modelHash,
        updatesRoot: modelHash,
        peerId: '12D3KooWAlicePeer',
      }),
    ).rejects.toThrow(/NotYourPeer/)
  }, 60_000)
})
