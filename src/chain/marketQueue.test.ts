// Market writes through the anchor queue against anvil: an approval, a creation and a buy queued in a
// row land in order (the creation and the buy wait for their approvals); a send cut short before the
// wallet returned its hash (a reload) is found on chain by its event and never sent twice; two equal
// buys are two trades; a buy whose bound the market moved past waits for the visitor, unsent twice; a
// settlement waits for the deadline, is one job per receipt, and a counter-receipt disputes it.
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256, type Address, type EIP1193Provider } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEY_0, startAnvil } from '../../scripts/chain.mjs'
import { publicClient, walletClient } from './client.ts'
import { resolveChain, type ChainConfig } from './config.ts'
import { marketAbi } from './contracts/Market.ts'
import { testTokenAbi } from './contracts/TestToken.ts'
import { devWalletProvider } from './devWallet.ts'
import {
  MARKET_APPROVE,
  MARKET_BUY,
  MARKET_CHALLENGE,
  MARKET_CREATE,
  MARKET_SETTLE,
  marketJobText,
  type MarketWrite,
  type MarketWriteInput,
} from './marketJobs.ts'
import { AnchorQueue } from './queue.ts'
import { idbAnchorStore } from './store.ts'
import { connectWallet, type WalletSession } from './wallet.ts'
import {
  approveCollateral,
  createdMarket,
  createMarket,
  DEFAULT_FEES,
  marketTerms,
  readMarket,
  type MarketConfig,
} from '../markets/chain.ts'
import { bundledModel, BUNDLED_URI } from '../markets/model.ts'
import { settle, signSettlement } from '../markets/settlement.ts'
import { quoteBuy } from '../markets/cost.ts'
import { deployMarkets, travel, type MarketDeployment } from '../markets/testing.ts'

const ONE = 10n ** 18n
let node: Awaited<ReturnType<typeof startAnvil>>
let config: ChainConfig
let d: MarketDeployment
let trader: WalletSession
let asked = 0

beforeAll(async () => {
  node = await startAnvil()
  config = resolveChain({ rpc: node.rpcUrl })
  const me = privateKeyToAccount(ANVIL_KEY_0).address
  d = await deployMarkets(node.rpcUrl, ANVIL_KEY_0, {
    registry: config.receiptRegistry,
    treasury: me,
    refereeOwner: me,
  })
  const inner = devWalletProvider(generatePrivateKey(), config)
  const provider = {
    request(args: { method: string }) {
      if (args.method === 'eth_sendTransaction') asked++
      return inner.request(args as never)
    },
  } as unknown as EIP1193Provider
  trader = await connectWallet(provider, 'trader')
  const hash = await walletClient(provider, trader.address, config).writeContract({
    address: d.token,
    abi: testTokenAbi,
    functionName: 'mint',
    args: [trader.address, 1000n * ONE],
  } as never)
  await client().waitForTransactionReceipt({ hash })
}, 60_000)
afterAll(() => node?.stop())

const client = () => publicClient(config)
let dbs = 0
let clock = 0
const now = () => (clock = Math.max(clock + 1, Date.now()))
const queueFor = (store = idbAnchorStore(`market-${++dbs}`), session = () => trader) => ({
  store,
  queue: new AnchorQueue({
    store,
    config,
    client: client(),
    wallet: session,
    now,
    backoff: { baseMs: 10, maxMs: 50 },
  }),
})
const add = async (queue: AnchorQueue, w: MarketWriteInput, from = trader) =>
  queue.addMarket({ ...w, from: from.address } as MarketWrite, await client().getBlockNumber())
const bought = (market: Address) =>
  client().getContractEvents({ address: market, abi: marketAbi, eventName: 'Bought', fromBlock: 0n })

const economics: MarketConfig = {
  collateral: '0x0000000000000000000000000000000000000000',
  k: 1n,
  ...DEFAULT_FEES,
  liquidity: 100n * ONE,
  deposit: 20n * ONE,
  bond: 10n * ONE,
  tradingWindow: 3600n,
  settlementWindow: 3600n,
  challengeWindow: 1800n,
}

let market: Address

describe('market writes through the anchor queue', () => {
  it('lands an approval, a creation and a buy in order, each once', async () => {
    const { queue } = queueFor()
    const c = { ...economics, collateral: d.token }
    const terms = marketTerms(
      { question: 'Will it rain?', input: 'Clouds.', outcomes: ['Yes', 'No'] },
      { hash: keccak256('0x01'), uri: 'test' },
    )
    // Created before its approval is queued: it waits for the allowance instead of reverting.
    await add(queue, { kind: MARKET_CREATE, factory: d.factory, config: c, terms })
    await add(queue, { kind: MARKET_APPROVE, token: d.token, spender: d.factory, amount: c.liquidity })
    for (let i = 0; i < 5 && (await queue.list()).some((j) => j.status !== 'anchored'); i++) {
      await new Promise((r) => setTimeout(r, 60))
      await queue.runOnce()
    }
    const [create] = await queue.list()
    expect(create.status).toBe('anchored')
    expect(marketJobText(create)).toBe('create market “Will it rain?”')
    market = await createdMarket(client(), create.anchor!.txHash!)
    const supplies = (await client().readContract({ address: market, abi: marketAbi, functionName: 'state' }))
      .supplies
    const total = quoteBuy(1n, 200n, supplies, 0, ONE).total
    await add(queue, { kind: MARKET_APPROVE, token: d.token, spender: market, amount: 10n ** 30n })
    await add(queue, { kind: MARKET_BUY, market, outcome: 0, shares: ONE, bound: total })
    await queue.runOnce()
    expect((await queue.list()).map((j) => j.status)).toEqual([
      'anchored',
      'anchored',
      'anchored',
      'anchored',
    ])
    expect(await bought(market)).toHaveLength(1)
  })

  it('finds a send cut short on chain by its event, and sends nothing again', async () => {
    const { queue, store } = queueFor()
    const job = await add(queue, { kind: MARKET_BUY, market, outcome: 1, shares: ONE, bound: 10n * ONE })
    await queue.runOnce()
    const landed = (await store.get(job.id))!
    expect(landed.status).toBe('anchored')
    // As after a reload between the wallet's send and the queue saving its hash.
    await store.put({ ...landed, status: 'sending', txHash: undefined, anchor: undefined })
    const before = asked
    await queue.runOnce()
    expect((await store.get(job.id))!.status).toBe('anchored')
    expect(asked).toBe(before)
    expect(await bought(market)).toHaveLength(2)
  })

  it('sends two equal buys as two trades', async () => {
    const { queue } = queueFor()
    const w = { kind: MARKET_BUY, market, outcome: 0, shares: 3n, bound: ONE } as const
    await add(queue, w)
    await add(queue, w)
    await queue.runOnce()
    expect((await queue.list()).map((j) => j.status)).toEqual(['anchored', 'anchored'])
    expect((await bought(market)).filter((l) => l.args.shares === 3n)).toHaveLength(2)
  })

  it('leaves a buy the market moved past its bound to the visitor, sent no more', async () => {
    const { queue } = queueFor()
    const job = await add(queue, { kind: MARKET_BUY, market, outcome: 0, shares: ONE, bound: 1n })
    await queue.runOnce()
    const [j] = await queue.list()
    expect(j.id).toBe(job.id)
    expect(j.status).toBe('needs-you')
    expect(j.lastError?.name).toBe('RevertedError')
    expect(j.lastError?.shortMessage).toMatch(/CostAboveMax/)
    await queue.runOnce()
    expect(await bought(market)).toHaveLength(4)
  })
  it('settles once the deadline passes (waiting until then), and a counter-receipt disputes it', async () => {
    const question = { question: 'Will it snow?', input: 'Cold air from the north.', outcomes: ['Yes', 'No'] }
    const modelBytes = bundledModel()
    const terms = marketTerms(question, { hash: keccak256(modelBytes), uri: BUNDLED_URI })
    const c = { ...economics, collateral: d.token }
    const factory = { config, address: d.factory }
    await client().waitForTransactionReceipt({
      hash: await approveCollateral(trader, config, d.token, d.factory, c.liquidity),
    })
    const made = await createMarket(trader, factory, c, terms)
    const snowy = await createdMarket(client(), made)
    const target = { chainId: config.chainId, verifyingContract: config.receiptRegistry }
    const honest = settle(modelBytes, question, BUNDLED_URI)
    const producer = privateKeyToAccount(generatePrivateKey())
    const receipt = await signSettlement(honest, producer, target)
    const { queue } = queueFor()
    await add(queue, { kind: MARKET_APPROVE, token: d.token, spender: snowy, amount: c.bond })
    const job = await add(queue, { kind: MARKET_SETTLE, market: snowy, receipt, uri: 'lockstep:test' })
    await queue.runOnce()
    const early = (await queue.list()).find((j) => j.id === job.id)!
    expect(early.status).toBe('queued')
    expect(early.lastError?.name).toBe('NotYetOnChainError')
    await travel(node.rpcUrl, c.tradingWindow + 1n)
    await new Promise((r) => setTimeout(r, 100)) // its backoff
    await queue.runOnce()
    expect((await queue.list()).map((j) => j.status)).toEqual(['anchored', 'anchored'])
    // The same settlement again is the same job: a market takes one.
    expect((await add(queue, { kind: MARKET_SETTLE, market: snowy, receipt, uri: 'lockstep:test' })).id).toBe(
      job.id,
    )
    const ref = { config, address: snowy }
    expect((await readMarket(client(), ref)).proposal?.receiptHash).toBe(receipt.receiptHash)

    const rival = await connectWallet(devWalletProvider(generatePrivateKey(), config), 'rival')
    await client().waitForTransactionReceipt({
      hash: await walletClient(rival.provider, rival.address, config).writeContract({
        address: d.token,
        abi: testTokenAbi,
        functionName: 'mint',
        args: [rival.address, 100n * ONE],
      } as never),
    })
    const counter = await signSettlement({ ...honest, outcome: 1 - honest.outcome }, producer, target)
    const other = queueFor(undefined, () => rival)
    await add(other.queue, { kind: MARKET_APPROVE, token: d.token, spender: snowy, amount: c.bond }, rival)
    await add(
      other.queue,
      { kind: MARKET_CHALLENGE, market: snowy, receipt: counter, uri: 'lockstep:counter' },
      rival,
    )
    await other.queue.runOnce()
    expect((await other.queue.list()).map((j) => j.status)).toEqual(['anchored', 'anchored'])
    const m = await readMarket(client(), ref)
    expect(m.phase).toBe('disputed')
    expect(m.counter?.receiptHash).toBe(counter.receiptHash)
    expect(m.counter?.by).toBe(rival.address)
  }, 30_000)
})
