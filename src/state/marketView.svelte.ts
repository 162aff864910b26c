// One market on the Markets page: its terms, economics and state from the chain, its trades (Bought and
// Sold events: the chart and the wallet's P&L), a trade's preview from the bigint reference at the
// chain's current supplies, and every action — trade, settle, re-check, challenge, finalize, liquidate,
// redeem, withdraw — queued in the wallet's durable queue.
import { erc20Abi, formatUnits, keccak256, type Address, type Hex, type PublicClient } from 'viem'
import { publicClient } from '../chain/client.ts'
import { latest } from './latest.ts'
import { marketAbi } from '../chain/contracts/Market.ts'
import {
  MARKET_APPROVE,
  MARKET_BUY,
  MARKET_CHALLENGE,
  MARKET_FINALIZE,
  MARKET_LIQUIDATE,
  MARKET_REDEEM,
  MARKET_SELL,
  MARKET_SETTLE,
  MARKET_WITHDRAW,
} from '../chain/marketJobs.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { MarketError } from '../errors/market.ts'
import { inputHashOf, readHoldings, termsProblems } from '../markets/chain.ts'
import { bundledModel, BUNDLED_URI, isRule } from '../markets/model.ts'
import { TRAINED_MODEL_HASH } from '../markets/trained.ts'
import { parseSettlementHash, type MarketCheck, type SettlementReceipt } from '../markets/settlement.ts'
import { amountOf } from '../markets/form.ts'
import { positionOf, previewTrade, type Preview, type Side, type Trade } from '../markets/trade.ts'
import { MarketState as SettleState } from './market.svelte.ts'
import { inputKey, readRow, tokenInfo, type MarketRow } from './markets.svelte.ts'
import { startMarketWorker } from './workers.ts'
import type { Wallet } from './wallet.svelte.ts'

export interface ChainTrade extends Trade {
  trader: Address
}

/** A settlement posted on the market: who, which outcome, and where its receipt is published. */
export interface Posted {
  role: 'settlement' | 'challenge'
  outcome: number
  receiptHash: Hex
  uri: string
}

const MAX_RECEIPT_CHARS = 1_000_000

/**
 * The receipt a posted URI carries: a settlement link (`…#settlement=…`), the JSON itself as a `data:` URI
 * (what `lockstep market settle` posts), or a URL serving the JSON.
 */
export async function receiptAt(uri: string): Promise<string> {
  const inLink = parseSettlementHash(uri.slice(Math.max(0, uri.indexOf('#'))))
  if (inLink) return inLink
  const data = /^data:application\/json(?:;charset=utf-8)?(;base64)?,/i.exec(uri)
  if (data) {
    if (uri.length > MAX_RECEIPT_CHARS * 2)
      throw new MarketError('The settlement in its data: URI is too large.')
    const body = uri.slice(data[0].length)
    if (!data[1]) return decodeURIComponent(body)
    return new TextDecoder().decode(Uint8Array.from(atob(body), (c) => c.charCodeAt(0)))
  }
  if (!/^https?:\/\//i.test(uri))
    throw new MarketError(
      `The settlement's URI ${JSON.stringify(uri)} is neither a settlement link, a data: URI nor an http(s) URL.`,
    )
  const res = await fetch(uri)
  if (!res.ok) throw new MarketError(`The settlement at ${uri} did not load (HTTP ${res.status}).`)
  if (Number(res.headers.get('content-length') ?? 0) > MAX_RECEIPT_CHARS)
    throw new MarketError(`The settlement at ${uri} is too large to be one.`)
  const text = await res.text()
  // Whoever posted it chose the URI: a settlement is a few kilobytes, so anything huge is refused.
  if (text.length > MAX_RECEIPT_CHARS)
    throw new MarketError(`The settlement at ${uri} is too large to be one.`)
  return text
}

/** The input a market carries in its terms as a `data:` URI (the CLI's), if it hashes to the commitment. */
export function inputIn(terms: { inputUri: string; inputHash: Hex }): string | null {
  const m = /^data:text\/plain(?:;charset=utf-8)?,(.*)$/is.exec(terms.inputUri)
  if (!m) return null
  try {
    const text = decodeURIComponent(m[1])
    return inputHashOf(text) === terms.inputHash ? text : null
  } catch {
    return null
  }
}

export class MarketView {
  readonly address: Address
  row = $state.raw<MarketRow | null>(null)
  trades = $state.raw<ChainTrade[]>([])
  posted = $state.raw<Posted[]>([])
  holdings = $state.raw<{ shares: bigint[]; owed: bigint } | null>(null)
  /** Whether the creator's seed shares are paid out (only the creator redeems them, once). */
  seedRedeemed = $state(false)
  decimals = $state(18)
  symbol = $state('tokens')
  error = $state<ErrorInfo | null>(null)
  /** Bumped on every refresh: the chart redraws. */
  version = $state(0)
  side = $state<Side>('buy')
  outcome = $state(0)
  shares = $state('1')
  slippagePercent = $state('1')
  actionError = $state<ErrorInfo | null>(null)
  /** The settle step: its own settlement computation (the page's settle panel, state/market.svelte.ts). */
  readonly settler: SettleState
  settleInput = $state('')
  recheckStatus = $state<'idle' | 'running' | 'passed' | 'failed'>('idle')
  checks = $state.raw<MarketCheck[]>([])
  readonly #wallet: Wallet
  readonly #client: PublicClient
  #worker: ReturnType<typeof startMarketWorker> | null = null

  constructor(wallet: Wallet, address: Address, client: PublicClient = publicClient(wallet.config)) {
    this.#wallet = wallet
    this.#client = client
    this.address = address
    this.settler = new SettleState(wallet)
  }

  get #ref() {
    return { config: this.#wallet.config, address: this.address }
  }

  /** Reads the chain again (one read at a time: a slow one never overwrites a newer one). */
  refresh = latest(() => this.#read())

  async #read(): Promise<void> {
    try {
      // Holdings before supplies: a trade the holdings show is then in the supplies too, so a sell's
      // preview never prices shares the supplies read does not have yet.
      const me = this.#wallet.session?.address
      const n = this.row?.terms.outcomes.length
      const early = me && n ? await readHoldings(this.#client, this.#ref, me, n) : null
      const row = await readRow(this.#client, this.#wallet, this.address)
      if (!this.row) {
        const t = await tokenInfo(this.#client, row.config.collateral)
        this.decimals = t.decimals
        this.symbol = t.symbol
        this.settleInput = localStorage.getItem(inputKey(row.terms.inputHash)) ?? inputIn(row.terms) ?? ''
      }
      const at = { address: this.address, abi: marketAbi, fromBlock: 0n } as const
      const [bought, sold, proposed, challenged] = await Promise.all([
        this.#client.getContractEvents({ ...at, eventName: 'Bought' }),
        this.#client.getContractEvents({ ...at, eventName: 'Sold' }),
        this.#client.getContractEvents({ ...at, eventName: 'SettlementProposed' }),
        this.#client.getContractEvents({ ...at, eventName: 'Challenged' }),
      ])
      const order = (l: { blockNumber: bigint; logIndex: number }) =>
        l.blockNumber * 100_000n + BigInt(l.logIndex)
      const trades = [
        ...bought.map((l) => ({ l, side: 'buy' as const, amount: l.args.cost! + l.args.fee! })),
        ...sold.map((l) => ({ l, side: 'sell' as const, amount: l.args.proceeds! })),
      ].sort((a, b) => (order(a.l) < order(b.l) ? -1 : 1))
      const holdings = me
        ? (early ?? (await readHoldings(this.#client, this.#ref, me, row.terms.outcomes.length)))
        : null
      this.trades = trades.map(({ l, side, amount }) => ({
        trader: l.args.trader!,
        side,
        outcome: Number(l.args.outcome),
        shares: l.args.shares!,
        amount,
      }))
      this.posted = [
        ...proposed.map((l) => ({ role: 'settlement' as const, ...l.args })),
        ...challenged.map((l) => ({ role: 'challenge' as const, ...l.args })),
      ].map((p) => ({ role: p.role, outcome: Number(p.outcome), receiptHash: p.receiptHash!, uri: p.uri! }))
      const seedRedeemed = await this.#client.readContract({
        address: this.address,
        abi: marketAbi,
        functionName: 'seedRedeemed',
      })
      this.holdings = holdings
      this.seedRedeemed = seedRedeemed
      this.row = row
      this.error = null
      this.version++
    } catch (e) {
      this.error = errorInfo(e)
    }
  }

  /** The trade's preview, or why there is none (a field's error). */
  get preview(): Preview | string {
    const r = this.row
    if (!r) return 'Loading the market…'
    const shares = this.#shares()
    if (typeof shares === 'string') return shares
    const slip = this.slippagePercent.trim()
    if (!/^\d+(\.\d{1,2})?$/.test(slip) || Number(slip) >= 50) return 'Slippage must be 0 to 49.99 %.'
    if (this.side === 'sell') {
      const held = this.holdings?.shares[this.outcome] ?? 0n
      if (shares > held) return `You hold ${formatUnits(held, this.decimals)} shares of this outcome.`
    }
    return previewTrade(
      { k: r.config.k, feeBps: r.config.feeBps, supplies: r.state.supplies },
      this.side,
      this.outcome,
      shares,
      BigInt(Math.round(Number(slip) * 100)),
    )
  }

  /** The shares field in base units (shares have the collateral's decimals), or what is wrong with it. */
  #shares(): bigint | string {
    const x = amountOf(this.shares, this.decimals)
    return x === 0n ? 'Enter more than 0 shares.' : x
  }

  /** The connected wallet's position and P&L, from its trades and the current supplies. */
  get position() {
    const r = this.row
    const me = this.#wallet.session?.address.toLowerCase()
    if (!r || !this.holdings || !me) return null
    const mine = this.trades.filter((t) => t.trader.toLowerCase() === me)
    return positionOf(
      { k: r.config.k, feeBps: r.config.feeBps, supplies: r.state.supplies },
      this.holdings.shares,
      mine,
    )
  }

  /** True while an action is being queued: its buttons wait, so one click is one write. */
  busy = $state(false)

  async #write(run: () => Promise<unknown>): Promise<void> {
    if (this.busy) return
    this.actionError = null
    this.busy = true
    try {
      await run()
    } catch (e) {
      this.actionError = errorInfo(e)
    } finally {
      this.busy = false
    }
  }

  /** Queues the previewed trade with its bound (and, for a buy, an approval of the bound first). */
  trade(): Promise<void> {
    return this.#write(async () => {
      const p = this.preview
      if (typeof p === 'string') throw new MarketError(p)
      const shares = this.#shares() as bigint
      if (p.side === 'buy') {
        const me = this.#wallet.session?.address
        const allowance = me
          ? await this.#client.readContract({
              address: this.row!.config.collateral,
              abi: erc20Abi,
              functionName: 'allowance',
              args: [me, this.address],
            })
          : 0n
        if (allowance < p.bound)
          await this.#wallet.marketWrite({
            kind: MARKET_APPROVE,
            token: this.row!.config.collateral,
            spender: this.address,
            amount: p.bound,
          })
      }
      await this.#wallet.marketWrite({
        kind: p.side === 'buy' ? MARKET_BUY : MARKET_SELL,
        market: this.address,
        outcome: this.outcome,
        shares,
        bound: p.bound,
      })
    })
  }

  /**
   * Computes the settlement on this computer (the settle panel's computation: the model on the
   * deterministic runtime, signed and anchored), then queues it — with the bond's approval — as the
   * market's settlement, or as a challenge when `challenge`.
   */
  settle(model: { bytes: Uint8Array; name: string } | null, challenge = false): Promise<void> {
    return this.#write(async () => {
      const r = this.row
      if (!r) throw new MarketError('The market has not loaded.')
      const s = this.settler
      s.question = r.terms.question
      s.input = this.settleInput
      s.outcomes = r.terms.outcomes.join('\n')
      s.upload = model
      // The settle panel trims what it settles; a market whose texts it would change cannot be settled here.
      if (
        s.market.question !== r.terms.question ||
        s.market.outcomes.join('\n') !== r.terms.outcomes.join('\n')
      )
        throw new MarketError(
          'This market’s question or outcomes have spaces at their ends: the page cannot settle it.',
        )
      if (inputHashOf(this.settleInput) !== r.terms.inputHash)
        throw new MarketError('This input is not the one the market committed to (its hash differs).')
      if (!isRule(r.terms.rule))
        throw new MarketError(
          `This market's rule ${JSON.stringify(r.terms.rule)} is not one this page settles.`,
        )
      s.rule = r.terms.rule
      s.builtIn = r.terms.modelUri === BUNDLED_URI ? 'bundled' : 'trained'
      const modelHash = model
        ? keccak256(model.bytes)
        : s.builtIn === 'bundled'
          ? keccak256(bundledModel())
          : TRAINED_MODEL_HASH
      if (modelHash.toLowerCase() !== r.terms.modelHash.toLowerCase())
        throw new MarketError('This model is not the one the market committed to (its hash differs).')
      await s.settle()
      if (!s.receipt || s.status !== 'settled') return void (this.actionError = s.error)
      const proposal = r.state.proposal
      if (challenge && proposal && proposal.outcome === s.receipt.body.outcome)
        throw new MarketError(
          `Your re-execution agrees with the settlement (outcome ${JSON.stringify(r.terms.outcomes[proposal.outcome])}): there is nothing to challenge.`,
        )
      await this.#wallet.marketWrite({
        kind: MARKET_APPROVE,
        token: r.config.collateral,
        spender: this.address,
        amount: r.config.bond,
      })
      await this.#wallet.marketWrite({
        kind: challenge ? MARKET_CHALLENGE : MARKET_SETTLE,
        market: this.address,
        receipt: s.receipt as SettlementReceipt,
        uri: s.link,
      })
    })
  }

  /**
   * One click: fetches the posted settlement (or challenge), checks it against the market's terms
   * (termsProblems) and re-executes it (recheckSettlement, in the market worker).
   */
  async recheck(p: Posted, model: Uint8Array | undefined): Promise<void> {
    this.recheckStatus = 'running'
    this.checks = []
    try {
      const text = await receiptAt(p.uri)
      const receipt = JSON.parse(text) as SettlementReceipt
      const terms = this.row!.terms
      const problems = termsProblems(receipt, terms)
      // The receipt carries the input; one that hashes to the market's commitment is the input itself, so
      // a challenger's own settlement can run on it without being handed it.
      const input = receipt.body?.market?.input
      if (!this.settleInput && typeof input === 'string' && inputHashOf(input) === terms.inputHash)
        this.settleInput = input
      const hashOk = receipt.receiptHash?.toLowerCase() === p.receiptHash.toLowerCase()
      this.#worker ??= startMarketWorker()
      const checks = await this.#worker.api.recheck(text, document.baseURI, model?.slice())
      this.checks = [
        {
          name: 'posted hash',
          ok: hashOk,
          detail: hashOk
            ? p.receiptHash
            : `the market holds ${p.receiptHash}, the receipt is ${receipt.receiptHash}`,
        },
        {
          name: 'terms',
          ok: !problems.length,
          detail: problems.length
            ? `differs in ${problems.join(', ')}`
            : 'question, outcomes, input, model and rule match',
        },
        ...checks,
      ]
      this.recheckStatus = this.checks.every((c) => c.ok) ? 'passed' : 'failed'
    } catch (e) {
      this.checks = [{ name: 'structure', ok: false, detail: e instanceof Error ? e.message : String(e) }]
      this.recheckStatus = 'failed'
    }
  }

  finalize = () =>
    this.#write(() => this.#wallet.marketWrite({ kind: MARKET_FINALIZE, market: this.address }))
  liquidate = () =>
    this.#write(() => this.#wallet.marketWrite({ kind: MARKET_LIQUIDATE, market: this.address }))
  redeem = () => this.#write(() => this.#wallet.marketWrite({ kind: MARKET_REDEEM, market: this.address }))
  withdraw = () =>
    this.#write(() => this.#wallet.marketWrite({ kind: MARKET_WITHDRAW, market: this.address }))

  dispose(): void {
    this.#worker?.worker.terminate()
    this.#worker = null
    this.settler.dispose()
  }
}
