// The CLI end to end in Node: a producer (`train`) publishes a receipt and checkpoints; verifiers spot-
// check from them, replay, use Dawn with --gpu when it is there, and seed the draw from the anchor's block.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWalletClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { ANVIL_KEY_0, startChain } from '../../scripts/chain.mjs'
import { receiptRegistryAbi } from '../chain/contracts/ReceiptRegistry.ts'
import { publicClient } from '../chain/client.ts'
import { resolveChain } from '../chain/config.ts'
import { lockstep } from './testing.ts'

const cli = (...args: string[]) => lockstep(args)
const dir = mkdtempSync(join(tmpdir(), 'lockstep-cli-'))
const receipt = join(dir, 'receipt.json')
const checkpoints = join(dir, 'checkpoints')

beforeAll(async () => {
  const made = await cli(
    'train',
    '--out',
    receipt,
    '--steps',
    '6',
    '--batch',
    '2',
    '--checkpoints',
    checkpoints,
    '--every',
    '2',
    '--key',
    ANVIL_KEY_0,
  )
  expect(made.stderr).toBe('')
  expect(made.status).toBe(0)
}, 120_000)

describe('lockstep train / verify / replay', () => {
  it('spot-checks k steps from the published checkpoints, printing the seed so the draw can be repeated', async () => {
    const r = await cli('verify', receipt, '--checkpoints', checkpoints, '--spot', '2', '--seed', '0x01')
    expect(r.stdout).toContain('spot check: 2 step(s) drawn with seed 0x01 (given), 4 checkpoints')
    expect(r.stdout).toContain('sampled steps re-executed and equal')
    expect(r.status).toBe(0)
    expect(
      (await cli('verify', receipt, '--checkpoints', checkpoints, '--spot', '2', '--seed', '0x01')).stdout,
    ).toBe(r.stdout)
  }, 120_000)

  it('fails on a checkpoint that does not hash to the committed state, naming the step', async () => {
    const bad = join(dir, 'bad')
    await cli(
      'train',
      '--out',
      join(dir, 'again.json'),
      '--steps',
      '6',
      '--batch',
      '2',
      '--checkpoints',
      bad,
      '--every',
      '2',
      '--key',
      ANVIL_KEY_0,
    )
    const file = join(bad, 'step-2.lscp')
    const bytes = readFileSync(file)
    bytes[bytes.length - 1] ^= 1 // one bit of the last tensor value
    writeFileSync(file, bytes)
    const r = await cli('verify', receipt, '--checkpoints', bad, '--spot', '6', '--seed', '0x02')
    expect(r.stdout).toMatch(/the checkpoint after step 2 hashes to 0x[0-9a-f]+, not the committed/)
    expect(r.stdout).toContain('FAILED: re-execution')
    expect(r.status).toBe(1)
  }, 120_000)

  it('replays every step from the checkpoints on two threads, and names the first step that differs', async () => {
    const r = await cli('verify', receipt, '--checkpoints', checkpoints, '--full', '--threads', '2')
    expect(r.stdout).toContain('all 6 steps equal, bit for bit, on 2 thread(s)')
    expect(r.stdout).toContain('every step re-executed and equal')
    expect(r.stdout.match(/✓ step \d+:/g)).toHaveLength(6)
    expect(r.status).toBe(0)
    // A commitment changed in each thread's half: the verdict names the earlier one, whichever finishes first.
    const lied = JSON.parse(readFileSync(receipt, 'utf8'))
    for (const i of [1, 4]) lied.body.stepHashes[i] = `0x${'ab'.repeat(32)}`
    const file = join(dir, 'lied.json')
    writeFileSync(file, JSON.stringify(lied))
    const bad = await cli('replay', file, '--checkpoints', checkpoints, '--full', '--threads', '2')
    expect(bad.stdout).toMatch(
      /✗ replay \(CPU reference, from 4 checkpoints\): step 2 differs: replayed 0x[0-9a-f]{64}, committed 0xabab/,
    )
    expect(bad.status).toBe(1)
    const zero = await cli('replay', receipt, '--checkpoints', checkpoints, '--full', '--threads', '0')
    expect(zero.stderr).toContain('--threads must be a positive integer (got 0)')
  }, 120_000)

  it('replays a receipt whose signature was tampered (re-execution only) but verify refuses it', async () => {
    const tampered = JSON.parse(readFileSync(receipt, 'utf8'))
    tampered.signature.value = tampered.signature.value.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'))
    const file = join(dir, 'tampered.json')
    writeFileSync(file, JSON.stringify(tampered))
    const replay = await cli('replay', file)
    expect(replay.stdout).toContain('all 6 steps equal, bit for bit')
    expect(replay.status).toBe(0)
    expect((await cli('verify', file, '--no-replay')).status).toBe(1)
    expect((await cli('replay')).status).toBe(2)
  }, 120_000)

  it('with --gpu, replays through Dawn with the same bits, or says why it cannot', async () => {
    const r = await cli('replay', receipt, '--gpu')
    if (r.status === 0) expect(r.stdout).toMatch(/replay \(GPU via Dawn .*\): all 6 steps equal, bit for bit/)
    else expect(r.stderr).toMatch(/Dawn found no GPU adapter|--gpu needs the optional 'webgpu' package/)
  }, 300_000)
})

describe('a spot check seeded by the chain', () => {
  let chain: Awaited<ReturnType<typeof startChain>>
  beforeAll(async () => {
    chain = await startChain()
  }, 60_000)
  afterAll(() => chain?.stop())

  it("mixes this verifier's fresh randomness into the anchor's block hash: the producer cannot grind the draw (issue 15, finding 4)", async () => {
    const r = JSON.parse(readFileSync(receipt, 'utf8'))
    const wallet = createWalletClient({
      account: privateKeyToAccount(ANVIL_KEY_0),
      chain: foundry,
      transport: http(chain.rpcUrl),
    })
    const hash = await wallet.writeContract({
      address: chain.receiptRegistry,
      abi: receiptRegistryAbi,
      functionName: 'anchor',
      args: [r.receiptHash, r.body.stepsRoot, 'file://receipt.json'],
    })
    const client = publicClient(resolveChain({ rpc: chain.rpcUrl }))
    const mined = await client.waitForTransactionReceipt({ hash })
    const verify = () =>
      cli('verify', receipt, '--rpc', chain.rpcUrl, '--checkpoints', checkpoints, '--spot', '2')
    const seeds = [await verify(), await verify()].map((v) => {
      expect(v.status).toBe(0)
      expect(v.stdout).toContain("(fresh randomness mixed with the anchor's block hash)")
      return /drawn with seed (0x[0-9a-f]{64})/.exec(v.stdout)![1]
    })
    // Knowing the block hash (all a producer anchoring variants learns) does not tell it the draw.
    expect(seeds).not.toContain(mined.blockHash)
    expect(seeds[0]).not.toBe(seeds[1])
    // The printed seed repeats the draw.
    const again = await cli(
      'verify',
      receipt,
      '--checkpoints',
      checkpoints,
      '--spot',
      '2',
      '--seed',
      seeds[0],
    )
    expect(again.stdout).toContain(`drawn with seed ${seeds[0]} (given)`)
  }, 180_000)
})
