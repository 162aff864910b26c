// Security of on-chain verification: a receipt is only as good as its signer's anchor on the chain
// it was signed for. Two real anvil chains with different ids, the same registry addresses on both.
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWalletClient, http, zeroHash, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { chainConfig, resolveChain, type ChainConfig } from './config.ts'
import { devWalletProvider } from './devWallet.ts'
import { chainOf, publicClient } from './client.ts'
import { receiptRegistryAbi } from './contracts/ReceiptRegistry.ts'
import { trainedReceipt } from './testing.ts'
import { verifyAnchor } from './verify.ts'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import { testChainConfig } from './testing.ts'

const chains: Awaited<ReturnType<typeof startChain>>[] = []
let A: ChainConfig
let B: ChainConfig
beforeAll(async () => {
  const [a, b] = await Promise.all([startChain(), startChain({ chainId: 1337 })])
  chains.push(a, b)
  const cfg = (c: typeof a) => testChainConfig(c)
  A = cfg(a)
  B = cfg(b)
}, 60_000)
afterAll(() => Promise.all(chains.map((c) => c.stop())))

/** Anchors straight from a key (no wallet layer): these tests are about what verification accepts. */
async function anchor(key: Hex, config: ChainConfig, fields: { receiptHash: Hex; root: Hex }) {
  const account = privateKeyToAccount(key)
  const client = publicClient(config)
  await client.request({
    method: 'anvil_setBalance' as never,
    params: [account.address, '0x8ac7230489e80000'] as never,
  })
  const wallet = createWalletClient({ account, chain: chainOf(config), transport: http(config.rpcUrl) })
  const hash = await wallet.writeContract({
    address: config.receiptRegistry,
    abi: receiptRegistryAbi,
    functionName: 'anchor',
    args: [fields.receiptHash, fields.root, 'u'],
  })
  await client.waitForTransactionReceipt({ hash })
}

describe('verifyAnchor', () => {
  it('accepts the signer’s anchor with the same root, with its block time', async () => {
    const key = generatePrivateKey()
    const receipt = await trainedReceipt(privateKeyToAccount(key), {
      chainId: A.chainId,
      verifyingContract: A.receiptRegistry,
    })
    expect((await verifyAnchor(receipt, A)).checks.find((c) => c.name === 'anchor')?.ok).toBe(false)
    await anchor(key, A, { receiptHash: receipt.receiptHash, root: receipt.body.stepsRoot })
    const v = await verifyAnchor(receipt, A)
    expect(v.ok).toBe(true)
    const block = await publicClient(A).getBlock({ blockNumber: v.anchor!.blockNumber })
    expect(v.anchor!.timestamp).toBe(Number(block.timestamp))
  }, 60_000)

  it('rejects a receipt signed for chain A on chain B, even when anchored on B by its signer', async () => {
    const key = generatePrivateKey()
    const receipt = await trainedReceipt(privateKeyToAccount(key), {
      chainId: A.chainId,
      verifyingContract: A.receiptRegistry,
    })
    await anchor(key, B, { receiptHash: receipt.receiptHash, root: receipt.body.stepsRoot })
    const v = await verifyAnchor(receipt, B)
    expect(v.ok).toBe(false)
    expect(v.checks[0]).toMatchObject({ name: 'chain', ok: false })
    // Relabelling the signature for chain B breaks it: the signer no longer recovers.
    const relabelled = { ...receipt, signature: { ...receipt.signature, chainId: B.chainId } }
    const checks = await validateTrainingReceipt(relabelled, {
      chainId: B.chainId,
      verifyingContract: B.receiptRegistry,
    })
    expect(checks.find((c) => c.name === 'signature')?.ok).toBe(false)
  }, 60_000)

  it('does not accept an anchor of the same receipt from an address other than its signer', async () => {
    const key = generatePrivateKey()
    const receipt = await trainedReceipt(privateKeyToAccount(key), {
      chainId: A.chainId,
      verifyingContract: A.receiptRegistry,
    })
    await anchor(generatePrivateKey(), A, { receiptHash: receipt.receiptHash, root: receipt.body.stepsRoot })
    const v = await verifyAnchor(receipt, A)
    expect(v.ok).toBe(false)
    expect(v.checks.find((c) => c.name === 'anchor')).toMatchObject({ ok: false })
  }, 60_000)

  it('fails the root check when the signer anchored a different root', async () => {
    const key = generatePrivateKey()
    const receipt = await trainedReceipt(privateKeyToAccount(key), {
      chainId: A.chainId,
      verifyingContract: A.receiptRegistry,
    })
    await anchor(key, A, { receiptHash: receipt.receiptHash, root: zeroHash })
    const v = await verifyAnchor(receipt, A)
    expect(v.ok).toBe(false)
    expect(v.checks.find((c) => c.name === 'anchor root')).toMatchObject({ ok: false })
  }, 60_000)

  it('says so, without throwing, when the chain cannot be reached', async () => {
    const key = generatePrivateKey()
    const down = { ...A, rpcUrl: 'http://127.0.0.1:9' }
    const receipt = await trainedReceipt(privateKeyToAccount(key), {
      chainId: A.chainId,
      verifyingContract: A.receiptRegistry,
    })
    const v = await verifyAnchor(receipt, down)
    expect(v.ok).toBe(false)
    expect(v.checks.at(-1)?.detail).toMatch(/did not answer/)
  }, 60_000)
})

describe('chain config', () => {
  it('defaults to the dev chain, takes URL parameters, and names what is wrong', () => {
    expect(resolveChain({}).chainId).toBe(31337)
    expect(() => resolveChain({ chainId: '685685' })).toThrow(/needs an RPC URL/)
    expect(() => resolveChain({ chainId: '685685', rpc: 'https://rpc.example' })).toThrow(
      /needs the receipt registry address/,
    )
    expect(() => resolveChain({ chainId: 'x' })).toThrow(/positive integer/)
    expect(() => resolveChain({ rpc: 'ftp://x' })).toThrow(/http\(s\) URL/)
    expect(() => resolveChain({ registry: '0x12' })).toThrow(/not an address/)
    const other = resolveChain({
      chainId: '685685',
      rpc: 'https://rpc.example',
      registry: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
      swarmRegistry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
    })
    expect(other).toMatchObject({
      chainId: 685685,
      name: 'Chain 685685',
      receiptRegistry: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    })
    expect(() => devWalletProvider(generatePrivateKey(), other)).toThrow(/only works on the dev chain/)
    // The coordinator (where relays are listed) defaults on the dev chain only, and is optional elsewhere.
    expect(resolveChain({}).swarmCoordinator).toBe('0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0')
    expect(other.swarmCoordinator).toBeUndefined()
    // So do the market factory and the collateral a new market takes (the TestToken).
    expect(resolveChain({}).marketFactory).toBe('0x0165878A594ca255338adfa4d48449f69242Eb8F')
    expect(other.marketFactory).toBeUndefined()
    expect(other.marketCollateral).toBeUndefined()
    expect(() => resolveChain({ marketFactory: 'x' })).toThrow(/market factory address is not/)
    expect(() => resolveChain({ swarmCoordinator: 'relay' })).toThrow(/swarm coordinator address is not/)
    expect(
      chainConfig('?swarmCoordinator=0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e1', {
        VITE_SWARM_COORDINATOR: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
      }).swarmCoordinator,
    ).toBe('0x9Fe46736679D2d9A65F0992f2272de9F3C7FA6E1')
  })
})
