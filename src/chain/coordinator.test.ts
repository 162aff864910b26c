// The swarm coordinator against anvil: one chain, one deployment, each swarm its own name. Every write
// goes through src/chain/coordinator.ts and a dev wallet, so each revert arrives as the RevertedError
// the app would show, named by the contract's custom error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  bytesToHex,
  decodeErrorResult,
  encodeFunctionData,
  keccak256,
  toBytes,
  zeroAddress,
  type Hex,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { publicClient, walletClient } from './client.ts'
import { resolveChain, type ChainConfig } from './config.ts'
import { swarmCoordinatorAbi } from './contracts/SwarmCoordinator.ts'
import { devWalletProvider } from './devWallet.ts'
import { peerSigner, registrationMessage, type PeerSigner } from './peerProof.ts'
import { connectWallet, walletError, type WalletSession } from './wallet.ts'
import { ContractMissingError, RevertedError, RpcUnavailableError } from '../errors/chain.ts'
import {
  addBootnodes,
  advanceStage,
  attest,
  claimId,
  createSwarm,
  LEADERBOARD_SIZE,
  proveForSwarm,
  readBootnodes,
  readClaim,
  readLeaderboard,
  readPeers,
  readSwarm,
  readWinners,
  registerPeer,
  submitReward,
  submitWinners,
  swarmId,
  type Coordinator,
  type SwarmRef,
} from './coordinator.ts'
import { testChainConfig } from './testing.ts'

let chain: Awaited<ReturnType<typeof startChain>>
let config: ChainConfig
let coordinator: Coordinator
beforeAll(async () => {
  chain = await startChain()
  config = testChainConfig(chain)
  coordinator = { config, address: chain.swarmCoordinator }
}, 60_000)
afterAll(() => chain?.stop())

const client = () => publicClient(config)
const root = (n: number) => keccak256(toBytes(`receipts ${n}`))
const wallet = (label: string) => connectWallet(devWalletProvider(generatePrivateKey(), config), label)
const newPeer = async () => peerSigner(await generateKeyPair('secp256k1'))

/** Waits for the transaction and returns its gas. */
async function mined(hash: Promise<Hex>): Promise<bigint> {
  const receipt = await client().waitForTransactionReceipt({ hash: await hash })
  expect(receipt.status).toBe('success')
  return receipt.gasUsed
}

/** The write is refused with the contract's error `name`, as the app sees it. */
async function refused(write: Promise<unknown>, name: string) {
  const e = await write.catch((x: unknown) => x)
  expect(e).toBeInstanceOf(RevertedError)
  expect((e as RevertedError).shortMessage).toContain(`(${name})`)
}

/** A coordinator function the TS module does not wrap (roles, bootnode removal, reconsider). */
async function call(session: WalletSession, functionName: string, args: readonly unknown[]): Promise<Hex> {
  try {
    const w = walletClient(session.provider, session.address, config)
    const request = { address: coordinator.address, abi: swarmCoordinatorAbi, functionName, args }
    return await w.writeContract(request as Parameters<typeof w.writeContract>[0])
  } catch (e) {
    throw walletError(e, functionName)
  }
}

async function newSwarm(owner: WalletSession, name: string, stages = 1, quorum = 1): Promise<SwarmRef> {
  await mined(createSwarm(owner, coordinator, { name, stages, quorum }))
  return { ...coordinator, swarm: swarmId(name) }
}

async function join(session: WalletSession, ref: SwarmRef, peer?: PeerSigner): Promise<PeerSigner> {
  peer ??= await newPeer()
  await mined(registerPeer(session, ref, await proveForSwarm(peer, session.address, ref)))
  return peer
}

/** A view by name, for the ones the TS module does not wrap. */
const view = (functionName: string, args: readonly unknown[] = []) =>
  client().readContract({
    address: coordinator.address,
    abi: swarmCoordinatorAbi,
    functionName,
    args,
  } as never) as Promise<unknown>

const role = (name: string) => keccak256(toBytes(name))
const [OWNER, STAGE, BOOTNODE] = ['OWNER_ROLE', 'STAGE_MANAGER_ROLE', 'BOOTNODE_MANAGER_ROLE'].map(role)

describe('SwarmCoordinator', () => {
  it('creates swarms by name, each with its own roles, stages and rounds', async () => {
    const [alice, bob] = [await wallet('alice'), await wallet('bob')]
    const ref = await newSwarm(alice, 'roles', 2, 2)
    expect(await readSwarm(client(), ref)).toEqual({
      id: keccak256(toBytes('roles')),
      name: 'roles',
      creator: alice.address,
      round: 0,
      stage: 0,
      stageCount: 2,
      quorum: 2,
      peers: 0,
      voters: 0,
      bootnodes: 0,
    })
    expect(await readSwarm(client(), { ...coordinator, swarm: swarmId('nobody') })).toBeNull()
    // No coordinator at the address, or no chain at all: named, not a bare viem error.
    const elsewhere = { ...coordinator, address: chain.receiptRegistry, swarm: ref.swarm }
    await expect(readBootnodes(client(), elsewhere)).rejects.toBeInstanceOf(ContractMissingError)
    const empty = { ...elsewhere, address: privateKeyToAccount(generatePrivateKey()).address }
    await expect(readSwarm(client(), empty)).rejects.toBeInstanceOf(ContractMissingError)
    const offline = resolveChain({
      rpc: 'http://127.0.0.1:1',
      registry: chain.receiptRegistry,
      swarmRegistry: chain.swarmRegistry,
    })
    await expect(readSwarm(publicClient(offline), { ...ref, config: offline })).rejects.toBeInstanceOf(
      RpcUnavailableError,
    )
    await refused(createSwarm(bob, coordinator, { name: 'roles', stages: 1, quorum: 1 }), 'SwarmExists')
    await refused(createSwarm(bob, coordinator, { name: '', stages: 1, quorum: 1 }), 'EmptyName')
    await refused(
      createSwarm(bob, coordinator, { name: 'n'.repeat(65), stages: 1, quorum: 1 }),
      'NameTooLong',
    )
    await refused(createSwarm(bob, coordinator, { name: 'x', stages: 0, quorum: 1 }), 'BadStageCount')
    await refused(createSwarm(bob, coordinator, { name: 'x', stages: 17, quorum: 1 }), 'BadStageCount')
    await refused(createSwarm(bob, coordinator, { name: 'x', stages: 1, quorum: 0 }), 'BadQuorum')
    await refused(createSwarm(bob, coordinator, { name: 'x', stages: 1, quorum: 17 }), 'BadQuorum')

    // Stages run 0, 1, then round 1 stage 0; only a stage manager moves them.
    await refused(advanceStage(bob, ref), 'MissingRole')
    await mined(advanceStage(alice, ref))
    expect(await readSwarm(client(), ref)).toMatchObject({ round: 0, stage: 1 })
    await mined(advanceStage(alice, ref))
    expect(await readSwarm(client(), ref)).toMatchObject({ round: 1, stage: 0 })
    const events = await client().getContractEvents({
      address: coordinator.address,
      abi: swarmCoordinatorAbi,
      eventName: 'RoundAdvanced',
      args: { swarm: ref.swarm },
      fromBlock: 0n,
    })
    expect(events.map((e) => e.args.round)).toEqual([1n])

    expect([await view('currentRound', [ref.swarm]), await view('currentStage', [ref.swarm])]).toEqual([
      1n,
      0n,
    ])
    expect(await view('stageCount', [ref.swarm])).toBe(2n)
    expect(await view('swarmId', ['roles'])).toBe(ref.swarm)
    expect(await view('LEADERBOARD_SIZE')).toBe(BigInt(LEADERBOARD_SIZE))
    expect(await view('OWNER_ROLE')).toBe(OWNER)
    await expect(view('currentRound', [swarmId('nobody')])).rejects.toThrow(/NoSuchSwarm/)

    // Another swarm's rounds and roles are its own.
    const other = await newSwarm(bob, 'roles-other')
    expect(await readSwarm(client(), other)).toMatchObject({ round: 0, stage: 0, creator: bob.address })
    await refused(advanceStage(alice, other), 'MissingRole')

    // The owner grants and revokes; nobody else does, and a swarm keeps one owner.
    await refused(call(bob, 'grantRole', [ref.swarm, STAGE, bob.address]), 'MissingRole')
    await refused(call(alice, 'grantRole', [ref.swarm, role('ROOT'), bob.address]), 'UnknownRole')
    await mined(call(alice, 'grantRole', [ref.swarm, STAGE, bob.address]))
    await mined(advanceStage(bob, ref))
    await refused(call(alice, 'revokeRole', [ref.swarm, OWNER, alice.address]), 'LastOwner')
    await mined(call(alice, 'grantRole', [ref.swarm, OWNER, bob.address]))
    await mined(call(bob, 'revokeRole', [ref.swarm, OWNER, alice.address]))
    await mined(call(bob, 'revokeRole', [ref.swarm, STAGE, bob.address]))
    await refused(advanceStage(bob, ref), 'MissingRole')
    const has = (r: Hex, who: Hex) =>
      client().readContract({
        address: coordinator.address,
        abi: swarmCoordinatorAbi,
        functionName: 'hasRole',
        args: [ref.swarm, r, who],
      })
    expect([
      await has(OWNER, alice.address),
      await has(OWNER, bob.address),
      await has(STAGE, alice.address),
    ]).toEqual([false, true, true])
    await refused(call(alice, 'grantRole', [ref.swarm, BOOTNODE, alice.address]), 'MissingRole')
  }, 60_000)

  it('registers a peer only with its key’s proof for this sender, swarm, contract and chain', async () => {
    const [alice, bob] = [await wallet('alice'), await wallet('bob')]
    const ref = await newSwarm(alice, 'peers')
    const other = await newSwarm(alice, 'peers-other')
    const alicePeer = await newPeer()
    const hers = await proveForSwarm(alicePeer, alice.address, ref)
    expect(
      bytesToHex(
        registrationMessage({
          eoa: alice.address,
          chainId: config.chainId,
          registry: ref.address,
          swarm: ref.swarm,
        }),
      ),
    ).toBe(
      await client().readContract({
        address: coordinator.address,
        abi: swarmCoordinatorAbi,
        functionName: 'registrationMessage',
        args: [ref.swarm, alice.address],
      }),
    )
    // Bob holds her proof; his own key's proof under her id; her proof for another swarm or contract.
    await refused(registerPeer(bob, ref, hers), 'BadPeerSignature')
    const bobPeer = await newPeer()
    const bobs = await proveForSwarm(bobPeer, bob.address, ref)
    await refused(registerPeer(bob, ref, { ...bobs, peerId: alicePeer.peerId }), 'PeerIdMismatch')
    await refused(registerPeer(alice, other, hers), 'BadPeerSignature')
    const forRegistry = await alicePeer.prove({
      eoa: alice.address,
      chainId: config.chainId,
      registry: ref.address,
    })
    await refused(registerPeer(alice, ref, forRegistry), 'BadPeerSignature')
    await refused(registerPeer(bob, ref, { ...bobs, peerId: '' }), 'EmptyPeerId')
    await refused(registerPeer(bob, ref, { ...bobs, peerId: 'x'.repeat(65) }), 'PeerIdTooLong')
    await refused(registerPeer(bob, ref, { ...bobs, publicKey: '0x1234' }), 'BadPublicKey')
    await refused(registerPeer(bob, { ...ref, swarm: swarmId('nowhere') }, bobs), 'NoSuchSwarm')

    const gas = await mined(registerPeer(alice, ref, hers))
    expect(gas).toBeLessThan(300_000n)
    await mined(registerPeer(alice, ref, hers)) // idempotent for its owner
    await mined(registerPeer(bob, ref, bobs))
    await refused(registerPeer(bob, ref, await proveForSwarm(alicePeer, bob.address, ref)), 'PeerIdTaken')
    // The same key joins another swarm under another address: registrations are per swarm.
    await join(bob, other, alicePeer)

    const read = <F extends 'getEoa' | 'getPeerId'>(functionName: F, args: readonly unknown[]) =>
      client().readContract({
        address: coordinator.address,
        abi: swarmCoordinatorAbi,
        functionName,
        args,
      } as never)
    expect(await read('getEoa', [ref.swarm, [alicePeer.peerId, bobPeer.peerId, 'nobody']])).toEqual([
      alice.address,
      bob.address,
      zeroAddress,
    ])
    expect(await read('getEoa', [other.swarm, [alicePeer.peerId]])).toEqual([bob.address])
    expect(await read('getPeerId', [ref.swarm, [bob.address, alice.address, zeroAddress]])).toEqual([
      bobPeer.peerId,
      alicePeer.peerId,
      '',
    ])
    await expect(read('getEoa', [ref.swarm, Array(257).fill('p')])).rejects.toThrow(/TooManyItems/)
    expect(await view('getPeerIds', [other.swarm, bob.address])).toEqual([alicePeer.peerId])
    expect(await view('secp256k1PeerId', [hers.publicKey])).toBe(alicePeer.peerId)
    expect(await readSwarm(client(), ref)).toMatchObject({ peers: 2 })

    // One address holds at most 16 peers per swarm.
    const carol = await wallet('carol')
    const crowd = await newSwarm(carol, 'peers-crowd')
    for (let i = 0; i < 16; i++) await join(carol, crowd)
    const extra = await newPeer()
    await refused(
      registerPeer(carol, crowd, await proveForSwarm(extra, carol.address, crowd)),
      'TooManyPeers',
    )
  }, 60_000)

  it('takes one reward per (round, stage, peer), from its address, in the current stage, with a receipts root', async () => {
    const [alice, bob] = [await wallet('alice'), await wallet('bob')]
    const ref = await newSwarm(alice, 'rewards', 2, 1)
    const [a, b] = [await join(alice, ref), await join(bob, ref)]
    const claim = { round: 0, stage: 0, reward: 70n, peerId: a.peerId, receiptsRoot: root(1) }
    await refused(submitReward(alice, ref, { ...claim, stage: 1 }), 'WrongRoundOrStage')
    await refused(submitReward(alice, ref, { ...claim, round: 1 }), 'WrongRoundOrStage')
    await refused(submitReward(bob, ref, claim), 'NotYourPeer')
    const stranger = await newPeer()
    await refused(submitReward(alice, ref, { ...claim, peerId: stranger.peerId }), 'PeerNotRegistered')
    await refused(
      submitReward(alice, ref, { ...claim, receiptsRoot: `0x${'00'.repeat(32)}` }),
      'EmptyReceiptsRoot',
    )
    await refused(submitReward(alice, ref, { ...claim, reward: 2n ** 128n }), 'RewardTooLarge')
    await refused(submitReward(alice, { ...ref, swarm: swarmId('nowhere') }, claim), 'NoSuchSwarm')
    expect(await mined(submitReward(alice, ref, claim))).toBeLessThan(200_000n)
    await refused(submitReward(alice, ref, { ...claim, reward: 1n }), 'RewardAlreadySubmitted')
    await mined(submitReward(bob, ref, { ...claim, peerId: b.peerId, reward: 5n }))
    await mined(advanceStage(alice, ref))
    await refused(submitReward(alice, ref, { ...claim, reward: 1n }), 'WrongRoundOrStage')
    await mined(submitReward(alice, ref, { ...claim, stage: 1, reward: 30n, receiptsRoot: root(2) }))

    const read = (functionName: string, args: readonly unknown[]) =>
      client().readContract({
        address: coordinator.address,
        abi: swarmCoordinatorAbi,
        functionName,
        args,
      } as never)
    expect(await read('hasSubmittedRoundStageReward', [ref.swarm, 0n, 0n, a.peerId])).toBe(true)
    expect(await read('hasSubmittedRoundStageReward', [ref.swarm, 0n, 1n, b.peerId])).toBe(false)
    expect(await read('getRoundStageReward', [ref.swarm, 0n, 0n, [b.peerId, a.peerId, 'nobody']])).toEqual([
      5n,
      70n,
      0n,
    ])
    expect(await read('getTotalRewards', [ref.swarm, [a.peerId, b.peerId]])).toEqual([100n, 5n])
    expect(await read('claimId', [ref.swarm, 0n, 1n, a.peerId])).toBe(claimId(ref.swarm, 0, 1, a.peerId))
    expect(await readClaim(client(), ref, 0, 1, a.peerId)).toEqual({
      id: claimId(ref.swarm, 0, 1, a.peerId),
      round: 0,
      stage: 1,
      reward: 30n,
      receiptsRoot: root(2),
      status: 'pending',
      confirmations: 0,
      refutations: 0,
    })
    expect(await readClaim(client(), ref, 0, 1, b.peerId)).toBeNull()
    const [logged] = await client().getContractEvents({
      address: coordinator.address,
      abi: swarmCoordinatorAbi,
      eventName: 'RewardSubmitted',
      args: { swarm: ref.swarm, eoa: bob.address },
      fromBlock: 0n,
    })
    expect(logged.args).toMatchObject({ reward: 5n, receiptsRoot: root(1), peerId: b.peerId })
    // Nothing is verified until others attest.
    expect((await readPeers(client(), ref, [a.peerId]))[0]).toMatchObject({
      claimed: 100n,
      verified: 0n,
      refuted: 0n,
    })
  }, 60_000)

  it('counts a reward as verified at quorum confirmations with no refutation, and a refutation apart', async () => {
    const [alice, bob, carol, dave] = [
      await wallet('a'),
      await wallet('b'),
      await wallet('c'),
      await wallet('d'),
    ]
    const ref = await newSwarm(alice, 'verified', 1, 2)
    const [a, b, c, d] = [
      await join(alice, ref),
      await join(bob, ref),
      await join(carol, ref),
      await join(dave, ref),
    ]
    const aliceSecond = await join(alice, ref)
    const evidence = (n: number) => keccak256(toBytes(`evidence ${n}`))
    for (const [who, peer, reward] of [
      [alice, a, 40n],
      [bob, b, 40n],
      [carol, c, 90n],
    ] as const)
      await mined(
        submitReward(who, ref, { round: 0, stage: 0, reward, peerId: peer.peerId, receiptsRoot: root(3) }),
      )
    const on = { round: 0, stage: 0 }
    const confirm = (who: WalletSession, attester: PeerSigner, claimant: PeerSigner, n = 1) =>
      attest(who, ref, {
        ...on,
        claimant: claimant.peerId,
        attester: attester.peerId,
        confirmed: true,
        evidenceHash: evidence(n),
      })
    const refute = (who: WalletSession, attester: PeerSigner, claimant: PeerSigner) =>
      attest(who, ref, {
        ...on,
        claimant: claimant.peerId,
        attester: attester.peerId,
        confirmed: false,
        evidenceHash: evidence(9),
      })

    // The claimant's address cannot attest its own claim, even through another of its peers.
    await refused(confirm(alice, a, a), 'SelfAttestation')
    await refused(confirm(alice, aliceSecond, a), 'SelfAttestation')
    await refused(confirm(bob, a, a), 'NotYourPeer')
    const outsider = await wallet('e')
    await refused(confirm(outsider, await newPeer(), a), 'PeerNotRegistered')
    await refused(confirm(bob, b, d), 'NoSuchClaim') // dave claimed nothing
    await refused(
      attest(bob, ref, {
        ...on,
        claimant: a.peerId,
        attester: b.peerId,
        confirmed: true,
        evidenceHash: `0x${'00'.repeat(32)}`,
      }),
      'EmptyEvidence',
    )

    // Alice: one confirmation is short of the quorum of two; the second verifies her claim.
    await mined(confirm(bob, b, a))
    await refused(confirm(bob, b, a, 2), 'AlreadyAttested')
    const aliceClaim = claimId(ref.swarm, 0, 0, a.peerId)
    expect([
      await view('hasAttested', [aliceClaim, bob.address]),
      await view('hasAttested', [aliceClaim, carol.address]),
    ]).toEqual([true, false])
    expect(await readClaim(client(), ref, 0, 0, a.peerId)).toMatchObject({
      status: 'pending',
      confirmations: 1,
    })
    expect((await readPeers(client(), ref, [a.peerId]))[0].verified).toBe(0n)
    expect(await mined(confirm(carol, c, a))).toBeLessThan(250_000n)
    expect(await readClaim(client(), ref, 0, 0, a.peerId)).toMatchObject({
      status: 'verified',
      confirmations: 2,
    })
    // Bob: verified too; Carol: refuted before it could be verified, and later confirmations do not verify it.
    await mined(confirm(alice, a, b))
    await mined(confirm(carol, c, b))
    await mined(refute(dave, d, c))
    await mined(confirm(alice, a, c))
    await mined(confirm(bob, b, c))
    expect(await readClaim(client(), ref, 0, 0, c.peerId)).toMatchObject({
      status: 'refuted',
      confirmations: 2,
      refutations: 1,
    })
    // Ties: Alice and Bob both hold 40 verified; Alice registered first, so she ranks first.
    const rows = (await readLeaderboard(client(), ref)).map((r) => [
      r.peerId,
      r.claimed,
      r.verified,
      r.refuted,
    ])
    expect(rows).toEqual([
      [a.peerId, 40n, 40n, 0n],
      [b.peerId, 40n, 40n, 0n],
    ])
    expect(await readPeers(client(), ref, [c.peerId])).toMatchObject([
      { claimed: 90n, verified: 0n, refuted: 90n },
    ])

    // A refutation of a verified claim takes it out of the verified total and off the board.
    await mined(refute(dave, d, a))
    expect(await readClaim(client(), ref, 0, 0, a.peerId)).toMatchObject({
      status: 'refuted',
      refutations: 1,
    })
    expect((await readLeaderboard(client(), ref)).map((r) => r.peerId)).toEqual([b.peerId])
    expect(await readPeers(client(), ref, [a.peerId])).toMatchObject([
      { claimed: 40n, verified: 0n, refuted: 40n },
    ])
    const refutedEvents = await client().getContractEvents({
      address: coordinator.address,
      abi: swarmCoordinatorAbi,
      eventName: 'RewardRefuted',
      args: { swarm: ref.swarm },
      fromBlock: 0n,
    })
    expect(refutedEvents.map((e) => [e.args.peerId, e.args.wasVerified])).toEqual([
      [c.peerId, false],
      [a.peerId, true],
    ])
    // The next round's bigger verified reward puts Bob's peer above a later one; order follows value.
    await mined(advanceStage(alice, ref))
    await mined(
      submitReward(dave, ref, { round: 1, stage: 0, reward: 50n, peerId: d.peerId, receiptsRoot: root(4) }),
    )
    await mined(
      attest(alice, ref, {
        round: 1,
        stage: 0,
        claimant: d.peerId,
        attester: a.peerId,
        confirmed: true,
        evidenceHash: evidence(5),
      }),
    )
    await mined(
      attest(bob, ref, {
        round: 1,
        stage: 0,
        claimant: d.peerId,
        attester: b.peerId,
        confirmed: true,
        evidenceHash: evidence(6),
      }),
    )
    expect((await readLeaderboard(client(), ref)).map((r) => [r.peerId, r.verified])).toEqual([
      [d.peerId, 50n],
      [b.peerId, 40n],
    ])
  }, 60_000)

  it('takes one vote per voter and round, of distinct registered winners, and ranks wins and voters', async () => {
    const [alice, bob] = [await wallet('alice'), await wallet('bob')]
    const ref = await newSwarm(alice, 'votes')
    const [a, b, c] = [await join(alice, ref), await join(bob, ref), await join(bob, ref)]
    const vote = (who: WalletSession, voter: PeerSigner, winners: string[], round = 0) =>
      submitWinners(who, ref, { round, winners, peerId: voter.peerId })
    await refused(vote(alice, await newPeer(), [a.peerId]), 'PeerNotRegistered')
    await refused(vote(alice, b, [a.peerId]), 'NotYourPeer')
    await refused(vote(alice, a, [a.peerId], 1), 'RoundNotReached')
    await refused(vote(alice, a, []), 'NoWinners')
    await refused(vote(alice, a, Array(17).fill(a.peerId)), 'TooManyWinners')
    await refused(vote(alice, a, [b.peerId, c.peerId, b.peerId]), 'DuplicateWinner')
    await refused(vote(alice, a, [b.peerId, 'nobody']), 'PeerNotRegistered')
    await refused(vote(alice, a, [b.peerId, 'p'.repeat(65)]), 'PeerIdTooLong')
    await mined(vote(alice, a, [c.peerId, b.peerId]))
    await refused(vote(alice, a, [a.peerId]), 'AlreadyVoted')
    await mined(vote(bob, b, [c.peerId]))
    await mined(advanceStage(alice, ref))
    await mined(vote(alice, a, [a.peerId], 1))
    await mined(vote(bob, c, [a.peerId])) // round 0, after round 1 began: late votes count

    // a and c hold 2 wins, b one; equal wins rank by registration order.
    expect(await readWinners(client(), ref)).toEqual([
      { peerId: a.peerId, wins: 2n },
      { peerId: c.peerId, wins: 2n },
      { peerId: b.peerId, wins: 1n },
    ])
    const read = (functionName: string, args: readonly unknown[]) =>
      client().readContract({
        address: coordinator.address,
        abi: swarmCoordinatorAbi,
        functionName,
        args,
      } as never)
    expect(await read('getTotalWins', [ref.swarm, c.peerId])).toBe(2n)
    expect(await read('voterLeaderboard', [ref.swarm, 0n, 10n])).toEqual([
      [a.peerId, b.peerId, c.peerId],
      [2n, 1n, 1n],
    ])
    expect(await read('uniqueVoters', [ref.swarm])).toBe(3n)
    expect(await read('hasVoted', [ref.swarm, 0n, c.peerId])).toBe(true)
    expect(await read('winnerLeaderboard', [ref.swarm, 1n, 2n])).toEqual([[c.peerId], [2n]])
    expect(await read('winnerLeaderboard', [ref.swarm, 5n, 2n])).toEqual([[], []])
  }, 60_000)

  it('matches a reference model of claims, attestations and ranks over random rounds', async () => {
    // Six peers at six addresses, quorum 2; each round some claim, others confirm or refute at random.
    // The model below is written from the rule, not from the contract: verified at two confirmations
    // with no refutation, refuted at the first refutation, ranks by verified value then registration.
    const owner = await wallet('owner')
    const ref = await newSwarm(owner, 'model', 1, 2)
    const sessions = await Promise.all([...Array(6)].map((_, i) => wallet(`m${i}`)))
    const peers: PeerSigner[] = []
    for (const s of sessions) peers.push(await join(s, ref))
    const model = peers.map(() => ({ claimed: 0n, verified: 0n, refuted: 0n }))
    let fallen = 0 // verified claims later refuted
    let seed = 7 // mulberry32: a seeded PRNG, so a failure replays
    const rand = (n: number) => {
      let t = (seed = (seed + 0x6d2b79f5) | 0)
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) % n
    }
    for (let round = 0; round < 4; round++) {
      const claims: { peer: number; reward: bigint; yes: number; no: number }[] = []
      for (let i = 0; i < 6; i++) {
        if (rand(4) === 0) continue
        const reward = BigInt(rand(5) * 10)
        const call = { round, stage: 0, reward, peerId: peers[i].peerId, receiptsRoot: root(100 + i) }
        await mined(submitReward(sessions[i], ref, call))
        claims.push({ peer: i, reward, yes: 0, no: 0 })
        model[i].claimed += reward
      }
      for (const c of claims)
        for (let j = 0; j < 6; j++) {
          const roll = rand(8) // 0: refute, 1–3: confirm, else abstain
          if (j === c.peer || roll > 3) continue
          const confirmed = roll > 0
          const was = c.no === 0 && c.yes >= 2
          await mined(
            attest(sessions[j], ref, {
              round,
              stage: 0,
              claimant: peers[c.peer].peerId,
              attester: peers[j].peerId,
              confirmed,
              evidenceHash: root(1000 + j),
            }),
          )
          if (confirmed) c.yes++
          else if (c.no++ === 0) model[c.peer].refuted += c.reward
          const now = c.no === 0 && c.yes >= 2
          if (now && !was) model[c.peer].verified += c.reward
          if (was && !now) {
            model[c.peer].verified -= c.reward
            fallen++
          }
        }
      await mined(advanceStage(owner, ref))
      const rows = await readPeers(
        client(),
        ref,
        peers.map((p) => p.peerId),
      )
      expect(rows.map((r) => ({ claimed: r.claimed, verified: r.verified, refuted: r.refuted }))).toEqual(
        model,
      )
      const expected = [...model.keys()]
        .filter((i) => model[i].verified > 0n)
        .sort((a, b) => Number(model[b].verified - model[a].verified) || a - b)
        .map((i) => peers[i].peerId)
      expect((await readLeaderboard(client(), ref)).map((r) => r.peerId)).toEqual(expected)
    }
    // The seed reaches every path: verified, refuted before and after verification, tied ranks.
    expect(model.some((m) => m.verified > 0n) && model.some((m) => m.refuted > 0n)).toBe(true)
    expect(fallen).toBeGreaterThan(0)
    const held = model.filter((m) => m.verified > 0n).map((m) => m.verified)
    expect(new Set(held).size).toBeLessThan(held.length)
  }, 60_000)

  it('keeps the top 100 sorted: a newcomer enters only above the last, ties go to the earlier peer', async () => {
    const owner = await wallet('owner')
    const ref = await newSwarm(owner, 'crowd')
    // 101 peers over 7 addresses, registered concurrently; the order they landed in (the events') is
    // the order ties break by.
    const wallets = await Promise.all([...Array(7)].map((_, i) => wallet(`w${i}`)))
    const owners = new Map<string, WalletSession>()
    await Promise.all(
      wallets.map(async (w, k) => {
        for (let i = k * 16; i < Math.min(101, k * 16 + 16); i++) owners.set((await join(w, ref)).peerId, w)
      }),
    )
    const registered = await client().getContractEvents({
      address: coordinator.address,
      abi: swarmCoordinatorAbi,
      eventName: 'PeerRegistered',
      args: { swarm: ref.swarm },
      fromBlock: 0n,
    })
    const ids = registered.map((e) => e.args.peerId as string)
    expect(new Set(ids)).toEqual(new Set(owners.keys()))
    const ownerOf = ids.map((id) => owners.get(id) as WalletSession)
    // Peers 0, 16, 32 … each vote for the 16 peers from their own on: 0..99 get one win each.
    for (let v = 0; v < 100; v += 16)
      await mined(
        submitWinners(ownerOf[v], ref, {
          round: 0,
          winners: ids.slice(v, Math.min(v + 16, 100)),
          peerId: ids[v],
        }),
      )
    let board = await readWinners(client(), ref, { count: 200 })
    expect(board.map((r) => r.peerId)).toEqual(ids.slice(0, 100))
    // Peer 100 ties peer 99 at one win: registered later, it stays out.
    await mined(submitWinners(ownerOf[1], ref, { round: 0, winners: [ids[100]], peerId: ids[1] }))
    board = await readWinners(client(), ref, { count: 200 })
    expect(board.map((r) => r.peerId)).toEqual(ids.slice(0, 100))
    // At two wins it enters, the last (peer 99) leaves, and it ranks after peer 50 (also two, earlier).
    const gas = await mined(
      submitWinners(ownerOf[2], ref, { round: 0, winners: [ids[100], ids[50]], peerId: ids[2] }),
    )
    board = await readWinners(client(), ref, { count: 200 })
    expect(board.map((r) => r.peerId)).toEqual([ids[50], ids[100], ...ids.slice(0, 50), ...ids.slice(51, 99)])
    expect(board.map((r) => r.wins)).toEqual([2n, 2n, ...Array(98).fill(1n)])
    expect(gas).toBeLessThan(1_000_000n)
    // reconsider places peers by their totals: peer 99 still ranks below the whole full board.
    await mined(call(owner, 'reconsider', [ref.swarm, [ids[99], ids[100]]]))
    expect((await readWinners(client(), ref, { count: 200 })).map((r) => r.peerId)).toEqual(
      board.map((r) => r.peerId),
    )
    await refused(call(owner, 'reconsider', [ref.swarm, ['nobody']]), 'PeerNotRegistered')
  }, 60_000)

  it('ends hostile calls early: oversized inputs are refused by name within a thousand EVM steps', async () => {
    const alice = await wallet('alice')
    const ref = await newSwarm(alice, 'hostile')
    const peer = await join(alice, ref)
    const huge = 'x'.repeat(20_000)
    const many = Array(2_000).fill(peer.peerId)
    const cases: [string, readonly unknown[], string][] = [
      ['createSwarm', [huge, 1n, 1n], 'NameTooLong'],
      ['submitReward', [ref.swarm, 0n, 0n, 1n, huge, root(1)], 'PeerIdTooLong'],
      ['submitWinners', [ref.swarm, 0n, many, peer.peerId], 'TooManyWinners'],
      ['addBootnodes', [ref.swarm, [huge]], 'MultiaddrTooLong'],
      ['addBootnodes', [ref.swarm, Array(2_000).fill('/ip4/1.2.3.4')], 'TooManyBootnodes'],
      ['reconsider', [ref.swarm, many], 'TooManyItems'],
      ['getPeers', [ref.swarm, many], 'TooManyItems'],
    ]
    for (const [functionName, args, name] of cases) {
      const data = encodeFunctionData({ abi: swarmCoordinatorAbi, functionName, args } as never)
      const trace = (await client().request({
        method: 'debug_traceCall' as never,
        params: [
          { from: alice.address, to: coordinator.address, data },
          'latest',
          { disableStack: true, disableMemory: true, disableStorage: true },
        ] as never,
      })) as { gas: number; failed: boolean; returnValue: string; structLogs: unknown[] }
      // Counted in EVM steps, not gas: the sender pays for its own calldata either way (and EIP-7623
      // prices large calldata high), what matters is that the contract stops before walking it.
      expect(trace.failed, functionName).toBe(true)
      expect(trace.structLogs.length, functionName).toBeLessThan(1_000)
      const error = decodeErrorResult({
        abi: swarmCoordinatorAbi,
        data: `0x${trace.returnValue.replace(/^0x/, '')}`,
      })
      expect(error.errorName, functionName).toBe(name)
    }
  }, 60_000)

  it('lists bootnodes in order, managed by the bootnode role, bounded in count and length', async () => {
    const [alice, bob] = [await wallet('alice'), await wallet('bob')]
    const ref = await newSwarm(alice, 'bootnodes')
    const addr = (i: number) => `/ip4/127.0.0.${i}/tcp/4001/ws/p2p/16Uiu2HAm${i}`
    await refused(addBootnodes(bob, ref, [addr(1)]), 'MissingRole')
    await mined(addBootnodes(alice, ref, [addr(1), addr(2), addr(3)]))
    expect(await readBootnodes(client(), ref)).toEqual([addr(1), addr(2), addr(3)])
    expect(await view('getBootnodesCount', [ref.swarm])).toBe(3n)
    await refused(addBootnodes(alice, ref, ['']), 'EmptyMultiaddr')
    await refused(addBootnodes(alice, ref, ['/'.repeat(257)]), 'MultiaddrTooLong')
    await refused(
      addBootnodes(
        alice,
        ref,
        [...Array(30)].map((_, i) => addr(i)),
      ),
      'TooManyBootnodes',
    )
    await mined(call(alice, 'removeBootnode', [ref.swarm, 0n]))
    expect(await readBootnodes(client(), ref)).toEqual([addr(2), addr(3)])
    await refused(call(alice, 'removeBootnode', [ref.swarm, 2n]), 'NoSuchBootnode')
    await refused(call(bob, 'clearBootnodes', [ref.swarm]), 'MissingRole')
    await mined(call(alice, 'grantRole', [ref.swarm, BOOTNODE, bob.address]))
    await mined(call(bob, 'clearBootnodes', [ref.swarm]))
    expect(await readBootnodes(client(), ref)).toEqual([])
    expect(await readSwarm(client(), ref)).toMatchObject({ bootnodes: 0 })
    const events = await client().getContractEvents({
      address: coordinator.address,
      abi: swarmCoordinatorAbi,
      eventName: 'BootnodeRemoved',
      args: { swarm: ref.swarm },
      fromBlock: 0n,
    })
    expect(events.map((e) => e.args.multiaddr)).toEqual([addr(1)])
  }, 60_000)
})
