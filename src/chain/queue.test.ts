// The anchor queue against a real anvil behind a proxy that can go down: rejections, the wrong chain,
// RPC outages and reloads. Every receipt must end anchored exactly once (counted in the registry's
// events), and nothing may be lost on the way.
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { numberToHex, type EIP1193Provider, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startChain } from '../../scripts/chain.mjs'
import { startRpcProxy } from '../../scripts/rpc-proxy.mjs'
import { publicClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { receiptRegistryAbi } from './contracts/ReceiptRegistry.ts'
import { devWalletProvider } from './devWallet.ts'
import { AnchorQueue } from './queue.ts'
import { idbAnchorStore } from './store.ts'
import { trainedReceipt } from './testing.ts'
import { verifyAnchor } from './verify.ts'
import { connectWallet, type WalletSession } from './wallet.ts'
import { testChainConfig } from './testing.ts'

let chain: Awaited<ReturnType<typeof startChain>>
let proxy: Awaited<ReturnType<typeof startRpcProxy>>
let config: ChainConfig
beforeAll(async () => {
  chain = await startChain()
  proxy = await startRpcProxy(chain.rpcUrl)
  config = testChainConfig(chain, proxy.url)
}, 60_000)
afterAll(async () => {
  await proxy?.stop()
  await chain?.stop()
})

/** A wallet that can say no, and can sit on another chain until asked to switch. */
function testWallet(key: Hex, opts: { chainId?: number; refuseSwitch?: boolean } = {}) {
  const inner = devWalletProvider(key, config)
  const state = { rejectTx: false, rejectSign: false, chainId: opts.chainId ?? config.chainId }
  const provider = {
    async request(args: { method: string; params?: unknown }) {
      const reject = () =>
        Promise.reject(Object.assign(new Error('User rejected the request.'), { code: 4001 }))
      if (args.method === 'eth_chainId') return numberToHex(state.chainId)
      if (args.method === 'wallet_switchEthereumChain') {
        if (opts.refuseSwitch) return reject()
        state.chainId = Number((args.params as [{ chainId: Hex }])[0].chainId)
        return null
      }
      if (args.method === 'eth_sendTransaction' && state.rejectTx) return reject()
      if (args.method === 'eth_signTypedData_v4' && state.rejectSign) return reject()
      return inner.request(args as never)
    },
  } as unknown as EIP1193Provider
  return { provider, state }
}

async function anchoredEvents(receiptHash: Hex) {
  const logs = await publicClient({ ...config, rpcUrl: chain.rpcUrl }).getContractEvents({
    address: config.receiptRegistry,
    abi: receiptRegistryAbi,
    eventName: 'Anchored',
    args: { receiptHash },
    fromBlock: 0n,
  })
  return logs.length
}

const target = () => ({ chainId: config.chainId, verifyingContract: config.receiptRegistry })
let dbCount = 0
function queueWith(session: () => WalletSession | null, store = idbAnchorStore(`anchors-${++dbCount}`)) {
  const queue = new AnchorQueue({
    store,
    config,
    client: publicClient(config),
    wallet: session,
    backoff: { baseMs: 10, maxMs: 50 },
  })
  return { queue, store }
}

describe('AnchorQueue', () => {
  it('anchors a real receipt from the wallet that signed it, and verification finds it on-chain', async () => {
    const key = generatePrivateKey()
    const { provider } = testWallet(key)
    const session = await connectWallet(provider, 'test wallet')
    const receipt = await trainedReceipt(privateKeyToAccount(key), target())
    const { queue } = queueWith(() => session)
    await queue.add(receipt, 'lockstep://test')
    await queue.add(receipt, 'lockstep://test') // the same receipt twice is one job
    await queue.runOnce()
    const [job] = await queue.list()
    expect(job.status).toBe('anchored')
    expect(await anchoredEvents(receipt.receiptHash)).toBe(1)
    const verdict = await verifyAnchor(receipt, config)
    expect(verdict.ok).toBe(true)
    expect(verdict.anchor?.transaction).toBe(job.anchor?.txHash)
    expect(verdict.anchor?.root).toBe(receipt.body.stepsRoot)
  }, 60_000)

  it('waits for the visitor after a rejected transaction, then delivers once on Retry', async () => {
    const key = generatePrivateKey()
    const { provider, state } = testWallet(key)
    const session = await connectWallet(provider, 'test wallet')
    const receipt = await trainedReceipt(privateKeyToAccount(key), target(), { seed: 2 })
    const { queue } = queueWith(() => session)
    state.rejectTx = true
    await queue.add(receipt, 'u')
    await queue.runOnce()
    let [job] = await queue.list()
    expect(job.status).toBe('needs-you')
    expect(job.lastError?.name).toBe('UserRejectedError')
    await queue.runOnce() // not retried behind the visitor's back
    expect((await queue.list())[0].attempts).toBe(job.attempts)
    state.rejectTx = false
    await queue.retry(job.id)
    await queue.runOnce()
    ;[job] = await queue.list()
    expect(job.status).toBe('anchored')
    expect(await anchoredEvents(receipt.receiptHash)).toBe(1)
  }, 60_000)

  it('asks a wallet on the wrong chain to switch, and waits for the visitor when it will not', async () => {
    const key = generatePrivateKey()
    const willing = testWallet(key, { chainId: 1 })
    const receipt = await trainedReceipt(privateKeyToAccount(key), target(), { seed: 3 })
    const session = await connectWallet(willing.provider, 'test wallet')
    const { queue } = queueWith(() => session)
    await queue.add(receipt, 'u')
    await queue.runOnce()
    expect((await queue.list())[0].status).toBe('anchored')
    expect(willing.state.chainId).toBe(config.chainId)

    const key2 = generatePrivateKey()
    const stubborn = testWallet(key2, { chainId: 1, refuseSwitch: true })
    const receipt2 = await trainedReceipt(privateKeyToAccount(key2), target(), { seed: 4 })
    const session2 = await connectWallet(stubborn.provider, 'test wallet')
    const q2 = queueWith(() => session2).queue
    await q2.add(receipt2, 'u')
    await q2.runOnce()
    const [job] = await q2.list()
    expect(job.status).toBe('needs-you')
    expect(await anchoredEvents(receipt2.receiptHash)).toBe(0)
  }, 60_000)

  it('refuses to send from an account that did not sign the receipt', async () => {
    const key = generatePrivateKey()
    const receipt = await trainedReceipt(privateKeyToAccount(key), target(), { seed: 5 })
    const session = await connectWallet(testWallet(generatePrivateKey()).provider, 'someone else')
    const { queue } = queueWith(() => session)
    await queue.add(receipt, 'u')
    await queue.runOnce()
    const [job] = await queue.list()
    expect(job.status).toBe('needs-you')
    expect(job.lastError?.shortMessage).toMatch(/did not sign this receipt/)
    expect(await anchoredEvents(receipt.receiptHash)).toBe(0)
  }, 60_000)

  it('keeps every receipt through an RPC outage and a reload, then anchors each exactly once', async () => {
    const key = generatePrivateKey()
    const { provider } = testWallet(key)
    const session = await connectWallet(provider, 'test wallet')
    const account = privateKeyToAccount(key)
    const receipts = []
    for (let seed = 10; seed < 14; seed++)
      receipts.push(await trainedReceipt(account, target(), { seed, steps: 2 }))
    const store = idbAnchorStore('anchors-outage')
    const first = queueWith(() => session, store).queue
    await first.add(receipts[0], 'u')
    await first.runOnce() // the first one lands before the outage
    await proxy.down()
    for (const r of receipts.slice(1)) await first.add(r, 'u')
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 60))
      await first.runOnce()
    }
    const during = await first.list()
    expect(during.map((j) => j.status)).toEqual(['anchored', 'queued', 'queued', 'queued'])
    expect(during.slice(1).every((j) => j.attempts >= 2 && j.lastError?.name === 'RpcUnavailableError')).toBe(
      true,
    )

    // A reload: a new queue over the same IndexedDB database, with the RPC back.
    await proxy.up()
    const second = queueWith(() => session, idbAnchorStore('anchors-outage')).queue
    await new Promise((r) => setTimeout(r, 60))
    await second.runOnce()
    const after = await second.list()
    expect(after.map((j) => j.status)).toEqual(['anchored', 'anchored', 'anchored', 'anchored'])
    for (const r of receipts) expect(await anchoredEvents(r.receiptHash)).toBe(1)
  }, 120_000)

  it('after a reload mid-flight it finds the transaction that landed instead of sending again', async () => {
    const key = generatePrivateKey()
    const { provider } = testWallet(key)
    const session = await connectWallet(provider, 'test wallet')
    const receipt = await trainedReceipt(privateKeyToAccount(key), target(), { seed: 20 })
    const store = idbAnchorStore('anchors-midflight')
    const { queue } = queueWith(() => session, store)
    const job = await queue.add(receipt, 'u')
    // The tab sent the transaction and died before recording it: the job still says 'sending'.
    const { sendAnchor } = await import('./anchor.ts')
    const hash = await sendAnchor(session, config, job)
    await publicClient(config).waitForTransactionReceipt({ hash })
    await store.put({ ...job, status: 'sending' })
    const sent = proxy.requests.length
    await queueWith(() => session, store).queue.runOnce()
    const [done] = await store.list()
    expect(done.status).toBe('anchored')
    expect(done.anchor?.txHash).toBe(hash)
    expect(proxy.requests.slice(sent).some((r) => r.method === 'eth_sendRawTransaction')).toBe(false)
    expect(await anchoredEvents(receipt.receiptHash)).toBe(1)
  }, 60_000)

  it('refuses receipts signed for another chain or registry, and forged signatures', async () => {
    const key = generatePrivateKey()
    const { queue } = queueWith(() => null)
    const elsewhere = await trainedReceipt(privateKeyToAccount(key), {
      chainId: 1,
      verifyingContract: config.receiptRegistry,
    })
    await expect(queue.add(elsewhere, 'u')).rejects.toThrow(/signed for chain 1/)
    const receipt = await trainedReceipt(privateKeyToAccount(key), target())
    const forged = {
      ...receipt,
      body: { ...receipt.body, producer: privateKeyToAccount(generatePrivateKey()).address },
    }
    await expect(queue.add(forged, 'u')).rejects.toThrow(/not its producer/)
    expect(await queue.list()).toEqual([])
  }, 60_000)
})
