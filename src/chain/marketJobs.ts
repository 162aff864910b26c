// Market writes as anchor-queue jobs (src/chain/queue.ts): approving the collateral, creating a market,
// buying, selling, settling, challenging, finalizing, liquidating, redeeming, withdrawing. A job's
// `registry` is the contract it writes to and its `receipt` the call (amounts as decimal strings), so a
// reload sends exactly what was queued. Exactly once where the chain can tell: a settlement or a
// challenge is there when the market holds its receipt hash, a finalize or liquidation when the market
// has resolved; a trade, approval, creation, redemption or withdrawal is there when its event is — in
// the job's own transaction once it has one, or, after a send cut short before the wallet returned its
// hash, an event from the sender with the same arguments since the block the job was queued at.
import { erc20Abi, parseEventLogs, type Abi, type Address, type Hex, type PublicClient } from 'viem'
import { hashJson } from '../receipts/training.ts'
import { InvalidWriteError, NotYetOnChainError } from '../errors/chain.ts'
import type { ChainConfig } from './config.ts'
import { marketAbi } from './contracts/Market.ts'
import { marketFactoryAbi } from './contracts/MarketFactory.ts'
import type { AnchorJob } from './store.ts'
import type { Landed } from './swarm.ts'
import type { Writer } from './writer.ts'
import {
  approveCollateral,
  buy,
  challengeMarket,
  createMarket,
  finalize,
  liquidate,
  readMarket,
  redeem,
  sell,
  settleMarket,
  withdraw,
  type MarketConfig,
  type MarketTerms,
} from '../markets/chain.ts'
import type { SettlementReceipt } from '../markets/settlement.ts'

export const MARKET_APPROVE = 'lockstep/market-approve'
export const MARKET_CREATE = 'lockstep/market-create'
export const MARKET_BUY = 'lockstep/market-buy'
export const MARKET_SELL = 'lockstep/market-sell'
export const MARKET_SETTLE = 'lockstep/market-settle'
export const MARKET_CHALLENGE = 'lockstep/market-challenge'
export const MARKET_FINALIZE = 'lockstep/market-finalize'
export const MARKET_LIQUIDATE = 'lockstep/market-liquidate'
export const MARKET_REDEEM = 'lockstep/market-redeem'
export const MARKET_WITHDRAW = 'lockstep/market-withdraw'

type Bare = typeof MARKET_FINALIZE | typeof MARKET_LIQUIDATE | typeof MARKET_REDEEM | typeof MARKET_WITHDRAW

export interface ApproveWrite {
  kind: typeof MARKET_APPROVE
  from: Address
  token: Address
  spender: Address
  amount: bigint
}
export interface CreateWrite {
  kind: typeof MARKET_CREATE
  from: Address
  factory: Address
  config: MarketConfig
  terms: MarketTerms
}
export interface TradeWrite {
  kind: typeof MARKET_BUY | typeof MARKET_SELL
  from: Address
  market: Address
  outcome: number
  shares: bigint
  /** maxCost (buy) or minProceeds (sell). */
  bound: bigint
}
export interface ClaimWrite {
  kind: typeof MARKET_SETTLE | typeof MARKET_CHALLENGE
  from: Address
  market: Address
  receipt: SettlementReceipt
  uri: string
}

/** A market write to queue, the address it must come from and the contract it goes to. */
export type MarketWrite =
  ApproveWrite | CreateWrite | TradeWrite | ClaimWrite | { kind: Bare; from: Address; market: Address }

/** A write as the page asks for it: the wallet fills in `from`. */
export type MarketWriteInput = MarketWrite extends infer W
  ? W extends MarketWrite
    ? Omit<W, 'from'>
    : never
  : never

export const MARKET_KINDS: readonly string[] = [
  MARKET_APPROVE,
  MARKET_CREATE,
  MARKET_BUY,
  MARKET_SELL,
  MARKET_SETTLE,
  MARKET_CHALLENGE,
  MARKET_FINALIZE,
  MARKET_LIQUIDATE,
  MARKET_REDEEM,
  MARKET_WITHDRAW,
]
export const isMarketJob = (job: AnchorJob) => MARKET_KINDS.includes(job.kind)

/** What a market job keeps as its `receipt`: the write with every bigint as a decimal string. */
export interface MarketJobCall {
  write: Record<string, unknown>
  /** The block the job was queued at: no event before it can be this job's. */
  fromBlock: string
}

export const jsonSafe = (x: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))

/** The write a job holds, bigints restored. */
export function marketWriteOf(job: AnchorJob): MarketWrite {
  const w = (job.receipt as MarketJobCall).write as Record<string, unknown>
  const big = (v: unknown) => BigInt(v as string)
  switch (w.kind) {
    case MARKET_APPROVE:
      return { ...w, amount: big(w.amount) } as unknown as MarketWrite
    case MARKET_CREATE: {
      const c = w.config as Record<string, string>
      const config = Object.fromEntries(
        Object.entries(c).map(([k, v]) => [k, k === 'collateral' ? v : BigInt(v)]),
      ) as unknown as MarketConfig
      return { ...w, config } as unknown as MarketWrite
    }
    case MARKET_BUY:
    case MARKET_SELL:
      return { ...w, shares: big(w.shares), bound: big(w.bound) } as unknown as MarketWrite
  }
  return w as never
}

/** The contract a write goes to. */
const target = (w: MarketWrite): Address =>
  w.kind === MARKET_APPROVE ? w.token : w.kind === MARKET_CREATE ? w.factory : w.market

/** Kinds the chain can hold only once (one settlement, one challenge, one resolution): one job each. */
function onceKey(w: MarketWrite): string | null {
  if (w.kind === MARKET_SETTLE || w.kind === MARKET_CHALLENGE) return w.receipt.receiptHash
  if (w.kind === MARKET_FINALIZE || w.kind === MARKET_LIQUIDATE) return 'resolve'
  return null
}

let counter = 0

/**
 * The job's fields for a write (AnchorQueue.addMarket). A write the chain holds once has one job per
 * market and sender; every other click is its own job (buying twice is two trades).
 */
export function marketJob(config: ChainConfig, w: MarketWrite, fromBlock: bigint, now = Date.now()) {
  if ((w.kind === MARKET_BUY || w.kind === MARKET_SELL) && !(w.shares > 0n && w.bound >= 0n))
    throw new InvalidWriteError(`A trade needs shares > 0 and a bound ≥ 0 (got ${w.shares}, ${w.bound}).`)
  if (w.kind === MARKET_APPROVE && w.amount < 0n)
    throw new InvalidWriteError('An approval cannot be negative.')
  const to = target(w)
  const key = onceKey(w) ?? `${now}-${counter++}`
  const receipt: MarketJobCall = { write: jsonSafe(w), fromBlock: fromBlock.toString() }
  return {
    id: [config.chainId, to, w.kind, key, w.from].join(':').toLowerCase(),
    kind: w.kind,
    receiptHash: hashJson(receipt),
    root: `0x${'0'.repeat(64)}` as Hex,
    uri: '',
    signer: w.from,
    registry: to,
    receipt,
  }
}

const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`

/** A market job in words, for the queue's list. */
export function marketJobText(job: AnchorJob): string {
  const w = marketWriteOf(job)
  switch (w.kind) {
    case MARKET_APPROVE:
      return `approve ${short(w.spender)} to take collateral`
    case MARKET_CREATE:
      return `create market “${w.terms.question}”`
    case MARKET_BUY:
    case MARKET_SELL:
      return `${w.kind === MARKET_BUY ? 'buy' : 'sell'} shares of outcome ${w.outcome + 1} in ${short(w.market)}`
    case MARKET_SETTLE:
      return `settle ${short(w.market)} on outcome ${w.receipt.body.outcome + 1}`
    case MARKET_CHALLENGE:
      return `challenge ${short(w.market)} with outcome ${w.receipt.body.outcome + 1}`
    default:
      return `${w.kind.replace('lockstep/market-', '')} ${short(w.market)}`
  }
}

/** The block (and transaction, if known) a write landed in. */
export async function at(
  client: PublicClient,
  blockNumber: bigint | null,
  txHash: Hex | null,
): Promise<Landed> {
  const block = blockNumber === null ? await client.getBlock() : await client.getBlock({ blockNumber })
  return { blockNumber: block.number, timestamp: Number(block.timestamp), txHash }
}

/**
 * The job's event: in its own transaction when it has one; else, when a send may have gone out unseen
 * (the job was `sending`), one from `args` since the block it was queued at; else none.
 */
export async function eventLanded(
  client: PublicClient,
  job: AnchorJob,
  abi: Abi,
  eventName: string,
  args: Record<string, unknown>,
  match: (a: Record<string, unknown>) => boolean = () => true,
): Promise<Landed | null> {
  const ok = (l: { args: unknown }) => match(l.args as Record<string, unknown>)
  if (job.txHash) {
    const r = await client.getTransactionReceipt({ hash: job.txHash }).catch(() => null)
    if (r?.status !== 'success') return null
    const logs = parseEventLogs({ abi, eventName, args, logs: r.logs } as never) as { args: unknown }[]
    return logs.some(ok) ? at(client, r.blockNumber, job.txHash) : null
  }
  if (job.status !== 'sending') return null
  const fromBlock = BigInt((job.receipt as MarketJobCall).fromBlock)
  const logs = await client.getContractEvents({
    address: job.registry,
    abi,
    eventName,
    args,
    fromBlock,
  } as never)
  const log = (logs as unknown as { args: unknown; blockNumber: bigint; transactionHash: Hex }[]).find(ok)
  return log ? at(client, log.blockNumber, log.transactionHash) : null
}

const same = (a: unknown, b: string) => String(a).toLowerCase() === b.toLowerCase()
const ref = (config: ChainConfig, address: Address) => ({ config, address })

async function resolved(client: PublicClient, job: AnchorJob): Promise<Landed | null> {
  const logs = await client.getContractEvents({
    address: job.registry,
    abi: marketAbi,
    eventName: 'Resolved',
    fromBlock: 0n,
  })
  const log = logs[0]
  return log ? at(client, log.blockNumber, log.transactionHash) : null
}

/** Waits (retrying) until `spender` may take `amount` of `token` from `owner`: the approval goes first. */
async function allowed(
  client: PublicClient,
  token: Address,
  owner: Address,
  spender: Address,
  amount: bigint,
) {
  const a = await client.readContract({
    address: token,
    abi: erc20Abi,
    functionName: 'allowance',
    args: [owner, spender],
  })
  if (a < amount)
    throw new NotYetOnChainError(`${short(spender)} may take ${a} of the collateral; this needs ${amount}.`, {
      metaMessages: ['The approval is in the queue; this write follows it.'],
    })
}

const w = (job: AnchorJob) => marketWriteOf(job)

export const marketWriters: Record<string, Writer> = {
  [MARKET_APPROVE]: {
    read(client, _config, job) {
      const a = w(job) as ApproveWrite
      return eventLanded(client, job, erc20Abi, 'Approval', { owner: job.signer, spender: a.spender })
    },
    send(session, config, job) {
      const a = w(job) as ApproveWrite
      return approveCollateral(session, config, a.token, a.spender, a.amount)
    },
  },
  [MARKET_CREATE]: {
    read(client, _config, job) {
      const c = w(job) as CreateWrite
      const args = { creator: job.signer }
      return eventLanded(
        client,
        job,
        marketFactoryAbi,
        'MarketCreated',
        args,
        (a) => a.question === c.terms.question,
      )
    },
    async ready(client, _config, job) {
      const c = w(job) as CreateWrite
      await allowed(client, c.config.collateral, job.signer, c.factory, c.config.liquidity)
    },
    send(session, config, job) {
      const c = w(job) as CreateWrite
      return createMarket(session, ref(config, c.factory), c.config, c.terms)
    },
  },
  ...Object.fromEntries(
    [MARKET_BUY, MARKET_SELL].map((kind): [string, Writer] => [
      kind,
      {
        read(client, _config, job) {
          const t = w(job) as TradeWrite
          const args = { trader: job.signer, outcome: BigInt(t.outcome) }
          const event = kind === MARKET_BUY ? 'Bought' : 'Sold'
          return eventLanded(client, job, marketAbi, event, args, (a) => a.shares === t.shares)
        },
        async ready(client, _config, job) {
          const t = w(job) as TradeWrite
          if (kind !== MARKET_BUY) return
          const { collateral } = await client.readContract({
            address: t.market,
            abi: marketAbi,
            functionName: 'config',
          })
          await allowed(client, collateral, job.signer, t.market, t.bound)
        },
        send(session, config, job) {
          const t = w(job) as TradeWrite
          const trade = kind === MARKET_BUY ? buy : sell
          return trade(session, ref(config, t.market), t.outcome, t.shares, t.bound)
        },
      },
    ]),
  ),
  ...Object.fromEntries(
    [MARKET_SETTLE, MARKET_CHALLENGE].map((kind): [string, Writer] => [
      kind,
      {
        async read(client, config, job) {
          const s = w(job) as ClaimWrite
          const m = await readMarket(client, ref(config, s.market))
          const claim = kind === MARKET_SETTLE ? m.proposal : m.counter
          if (!claim || !same(claim.receiptHash, s.receipt.receiptHash)) return null
          return at(client, null, job.txHash ?? null)
        },
        async ready(client, config, job) {
          const s = w(job) as ClaimWrite
          const [m, c] = await Promise.all([
            readMarket(client, ref(config, s.market)),
            client.readContract({ address: s.market, abi: marketAbi, functionName: 'config' }),
          ])
          if (kind === MARKET_SETTLE && m.phase === 'open')
            throw new NotYetOnChainError('The market is still open: it can be settled after its deadline.')
          await allowed(client, c.collateral, job.signer, s.market, c.bond)
        },
        send(session, config, job, client) {
          const s = w(job) as ClaimWrite
          const post = kind === MARKET_SETTLE ? settleMarket : challengeMarket
          return post(session, client, ref(config, s.market), s.receipt, s.uri)
        },
      },
    ]),
  ),
  [MARKET_FINALIZE]: {
    read: (client, _config, job) => resolved(client, job),
    send: (session, config, job) => finalize(session, ref(config, job.registry)),
  },
  [MARKET_LIQUIDATE]: {
    read: (client, _config, job) => resolved(client, job),
    send: (session, config, job) => liquidate(session, ref(config, job.registry)),
  },
  [MARKET_REDEEM]: {
    read: (client, _config, job) => eventLanded(client, job, marketAbi, 'Redeemed', { holder: job.signer }),
    send: (session, config, job) => redeem(session, ref(config, job.registry)),
  },
  [MARKET_WITHDRAW]: {
    read: (client, _config, job) => eventLanded(client, job, marketAbi, 'Withdrawn', { to: job.signer }),
    send: (session, config, job) => withdraw(session, ref(config, job.registry)),
  },
}
