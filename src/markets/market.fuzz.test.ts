// The market contract against the bigint reference (cost.ts) on anvil: the cost function over random
// supplies, then random trade sequences on real markets, each trade bounded by exactly the reference's
// quote (one unit more in the market's favour and it reverts), each sequence checked for exact accounting
// and solvency, and some resolved and redeemed to the last holder. Seeded, so a failure names its case.
// MARKET_SEQUENCES / MARKET_COST_CASES run more (`MARKET_SEQUENCES=1000 npx vitest run --project unit
// src/markets/market.fuzz.test.ts` for the thousands the issue asks; the default keeps `npm test` short),
// MARKET_FIRST from a later sequence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  maxUint256,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { startAnvil, ANVIL_KEY_0 } from '../../scripts/chain.mjs'
import { marketAbi } from '../chain/contracts/Market.ts'
import { marketFactoryAbi } from '../chain/contracts/MarketFactory.ts'
import { testTokenAbi } from '../chain/contracts/TestToken.ts'
import { creatorPart, expiredRefund, poolAt, quoteBuy, quoteSell, seedOf, settledPayout } from './cost.ts'
import { deployMarkets, rng, signReceiptHash, travel, type MarketDeployment } from './testing.ts'

const SEQUENCES = Number(process.env.MARKET_SEQUENCES ?? 16)
/** The first sequence's index (seed 1000 + index): a long run can go on where another stopped. */
const FIRST = Number(process.env.MARKET_FIRST ?? 0)
const COST_CASES = Number(process.env.MARKET_COST_CASES ?? 1000)
const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
const TREASURY = privateKeyToAccount(generatePrivateKey()).address

let node: Awaited<ReturnType<typeof startAnvil>>
let d: MarketDeployment
const creatorKey = generatePrivateKey()
const traderKeys = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()]

beforeAll(async () => {
  node = await startAnvil()
  d = await deployMarkets(node.rpcUrl, ANVIL_KEY_0, {
    registry: REGISTRY,
    treasury: TREASURY,
    refereeOwner: privateKeyToAccount(ANVIL_KEY_0).address,
  })
  for (const key of [creatorKey, ...traderKeys]) {
    const a = privateKeyToAccount(key).address
    await client().request({ method: 'anvil_setBalance' as never, params: [a, toHex(10n ** 22n)] as never })
    await mined(
      wallet(ANVIL_KEY_0).writeContract({
        address: d.token,
        abi: testTokenAbi,
        functionName: 'mint',
        args: [a, 1n << 200n],
      }),
    )
  }
}, 60_000)
afterAll(() => node?.stop())

const client = () =>
  createPublicClient({ chain: foundry, transport: http(node.rpcUrl, { batch: { batchSize: 250 } }) })
const wallets = new Map<Hex, ReturnType<typeof makeWallet>>()
const nonces = new Map<Hex, number>()
function makeWallet(key: Hex) {
  const w = createWalletClient({
    account: privateKeyToAccount(key),
    chain: foundry,
    transport: http(node.rpcUrl),
  })
  // Every write names its gas, fees and nonce: one RPC to send it instead of five to prepare it. A trade
  // beyond its bound is then mined and reverts, which `mined` refuses.
  const writeContract = async (p: Parameters<typeof w.writeContract>[0]) => {
    const nonce = nonces.get(key) ?? (await client().getTransactionCount({ address: w.account.address }))
    nonces.set(key, nonce + 1)
    return w.writeContract({
      ...p,
      gas: 5_000_000n,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 1n,
      nonce,
    } as never)
  }
  return { account: w.account, writeContract }
}
const wallet = (key: Hex) => wallets.get(key) ?? wallets.set(key, makeWallet(key)).get(key)!
/** Waits for the transaction to be mined and to succeed. */
async function mined(hash: Promise<Hex>) {
  const receipt = await client().waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 })
  expect(receipt.status).toBe('success')
  return receipt
}
const balanceOf = (a: Address) =>
  client().readContract({ address: d.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] })

describe('the cost function on chain', () => {
  it('costOf equals ⌈k·√(Σ qᵢ²)⌉ from the bigint reference over random supplies', async () => {
    const r = rng(7)
    const cases = Array.from({ length: COST_CASES }, () => {
      const k = BigInt(1 + r.int(100))
      const q = Array.from({ length: 2 + r.int(19) }, () => r.big(112))
      return { k, q }
    })
    const got = await Promise.all(
      cases.map(({ k, q }) =>
        client().readContract({
          address: d.implementation,
          abi: marketAbi,
          functionName: 'costOf',
          args: [k, q],
        }),
      ),
    )
    got.forEach((g, i) => expect(g, `case ${i}`).toBe(poolAt(cases[i].k, cases[i].q)))
  }, 60_000)
})

interface Sim {
  market: Address
  k: bigint
  feeBps: bigint
  creatorFeeBps: bigint
  deposit: bigint
  seed: bigint
  q: bigint[]
  /** holdings[trader][outcome] */
  holdings: bigint[][]
  owedCreator: bigint
  owedTreasury: bigint
  /** Each trader's collateral, as the reference says it must be. */
  cash: bigint[]
}

async function createRandom(r: ReturnType<typeof rng>, seq: number): Promise<Sim> {
  const n = seq % 8 === 7 ? 20 : 2 + r.int(5)
  const k = BigInt(1 + r.int(100))
  const feeBps = BigInt(50 + r.int(451))
  const creatorFeeBps = BigInt(r.int(Number(feeBps) + 1))
  const liquidity = 10n ** BigInt(6 + r.int(19)) * BigInt(1 + r.int(9))
  const deposit = (liquidity * BigInt(r.int(50))) / 100n
  const c = {
    collateral: d.token,
    k,
    feeBps,
    creatorFeeBps,
    liquidity,
    deposit,
    bond: 10n ** 18n,
    tradingWindow: 120n,
    settlementWindow: 3600n,
    challengeWindow: 600n,
  }
  const t = {
    question: `Sequence ${seq}?`,
    category: 'fuzz',
    outcomes: Array.from({ length: n }, (_, i) => `outcome ${i}`),
    modelHash: keccak256(toHex(`model ${seq}`)),
    modelUri: 'lockstep:bundled/gpt-demo-seed-8',
    inputHash: keccak256(toHex(`input ${seq}`)),
    inputUri: '',
    rule: 'lockstep/outcome-logit-sum/1',
  }
  const w = wallet(creatorKey)
  const before = await balanceOf(w.account.address)
  await mined(
    w.writeContract({
      address: d.token,
      abi: testTokenAbi,
      functionName: 'approve',
      args: [d.factory, maxUint256],
    }),
  )
  const receipt = await mined(
    w.writeContract({
      address: d.factory,
      abi: marketFactoryAbi,
      functionName: 'createMarket',
      args: [c, t],
    }),
  )
  const [log] = parseEventLogs({ abi: marketFactoryAbi, eventName: 'MarketCreated', logs: receipt.logs })
  const market = log.args.market
  const seed = seedOf(k, n, liquidity, deposit)
  const q = Array<bigint>(n).fill(seed)
  // The creator paid exactly the seed's pool and the deposit.
  expect(before - (await balanceOf(w.account.address))).toBe(poolAt(k, q) + deposit)
  for (const key of [creatorKey, ...traderKeys])
    await mined(
      wallet(key).writeContract({
        address: d.token,
        abi: testTokenAbi,
        functionName: 'approve',
        args: [market, maxUint256],
      }),
    )
  const holdings = traderKeys.map(() => Array<bigint>(n).fill(0n))
  const cash = await Promise.all(traderKeys.map((key) => balanceOf(privateKeyToAccount(key).address)))
  return {
    market,
    k,
    feeBps,
    creatorFeeBps,
    deposit,
    seed,
    q,
    holdings,
    owedCreator: 0n,
    owedTreasury: 0n,
    cash,
  }
}

const bits = (x: bigint) => x.toString(2).length

/** One random trade, bounded by exactly the reference's quote; updates the simulation. */
async function trade(r: ReturnType<typeof rng>, s: Sim) {
  const who = r.int(traderKeys.length)
  const o = r.int(s.q.length)
  const held = s.holdings[who][o]
  const at = { address: s.market, abi: marketAbi } as const
  const w = wallet(traderKeys[who])
  let delta: bigint
  let fee: bigint
  if (held > 0n && r.next() < 0.4) {
    const x = 1n + (r.big(bits(held)) % held)
    const quote = quoteSell(s.k, s.feeBps, s.q, o, x)
    await mined(w.writeContract({ ...at, functionName: 'sell', args: [BigInt(o), x, quote.total] }))
    s.q[o] -= x
    s.holdings[who][o] -= x
    delta = quote.total
    fee = quote.fee
  } else {
    const x = 1n + r.big(bits(s.seed) + 3)
    const quote = quoteBuy(s.k, s.feeBps, s.q, o, x)
    await mined(w.writeContract({ ...at, functionName: 'buy', args: [BigInt(o), x, quote.total] }))
    s.q[o] += x
    s.holdings[who][o] += x
    delta = -quote.total
    fee = quote.fee
  }
  const toCreator = creatorPart(fee, s.feeBps, s.creatorFeeBps)
  s.owedCreator += toCreator
  s.owedTreasury += fee - toCreator
  s.cash[who] += delta
}

/** Chain state equals the simulation; the collateral held is exactly pool + deposit + fees owed. */
async function checkAccounting(s: Sim) {
  const at = { address: s.market, abi: marketAbi } as const
  const st = await client().readContract({ ...at, functionName: 'state' })
  expect([...st.supplies]).toEqual(s.q)
  expect(st.pool).toBe(poolAt(s.k, s.q))
  const owed = (a: Address) => client().readContract({ ...at, functionName: 'owed', args: [a] })
  expect(await owed(privateKeyToAccount(creatorKey).address)).toBe(s.owedCreator)
  expect(await owed(TREASURY)).toBe(s.owedTreasury)
  expect(await balanceOf(s.market)).toBe(st.pool + s.deposit + s.owedCreator + s.owedTreasury)
  for (const [i, key] of traderKeys.entries())
    expect(await balanceOf(privateKeyToAccount(key).address)).toBe(s.cash[i])
  for (const [i, key] of traderKeys.entries())
    for (const [o, x] of s.holdings[i].entries())
      expect(
        await client().readContract({
          ...at,
          functionName: 'balanceOf',
          args: [privateKeyToAccount(key).address, BigInt(o)],
        }),
      ).toBe(x)
  // Solvent whatever happens next: every outcome's winners, or an expiry's refunds, fit what it holds.
  const pool = st.pool
  const holders = [...s.holdings, s.q.map(() => s.seed)]
  for (let w = 0; w < s.q.length; w++) {
    const paid = holders.reduce((sum, h) => sum + settledPayout(h[w], pool + s.deposit, s.q[w]), 0n)
    expect(paid).toBeLessThanOrEqual(pool + s.deposit)
  }
  const refunds = holders.reduce((sum, h) => sum + expiredRefund(h, s.q, pool + s.deposit), 0n)
  expect(refunds).toBeLessThanOrEqual(pool + s.deposit)
}

/** Settles (unchallenged) or liquidates, then every holder redeems and withdraws; returns the dust. */
async function resolveAndRedeem(r: ReturnType<typeof rng>, s: Sim, seq: number) {
  const at = { address: s.market, abi: marketAbi } as const
  const creator = wallet(creatorKey)
  const pool = poolAt(s.k, s.q)
  await travel(node.rpcUrl, 120)
  let payout: (h: bigint[]) => bigint
  let holds: (h: bigint[]) => boolean
  if (seq % 2 === 0) {
    const w = r.int(s.q.length)
    const hash = keccak256(toHex(`receipt ${seq}`))
    const sig = await signReceiptHash(creatorKey, hash, REGISTRY)
    await mined(
      creator.writeContract({ ...at, functionName: 'settle', args: [BigInt(w), hash, 'ipfs://r', sig] }),
    )
    await travel(node.rpcUrl, 600)
    s.owedCreator += s.deposit + 10n ** 18n // the deposit and the bond come back
    payout = (h) => settledPayout(h[w], pool, s.q[w])
    holds = (h) => h[w] > 0n
  } else {
    await travel(node.rpcUrl, 3600)
    await mined(creator.writeContract({ ...at, functionName: 'liquidate' }))
    payout = (h) => expiredRefund(h, s.q, pool + s.deposit)
    holds = (h) => h.some((x) => x > 0n)
  }
  const before = await balanceOf(s.market)
  let paid = 0n
  const redeemers = [
    ...traderKeys.map((key, i) => ({ key, h: s.holdings[i] })),
    { key: creatorKey, h: s.q.map(() => s.seed) },
  ]
  for (const { key, h } of redeemers) {
    const want = payout(h)
    const a = privateKeyToAccount(key).address
    const cash = await balanceOf(a)
    // Nothing to redeem reverts (NothingToRedeem, checked by name in market.reverts.test.ts).
    if (holds(h)) {
      await mined(wallet(key).writeContract({ ...at, functionName: 'redeem' }))
      expect(await balanceOf(a)).toBe(cash + want)
    }
    paid += want
  }
  const dust = before - paid - s.owedCreator - s.owedTreasury
  expect(dust).toBeGreaterThanOrEqual(0n)
  // Each redemption rounds down by less than one unit, and the winners' (or all) shares sum to the supply.
  expect(dust).toBeLessThan(BigInt(redeemers.length))
  if (s.owedCreator) await mined(creator.writeContract({ ...at, functionName: 'withdraw' }))
  expect(await balanceOf(s.market)).toBe(dust + s.owedTreasury)
}

describe('random trade sequences on chain', () => {
  it(
    `${SEQUENCES} markets: every trade at exactly the reference quote, accounting exact, always solvent`,
    async () => {
      for (let seq = FIRST; seq < FIRST + SEQUENCES; seq++) {
        const r = rng(1000 + seq)
        const s = await createRandom(r, seq)
        const trades = 8 + r.int(10)
        for (let i = 0; i < trades; i++) await trade(r, s)
        await checkAccounting(s)
        if (seq % 4 < 2) await resolveAndRedeem(r, s, seq)
        // A long run says how far it got (the default 16 never print).
        if ((seq + 1) % 50 === 0) console.log(`market fuzz: sequences to ${seq} passed`)
      }
    },
    Math.max(300_000, SEQUENCES * 5_000),
  )
})
