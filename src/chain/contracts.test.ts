// The registries against a real local EVM node (anvil), and the generated artifacts against solc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPublicClient, createWalletClient, http, zeroHash, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { compileContracts } from '../../scripts/contracts.mjs'
import { ANVIL_KEY_0, startChain } from '../../scripts/chain.mjs'
import { receiptRegistryAbi, receiptRegistryBytecode } from './contracts/ReceiptRegistry.ts'
import { swarmRegistryAbi, swarmRegistryBytecode } from './contracts/SwarmRegistry.ts'
import { stepsTree } from '../receipts/training.ts'
import { trainedReceipt } from './testing.ts'

let chain: Awaited<ReturnType<typeof startChain>>
beforeAll(async () => {
  chain = await startChain()
}, 60_000)
afterAll(() => chain?.stop())

const client = () => createPublicClient({ chain: foundry, transport: http(chain.rpcUrl) })
const walletFor = (key: Hex) =>
  createWalletClient({ account: privateKeyToAccount(key), chain: foundry, transport: http(chain.rpcUrl) })
async function fund(address: Hex) {
  await client().request({
    method: 'anvil_setBalance' as never,
    params: [address, '0x8ac7230489e80000'] as never,
  })
}

describe('generated artifacts', () => {
  it('match a fresh solc compile of contracts/ (never hand-edited)', () => {
    const { contracts } = compileContracts()
    expect(contracts.ReceiptRegistry.abi).toEqual(receiptRegistryAbi)
    expect(contracts.ReceiptRegistry.bytecode).toBe(receiptRegistryBytecode)
    expect(contracts.SwarmRegistry.abi).toEqual(swarmRegistryAbi)
    expect(contracts.SwarmRegistry.bytecode).toBe(swarmRegistryBytecode)
  })
})

describe('ReceiptRegistry', () => {
  it('anchors once per sender and receipt, indexes the event, and proves a step on-chain', async () => {
    const owner = privateKeyToAccount(ANVIL_KEY_0)
    const target = { chainId: 31337, verifyingContract: chain.receiptRegistry }
    const receipt = await trainedReceipt(owner, target, { steps: 4 })
    const wallet = walletFor(ANVIL_KEY_0)
    const registry = { address: chain.receiptRegistry, abi: receiptRegistryAbi } as const
    const { receiptHash, stepsRoot } = { receiptHash: receipt.receiptHash, stepsRoot: receipt.body.stepsRoot }
    const hash = await wallet.writeContract({
      ...registry,
      functionName: 'anchor',
      args: [receiptHash, stepsRoot, 'ipfs://x'],
    })
    await client().waitForTransactionReceipt({ hash })

    const events = await client().getContractEvents({
      ...registry,
      eventName: 'Anchored',
      args: { sender: owner.address, root: stepsRoot },
      fromBlock: 0n,
    })
    expect(events.map((e) => e.args)).toEqual([
      { sender: owner.address, receiptHash, root: stepsRoot, uri: 'ipfs://x' },
    ])
    const anchor = await client().readContract({
      ...registry,
      functionName: 'anchorOf',
      args: [owner.address, receiptHash],
    })
    expect(anchor.root).toBe(stepsRoot)
    expect(anchor.timestamp).toBeGreaterThan(0n)

    await expect(
      wallet.writeContract({ ...registry, functionName: 'anchor', args: [receiptHash, stepsRoot, 'again'] }),
    ).rejects.toThrow(/AlreadyAnchored/)
    await expect(
      wallet.writeContract({ ...registry, functionName: 'anchor', args: [zeroHash, stepsRoot, ''] }),
    ).rejects.toThrow(/EmptyReceiptHash/)

    // Every committed step proves against the anchored root; a made-up state or another sender does not.
    const tree = stepsTree(0, receipt.body.stepHashes)
    for (const [i, [step, stateHash]] of tree.entries()) {
      const proof = tree.getProof(i) as Hex[]
      const args = [owner.address, receiptHash, proof, BigInt(step), stateHash as Hex] as const
      expect(await client().readContract({ ...registry, functionName: 'verifyStep', args })).toBe(true)
      const wrong = [owner.address, receiptHash, proof, BigInt(step), zeroHash] as const
      expect(await client().readContract({ ...registry, functionName: 'verifyStep', args: wrong })).toBe(
        false,
      )
      const stranger = [
        privateKeyToAccount(generatePrivateKey()).address,
        receiptHash,
        proof,
        BigInt(step),
        stateHash as Hex,
      ] as const
      expect(await client().readContract({ ...registry, functionName: 'verifyStep', args: stranger })).toBe(
        false,
      )
    }
  }, 60_000)
})

describe('SwarmRegistry', () => {
  it('binds peer ids to addresses as SwarmCoordinator does, and takes round results from registered peers', async () => {
    const alice = generatePrivateKey()
    const bob = generatePrivateKey()
    const [a, b] = [privateKeyToAccount(alice).address, privateKeyToAccount(bob).address]
    await fund(a)
    await fund(b)
    const registry = { address: chain.swarmRegistry, abi: swarmRegistryAbi } as const
    const send = async (key: Hex, fn: 'registerPeer' | 'submitRoundResult', args: readonly unknown[]) => {
      const hash = await walletFor(key).writeContract({ ...registry, functionName: fn, args } as never)
      return client().waitForTransactionReceipt({ hash })
    }
    await send(alice, 'registerPeer', ['12D3KooWAlice'])
    await send(alice, 'registerPeer', ['12D3KooWAlice']) // idempotent for its owner
    await send(bob, 'registerPeer', ['12D3KooWBob'])
    await expect(
      walletFor(bob).writeContract({ ...registry, functionName: 'registerPeer', args: ['12D3KooWAlice'] }),
    ).rejects.toThrow(/PeerIdTaken/)
    await expect(
      walletFor(bob).writeContract({ ...registry, functionName: 'registerPeer', args: [''] }),
    ).rejects.toThrow(/EmptyPeerId/)

    const read = client()
    expect(
      await read.readContract({
        ...registry,
        functionName: 'getEoa',
        args: [['12D3KooWAlice', '12D3KooWBob', 'nobody']],
      }),
    ).toEqual([a, b, '0x0000000000000000000000000000000000000000'])
    expect(await read.readContract({ ...registry, functionName: 'getPeerId', args: [[b, a]] })).toEqual([
      '12D3KooWBob',
      '12D3KooWAlice',
    ])

    const model = `0x${'ab'.repeat(32)}` as Hex
    await send(alice, 'submitRoundResult', [3n, model, zeroHash, '12D3KooWAlice'])
    await expect(
      walletFor(bob).writeContract({
        ...registry,
        functionName: 'submitRoundResult',
        args: [3n, model, zeroHash, '12D3KooWAlice'],
      }),
    ).rejects.toThrow(/NotYourPeer/)
    await expect(
      walletFor(alice).writeContract({
        ...registry,
        functionName: 'submitRoundResult',
        args: [3n, model, zeroHash, '12D3KooWAlice'],
      }),
    ).rejects.toThrow(/ResultAlreadySubmitted/)
    const result = await read.readContract({ ...registry, functionName: 'roundResult', args: [3n, a] })
    expect(result.modelHash).toBe(model)
  }, 60_000)
})
