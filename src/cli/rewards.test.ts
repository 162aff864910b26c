// `lockstep leaderboard`, `evidence` and `submit` against anvil, on the real RL model: claims made from
// rollouts of the shipped warm start (rlSwarmParams('test'), the CPU reference; each re-execution takes
// well under a second), evidence files a verifier re-executes, attestations sent through the CLI, and the
// board they leave. Every refusal is checked by its name. One file, past 400 lines: the three commands'
// tests share one chain and the claims on it, in the order a swarm makes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { getAddress, type Address, type Hex } from 'viem'
import { startChain } from '../../scripts/chain.mjs'
import { publicClient } from '../chain/client.ts'
import type { ChainConfig } from '../chain/config.ts'
import {
  advanceStage,
  createSwarm,
  proveForSwarm,
  readClaim,
  registerPeer,
  submitReward,
  swarmId,
  type SwarmRef,
} from '../chain/coordinator.ts'
import { peerSigner } from '../chain/peerProof.ts'
import { backendRlCompute } from '../rl/compute.ts'
import { generateGroups } from '../rl/rollout.ts'
import { taskFromId } from '../rl/tasks.ts'
import {
  acceptRollouts,
  claimReward,
  encodeSapoMessage,
  evidenceHash,
  evidenceText,
  makeEvidence,
  maxBlobBytes,
  receiptsRoot,
  recheckClaim,
  rlSwarmParams,
  rlTaskBook,
} from '../rl/sapo/index.ts'
import type { Rollouts } from '../rl/sapo/messages.ts'
import { checkpointHash, decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { cpuBackend } from '../train/cpu.ts'
import { stateHash } from '../train/state.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdentity } from './identity.ts'
import { keyWallet } from './keyWallet.ts'
import { lockstep } from './testing.ts'
import { testChainConfig } from '../chain/testing.ts'

/** anvil's dev accounts 0–4: public test keys. */
const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
] as const
const [OWNER, BOB, CAROL, DAVE, EVE] = KEYS
const address = (key: Hex) => privateKeyToAccount(key).address
const SWARM = 'test'
const params = rlSwarmParams(SWARM)
const warm = new Uint8Array(readFileSync('public/rl/warmstart.lscp'))
const compute = backendRlCompute(cpuBackend, { tasks: taskFromId, generate: generateGroups })
const dir = mkdtempSync(join(tmpdir(), 'lockstep-rewards-'))

let chain: Awaited<ReturnType<typeof startChain>>
let config: ChainConfig
let ref: SwarmRef
/** Peer ids: bob's, dave's, eve's (registered in-process), carol's (by `submit register`). */
const peer: Record<'bob' | 'dave' | 'eve' | 'carol', string> = { bob: '', dave: '', eve: '', carol: '' }
const files: Record<'refute' | 'confirm' | 'lie' | 'notChain', string> = {
  refute: join(dir, 'refute.json'),
  confirm: join(dir, 'confirm.json'),
  lie: join(dir, 'lie.json'),
  notChain: join(dir, 'not-chain.json'),
}

const cli = (key: Hex | '', ...args: string[]) =>
  lockstep(args, { env: { LOCKSTEP_KEY: key, LOCKSTEP_KEYSTORE_PASSWORD: '' }, limitMs: 60_000 })
const rpc = () => ['--rpc', chain.rpcUrl]

async function mined(hash: Promise<Hex>) {
  const receipt = await publicClient(config).waitForTransactionReceipt({
    hash: await hash,
    pollingInterval: 50,
  })
  expect(receipt.status).toBe('success')
}

/** `peerId`'s honest ROLLOUTS message for `round` from the warm start, and the reward it earns. */
async function rollouts(peerId: string, round: number) {
  const model = decodeCheckpoint(warm, maxBlobBytes(params))
  const tasks = rlTaskBook.tasksFor(params.seed, round, peerId, params.local)
  const groups = await compute.rollouts({ ...model, config: params.config }, tasks, params.G, params.rule)
  const m: Rollouts = {
    type: 'rollouts',
    round,
    state: stateHash(model.step, model.tensors),
    blob: checkpointHash(warm),
    groups: groups.map((g) => ({ taskId: g.taskId, completions: g.completions })),
    trainedOn: [],
  }
  const message = encodeSapoMessage(m)
  return {
    message,
    earned: claimReward(acceptRollouts(m, peerId, params, rlTaskBook)),
    root: receiptsRoot(message),
  }
}

/** Registers a fresh peer key from `key`'s address and returns its id. */
async function enroll(key: Hex): Promise<string> {
  const p = peerSigner(await generateKeyPair('secp256k1'))
  const wallet = keyWallet(key, config)
  await mined(registerPeer(wallet, ref, await proveForSwarm(p, wallet.address, ref)))
  return p.peerId
}

/** Claims `reward` (default: what the rollouts earn) for round 0 stage 0; returns the message. */
async function claim(key: Hex, peerId: string, reward?: (earned: bigint) => bigint, round = 0) {
  const r = await rollouts(peerId, round)
  const claimed = reward ? reward(r.earned) : r.earned
  const call = { round, stage: 0, reward: claimed, peerId, receiptsRoot: r.root }
  await mined(submitReward(keyWallet(key, config), ref, call))
  return { ...r, claimed }
}

/** An evidence file by carol on `peerId`'s claim: the verdict its re-execution reaches, or the opposite. */
async function evidence(
  out: string,
  c: { message: Uint8Array; claimed: bigint; root: Hex },
  peerId: string,
  { lie = false, reward }: { lie?: boolean; reward?: bigint } = {},
) {
  const claimed = { peerId, reward: reward ?? c.claimed, receiptsRoot: c.root, round: 0, stage: 0 }
  const verdict = await recheckClaim(claimed, c.message, warm, { compute, params, book: rlTaskBook })
  const e = makeEvidence({
    ...{ swarm: SWARM, chainId: config.chainId, coordinator: ref.address as Address },
    ...{ claim: claimed, message: c.message, checkpoint: warm },
    verdict: lie ? { ...verdict, confirmed: !verdict.confirmed } : verdict,
    attester: { peerId: peer.carol, address: address(CAROL) },
  })
  writeFileSync(out, evidenceText(e))
  return e
}

beforeAll(async () => {
  chain = await startChain()
  config = testChainConfig(chain)
  const coordinator = { config, address: chain.swarmCoordinator as Address }
  await mined(createSwarm(keyWallet(OWNER, config), coordinator, { name: SWARM, stages: 1, quorum: 1 }))
  ref = { ...coordinator, swarm: swarmId(SWARM) }

  const identity = join(dir, 'carol-identity')
  const registered = await cli(CAROL, 'submit', 'register', ...rpc(), '--name', SWARM, '--identity', identity)
  expect(registered.stderr).toBe('')
  expect(registered.status).toBe(0)
  peer.carol = peerSigner((await peerIdentity(identity)).key).peerId
  expect(registered.stdout).toContain(`peer ${peer.carol} (identity ${identity}, new)`)
  expect(registered.stdout).toMatch(/transaction 0x[0-9a-f]{64}/)
  expect(registered.stdout).not.toContain(CAROL.slice(2))

  ;[peer.bob, peer.dave, peer.eve] = [await enroll(BOB), await enroll(DAVE), await enroll(EVE)]
  const bob = await claim(BOB, peer.bob)
  const dave = await claim(DAVE, peer.dave, (earned) => earned + 4000n)
  await claim(EVE, peer.eve)
  await evidence(files.refute, dave, peer.dave)
  await evidence(files.confirm, bob, peer.bob)
  await evidence(files.lie, bob, peer.bob, { lie: true })
  // Dave's claim as it should have been: it re-executes, but it is not what the chain holds.
  await evidence(files.notChain, dave, peer.dave, { reward: dave.claimed - 4000n })
}, 120_000)
afterAll(() => chain?.stop())

describe('lockstep evidence', () => {
  it('exits 0 for a true refutation, in plain words, and finds no attestation yet', async () => {
    const r = await cli('', 'evidence', files.refute, ...rpc())
    expect(r.stderr).toBe('')
    const earned = BigInt(JSON.parse(readFileSync(files.refute, 'utf8')).verdict.reward)
    expect(r.stdout).toContain(
      `re-executed on the CPU reference: refuted: peer ${peer.dave} claimed ${earned + 4000n} for round 0 stage 0; its rollouts regenerate and earn ${earned}`,
    )
    expect(r.stdout).toContain("✓ the attester's verdict holds")
    expect(r.stdout).toMatch(/✓ chain: the claim 0x[0-9a-f]{64} is the file's .*; pending/)
    expect(r.stdout).toContain("no attestation on chain carries this file's hash")
    expect(r.status).toBe(0)
  }, 60_000)

  it("exits 1 for an attester's false verdict", async () => {
    const r = await cli('', 'evidence', files.lie)
    expect(r.stdout).toContain(`re-executed on the CPU reference: confirmed: peer ${peer.bob} claimed`)
    expect(r.stdout).toContain(
      "✗ the attester's verdict does not hold: it says refuted, re-execution confirms",
    )
    expect(r.status).toBe(1)
  }, 60_000)

  it('exits 1 for a file whose claim is not the chain’s, though it re-executes', async () => {
    const off = await cli('', 'evidence', files.notChain)
    expect(off.stdout).toContain("✓ the attester's verdict holds")
    expect(off.status).toBe(0)
    const r = await cli('', 'evidence', files.notChain, ...rpc())
    expect(r.stdout).toMatch(/✗ chain: the claim 0x[0-9a-f]{64} is reward \d+ .* the file says reward \d+/)
    expect(r.status).toBe(1)
  }, 60_000)

  it('names a file that is not evidence, bytes its claim does not name, a wrong reward, another chain', async () => {
    const junk = join(dir, 'junk.json')
    writeFileSync(junk, JSON.stringify({ kind: 'lockstep/reward-evidence', version: 2 }))
    const r = await cli('', 'evidence', junk)
    expect(r.stdout).toContain('✗ evidence: cannot read')
    expect(r.stdout).toContain('SchemaError')
    expect(r.status).toBe(1)
    const huge = join(dir, 'huge.json')
    writeFileSync(huge, '')
    truncateSync(huge, 17 * 1024 * 1024) // sparse: refused by its size, never read
    const big = await cli('', 'evidence', huge)
    expect(big.stdout).toMatch(/✗ evidence: cannot read .* over the 16777216 an evidence file may be/)
    expect(big.status).toBe(1)
    // Bytes the claim does not name are no verdict on the claimant; a verdict's reward must be the re-execution's.
    const e0 = JSON.parse(readFileSync(files.refute, 'utf8'))
    const other = JSON.parse(readFileSync(files.confirm, 'utf8')).claim.receiptsRoot
    const swapped = join(dir, 'swapped.json')
    writeFileSync(swapped, JSON.stringify({ ...e0, claim: { ...e0.claim, receiptsRoot: other } }))
    const bytes = await cli('', 'evidence', swapped)
    expect(bytes.stdout).toContain("✗ re-execution: the file's bytes are not the ones its claim names")
    expect(bytes.stdout).toContain('ClaimEvidenceError')
    expect(bytes.status).toBe(1)
    const misnamed = join(dir, 'misnamed.json')
    writeFileSync(misnamed, JSON.stringify({ ...e0, verdict: { ...e0.verdict, reward: '1' } }))
    const wrongReward = await cli('', 'evidence', misnamed)
    expect(wrongReward.stdout).toContain(
      `✗ the attester's verdict names reward 1, re-execution ${e0.verdict.reward}`,
    )
    expect(wrongReward.status).toBe(1)
    const elsewhere = join(dir, 'elsewhere.json')
    writeFileSync(elsewhere, JSON.stringify({ ...e0, chainId: 1 }))
    const foreign = await cli('', 'evidence', elsewhere, ...rpc())
    expect(foreign.stdout).toContain(
      `✗ chain: the file is for chain 1; the RPC serves chain ${config.chainId}`,
    )
    expect(foreign.status).toBe(1)
  }, 60_000)
})

describe('lockstep submit', () => {
  it('refuses to attest a verdict that does not hold, sending nothing', async () => {
    const r = await cli(CAROL, 'submit', 'attest', '--evidence', files.lie, ...rpc())
    expect(r.stdout).toContain('refusing to attest')
    expect(r.stdout).not.toContain('transaction')
    expect(r.status).toBe(1)
    expect(await readClaim(publicClient(config), ref, 0, 0, peer.bob)).toMatchObject({
      status: 'pending',
      refutations: 0,
    })
  }, 60_000)

  it('refuses a key that is not the attester’s before sending', async () => {
    const r = await cli(DAVE, 'submit', 'attest', '--evidence', files.refute, ...rpc())
    expect(r.stderr).toContain(`NotYourPeerError: The evidence names attester ${address(CAROL)}`)
    expect(r.status).toBe(1)
  }, 60_000)

  it('attests true verdicts, which the chain and `evidence` then show; a second time is refused by name', async () => {
    const refuted = await cli(CAROL, 'submit', 'attest', '--evidence', files.refute, ...rpc())
    expect(refuted.stdout).toMatch(
      new RegExp(`refute ${peer.dave}'s claim for round 0 stage 0: transaction 0x`),
    )
    expect(refuted.stdout).toContain('✓ refute')
    expect(refuted.status).toBe(0)
    const confirmed = await cli(CAROL, 'submit', 'attest', '--evidence', files.confirm, ...rpc())
    expect(confirmed.status).toBe(0)
    const client = publicClient(config)
    expect(await readClaim(client, ref, 0, 0, peer.dave)).toMatchObject({ status: 'refuted', refutations: 1 })
    expect(await readClaim(client, ref, 0, 0, peer.bob)).toMatchObject({
      status: 'verified',
      confirmations: 1,
    })

    const seen = await cli('', 'evidence', files.refute, ...rpc())
    const hash = evidenceHash(JSON.parse(readFileSync(files.refute, 'utf8')))
    expect(seen.stdout).toContain(`evidence ${hash}`)
    expect(seen.stdout).toContain(
      `attested with this file by ${address(CAROL)} as peer ${peer.carol} (refuted)`,
    )
    expect(seen.status).toBe(0)

    const again = await cli(CAROL, 'submit', 'attest', '--evidence', files.refute, ...rpc())
    expect(again.stderr).toContain(
      'RevertedError: The contract refused attesting the reward (AlreadyAttested)',
    )
    expect(again.status).toBe(1)
  }, 60_000)

  it('votes winners, and names the refusals of register and winners', async () => {
    const unnamed = await cli(CAROL, 'submit', 'winners', ...rpc(), '--name', SWARM, '--round', '5')
    expect(unnamed.status).toBe(2) // no --winner
    const ahead = ['--name', SWARM, '--winner', peer.bob, '--peer', peer.carol]
    const r5 = await cli(CAROL, 'submit', 'winners', ...rpc(), ...ahead, '--round', '5')
    expect(r5.stderr).toContain('(RoundNotReached)')
    expect(r5.status).toBe(1)
    const ok = await cli(CAROL, 'submit', 'winners', ...rpc(), ...ahead, '--round', '0')
    expect(ok.stdout).toContain(`✓ vote ${peer.bob} as round 0's winners: mined`)
    expect(ok.status).toBe(0)
    const taken = await cli(
      DAVE,
      ...['submit', 'register', ...rpc(), '--name', SWARM, '--identity', join(dir, 'carol-identity')],
    )
    expect(taken.stderr).toContain('(PeerIdTaken)')
    expect(taken.status).toBe(1)
    const none = await cli(
      CAROL,
      'submit',
      'register',
      ...rpc(),
      '--name',
      'nope',
      '--identity',
      join(dir, 'x'),
    )
    expect(none.stderr).toContain('NoSuchSwarmError')
    expect(none.status).toBe(1)
  }, 60_000)
})

describe('lockstep leaderboard', () => {
  it('shows the verified board, with a disputed and a pending peer asked about', async () => {
    // Bob claims again in round 1: pending, so his verified share drops below 100%.
    await mined(advanceStage(keyWallet(OWNER, config), ref))
    const next = await claim(BOB, peer.bob, undefined, 1)
    const bob0 = BigInt(JSON.parse(readFileSync(files.confirm, 'utf8')).claim.reward)
    const dave = JSON.parse(readFileSync(files.refute, 'utf8')).claim.reward as string

    const json = await cli(
      '',
      'leaderboard',
      ...rpc(),
      '--name',
      SWARM,
      '--peer',
      peer.dave,
      '--peer',
      peer.eve,
      '--json',
    )
    expect(json.stderr).toBe('')
    expect(json.status).toBe(0)
    const out = JSON.parse(json.stdout)
    expect(out.swarm).toMatchObject({ name: SWARM, round: 1, stage: 0, stageCount: 1, quorum: 1, peers: 4 })
    expect(out.leaderboard).toEqual([
      {
        rank: 1,
        peerId: peer.bob,
        eoa: address(BOB),
        claimed: (bob0 + next.claimed).toString(),
        verified: bob0.toString(),
        disputed: '0',
        pending: next.claimed.toString(),
        wins: '1',
        verifiedShare: Number((bob0 * 1000n) / (bob0 + next.claimed)) / 10,
      },
    ])
    expect(out.peers).toMatchObject([
      { rank: null, peerId: peer.dave, claimed: dave, verified: '0', disputed: dave, pending: '0' },
      { rank: null, peerId: peer.eve, verified: '0', disputed: '0', verifiedShare: 0 },
    ])
    expect(out.peers[1].pending).toBe(out.peers[1].claimed)

    const text = await cli('', 'leaderboard', ...rpc(), '--name', SWARM, '--peer', peer.dave)
    expect(text.stdout).toContain(`swarm "${SWARM}" (${ref.swarm}): round 1, stage 0 of 1; 4 peers, quorum 1`)
    const lines = text.stdout.split('\n')
    expect(lines.find((l) => l.includes(peer.bob))).toMatch(new RegExp(`^ *1  ${peer.bob} .* 1$`))
    expect(lines.find((l) => l.includes(peer.dave))).toMatch(
      new RegExp(`^ *–  ${peer.dave} .* 0\\.0%  +${dave} +0 +0$`),
    )
  }, 60_000)

  it('names a missing coordinator, a missing swarm and an RPC that is down, at once', async () => {
    const elsewhere = await cli('', 'leaderboard', ...rpc(), '--coordinator', chain.receiptRegistry)
    expect(elsewhere.stderr).toContain('ContractMissingError')
    expect(elsewhere.status).toBe(1)
    const none = await cli('', 'leaderboard', ...rpc(), '--name', 'nope')
    expect(none.stderr).toContain('NoSuchSwarmError')
    expect(none.status).toBe(1)
    // deploy's file names the coordinator; it must record the chain the RPC serves.
    const deployments = join(dir, 'deployments.json')
    const record = (chainId: number) =>
      writeFileSync(deployments, JSON.stringify({ chainId, contracts: { swarmCoordinator: ref.address } }))
    record(config.chainId)
    const filed = await cli(
      '',
      'leaderboard',
      ...rpc(),
      '--name',
      SWARM,
      '--contracts',
      deployments,
      '--json',
    )
    expect(JSON.parse(filed.stdout).coordinator).toBe(getAddress(ref.address))
    record(1)
    const stale = await cli('', 'leaderboard', ...rpc(), '--name', SWARM, '--contracts', deployments)
    expect(stale.stderr).toContain(`ChainConfigError: ${deployments} records chain 1`)
    expect(stale.status).toBe(1)
    const down = await cli('', 'leaderboard', '--rpc', 'http://127.0.0.1:1')
    expect(down.stderr).toContain('RpcUnavailableError')
    expect(down.status).toBe(1)
    expect(down.seconds).toBeLessThan(10)
  }, 60_000)
})
