// The registries against a real local EVM node (anvil), and the generated artifacts against solc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  bytesToHex,
  getAddress,
  createPublicClient,
  createWalletClient,
  http,
  zeroAddress,
  zeroHash,
  type Hex,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { compileContracts } from '../../scripts/contracts.mjs'
import { ANVIL_KEY_0, DEV_ADDRESSES, startChain } from '../../scripts/chain.mjs'
import { devChain } from './config.ts'
import { receiptRegistryAbi, receiptRegistryBytecode } from './contracts/ReceiptRegistry.ts'
import { swarmRegistryAbi, swarmRegistryBytecode } from './contracts/SwarmRegistry.ts'
import { swarmCoordinatorAbi, swarmCoordinatorBytecode } from './contracts/SwarmCoordinator.ts'
import { refereeAbi, refereeBytecode } from './contracts/Referee.ts'
import { opsHarnessAbi, opsHarnessBytecode } from './contracts/OpsHarness.ts'
import { refereeGradAbi, refereeGradBytecode } from './contracts/RefereeGrad.ts'
import { refereeNormAbi, refereeNormBytecode } from './contracts/RefereeNorm.ts'
import { normHarnessAbi, normHarnessBytecode } from './contracts/NormHarness.ts'
import { recomputeHarnessAbi, recomputeHarnessBytecode } from './contracts/RecomputeHarness.ts'
import { marketAbi, marketBytecode } from './contracts/Market.ts'
import { marketFactoryAbi, marketFactoryBytecode } from './contracts/MarketFactory.ts'
import { interimRefereeAbi, interimRefereeBytecode } from './contracts/InterimReferee.ts'
import { testTokenAbi, testTokenBytecode } from './contracts/TestToken.ts'
import { disputeGameAbi, disputeGameBytecode } from './contracts/DisputeGame.ts'
import { gameOperandsAbi, gameOperandsBytecode } from './contracts/GameOperands.ts'
import { rowGradsHarnessAbi, rowGradsHarnessBytecode } from './contracts/RowGradsHarness.ts'
import { stepsTree } from '../receipts/training.ts'
import { trainedReceipt } from './testing.ts'
import { peerSigner, registrationMessage, type PeerSigner } from './peerProof.ts'

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
    expect(contracts.SwarmCoordinator.abi).toEqual(swarmCoordinatorAbi)
    expect(contracts.SwarmCoordinator.bytecode).toBe(swarmCoordinatorBytecode)
    expect(contracts.Referee.abi).toEqual(refereeAbi)
    expect(contracts.Referee.bytecode).toBe(refereeBytecode)
    expect(contracts.OpsHarness.abi).toEqual(opsHarnessAbi)
    expect(contracts.OpsHarness.bytecode).toBe(opsHarnessBytecode)
    expect(contracts.RefereeGrad.abi).toEqual(refereeGradAbi)
    expect(contracts.RefereeGrad.bytecode).toBe(refereeGradBytecode)
    expect(contracts.RefereeNorm.abi).toEqual(refereeNormAbi)
    expect(contracts.RefereeNorm.bytecode).toBe(refereeNormBytecode)
    expect(contracts.NormHarness.abi).toEqual(normHarnessAbi)
    expect(contracts.NormHarness.bytecode).toBe(normHarnessBytecode)
    expect(contracts.RecomputeHarness.abi).toEqual(recomputeHarnessAbi)
    expect(contracts.RecomputeHarness.bytecode).toBe(recomputeHarnessBytecode)
    expect(contracts.Market.abi).toEqual(marketAbi)
    expect(contracts.Market.bytecode).toBe(marketBytecode)
    expect(contracts.MarketFactory.abi).toEqual(marketFactoryAbi)
    expect(contracts.MarketFactory.bytecode).toBe(marketFactoryBytecode)
    expect(contracts.InterimReferee.abi).toEqual(interimRefereeAbi)
    expect(contracts.InterimReferee.bytecode).toBe(interimRefereeBytecode)
    expect(contracts.TestToken.abi).toEqual(testTokenAbi)
    expect(contracts.TestToken.bytecode).toBe(testTokenBytecode)
    expect(contracts.DisputeGame.abi).toEqual(disputeGameAbi)
    expect(contracts.DisputeGame.bytecode).toBe(disputeGameBytecode)
    expect(contracts.GameOperands.abi).toEqual(gameOperandsAbi)
    expect(contracts.GameOperands.bytecode).toBe(gameOperandsBytecode)
    expect(contracts.RowGradsHarness.abi).toEqual(rowGradsHarnessAbi)
    expect(contracts.RowGradsHarness.bytecode).toBe(rowGradsHarnessBytecode)
    // Abstract bases (PeerKeys), interfaces (IReferee, IRecompute), free functions (MarketMath) and libraries
    // (referee/F32) are compiled into the contracts that use them, never written out.
    expect(Object.keys(contracts).sort()).toEqual([
      'DisputeGame',
      'GameOperands',
      'InterimReferee',
      'Market',
      'MarketFactory',
      'NormHarness',
      'OpsHarness',
      'ReceiptRegistry',
      'RecomputeHarness',
      'Referee',
      'RefereeGrad',
      'RefereeNorm',
      'RefereeRows',
      'RowGradsHarness',
      'ScoreHarness',
      'SettlementReferee',
      'SwarmCoordinator',
      'SwarmRegistry',
      'TestToken',
    ])
  }, 180_000) // solc-js compiles every contract in seconds, longer on a busy machine
})

describe('the dev chain', () => {
  it('deploys every contract at the address the app defaults to, the markets last', async () => {
    const at = Object.fromEntries(
      Object.keys(DEV_ADDRESSES).map((k) => [k, getAddress(chain[k as keyof typeof DEV_ADDRESSES])]),
    ) as typeof DEV_ADDRESSES
    expect(at).toEqual(DEV_ADDRESSES)
    expect([devChain.receiptRegistry, devChain.swarmRegistry, devChain.swarmCoordinator]).toEqual([
      at.receiptRegistry,
      at.swarmRegistry,
      at.swarmCoordinator,
    ])
    expect([devChain.marketFactory, devChain.marketCollateral]).toEqual([at.marketFactory, at.testToken])
    expect(devChain.disputeGame).toBe(at.disputeGame)
    const factory = { address: at.marketFactory as Hex, abi: marketFactoryAbi } as const
    const read = (functionName: 'registry' | 'treasury' | 'referee' | 'implementation') =>
      client().readContract({ ...factory, functionName })
    const deployer = privateKeyToAccount(ANVIL_KEY_0).address
    expect(
      await Promise.all([read('registry'), read('treasury'), read('referee'), read('implementation')]),
    ).toEqual([at.receiptRegistry, deployer, at.interimReferee, at.marketImplementation])
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
  const registry = () => ({ address: chain.swarmRegistry, abi: swarmRegistryAbi }) as const
  const send = async (key: Hex, fn: 'registerPeer' | 'submitRoundResult', args: readonly unknown[]) => {
    const hash = await walletFor(key).writeContract({ ...registry(), functionName: fn, args } as never)
    return client().waitForTransactionReceipt({ hash })
  }
  const proofFor = async (peer: PeerSigner, eoa: Hex) => {
    const p = await peer.prove({ eoa, chainId: 31337, registry: chain.swarmRegistry })
    return [p.peerId, p.publicKey, p.r, p.s] as const
  }

  it("rebuilds libp2p's secp256k1 peer id and its registration message exactly", async () => {
    const read = client()
    for (let i = 0; i < 8; i++) {
      const peer = peerSigner(await generateKeyPair('secp256k1'))
      const key = (await peer.prove({ eoa: zeroAddress, chainId: 1, registry: zeroAddress })).publicKey
      expect(await read.readContract({ ...registry(), functionName: 'secp256k1PeerId', args: [key] })).toBe(
        peer.peerId,
      )
    }
    const target = {
      eoa: privateKeyToAccount(ANVIL_KEY_0).address,
      chainId: 31337,
      registry: chain.swarmRegistry,
    }
    expect(
      await read.readContract({ ...registry(), functionName: 'registrationMessage', args: [target.eoa] }),
    ).toBe(bytesToHex(registrationMessage(target)))
  }, 60_000)

  it('registers a peer only with a signature by its libp2p key for the sender: a squatter is refused', async () => {
    const [alice, bob] = [generatePrivateKey(), generatePrivateKey()]
    const [a, b] = [privateKeyToAccount(alice).address, privateKeyToAccount(bob).address]
    await fund(a)
    await fund(b)
    const [alicePeer, bobPeer] = [
      peerSigner(await generateKeyPair('secp256k1')),
      peerSigner(await generateKeyPair('secp256k1')),
    ]
    const alicesProof = await proofFor(alicePeer, a)
    const refused = (key: Hex, args: readonly unknown[]) =>
      walletFor(key).writeContract({ ...registry(), functionName: 'registerPeer', args } as never)

    // Bob knows Alice's peer id and public key (both are public), and even her proof for her address.
    await expect(refused(bob, alicesProof)).rejects.toThrow(/BadPeerSignature/)
    // His own key's signature does not make her id his: the id is rebuilt from the key.
    const bobs = await proofFor(bobPeer, b)
    await expect(refused(bob, [alicePeer.peerId, bobs[1], bobs[2], bobs[3]])).rejects.toThrow(
      /PeerIdMismatch/,
    )
    // Nor does her key with a made-up signature, or a proof for another chain or registry.
    await expect(refused(bob, [alicesProof[0], alicesProof[1], bobs[2], bobs[3]])).rejects.toThrow(
      /BadPeerSignature/,
    )
    const elsewhere = await alicePeer.prove({ eoa: b, chainId: 1, registry: chain.swarmRegistry })
    await expect(
      refused(bob, [elsewhere.peerId, elsewhere.publicKey, elsewhere.r, elsewhere.s]),
    ).rejects.toThrow(/BadPeerSignature/)
    await expect(refused(bob, ['', bobs[1], bobs[2], bobs[3]])).rejects.toThrow(/EmptyPeerId/)
    await expect(refused(bob, [bobs[0], '0x1234', bobs[2], bobs[3]])).rejects.toThrow(/BadPublicKey/)
    expect(
      await client().readContract({ ...registry(), functionName: 'getEoa', args: [[alicePeer.peerId]] }),
    ).toEqual([zeroAddress])

    await send(alice, 'registerPeer', alicesProof)
    await send(alice, 'registerPeer', alicesProof) // idempotent for its owner
    await send(bob, 'registerPeer', bobs)
    // Once bound, an id stays with its address: even its key's holder cannot move it to another.
    await expect(refused(bob, await proofFor(alicePeer, b))).rejects.toThrow(/PeerIdTaken/)

    const read = client()
    expect(
      await read.readContract({
        ...registry(),
        functionName: 'getEoa',
        args: [[alicePeer.peerId, bobPeer.peerId, 'nobody']],
      }),
    ).toEqual([a, b, zeroAddress])
    expect(await read.readContract({ ...registry(), functionName: 'getPeerId', args: [[b, a]] })).toEqual([
      bobPeer.peerId,
      alicePeer.peerId,
    ])

    const model = `0x${'ab'.repeat(32)}` as Hex
    await send(alice, 'submitRoundResult', [3n, model, zeroHash, alicePeer.peerId])
    await expect(
      walletFor(bob).writeContract({
        ...registry(),
        functionName: 'submitRoundResult',
        args: [3n, model, zeroHash, alicePeer.peerId],
      }),
    ).rejects.toThrow(/NotYourPeer/)
    await expect(
      walletFor(alice).writeContract({
        ...registry(),
        functionName: 'submitRoundResult',
        args: [3n, model, zeroHash, alicePeer.peerId],
      }),
    ).rejects.toThrow(/ResultAlreadySubmitted/)
    const result = await read.readContract({ ...registry(), functionName: 'roundResult', args: [3n, a] })
    expect(result.modelHash).toBe(model)
  }, 60_000)
})
