// The Markets page's list and its create form: the factory's markets read from the chain (phase,
// question, outcomes, probabilities), and a draft checked against the contract's limits (markets/form.ts)
// before the approval and the creation go into the wallet's queue.
import { erc20Abi, keccak256, type Address, type PublicClient } from 'viem'
import { publicClient } from '../chain/client.ts'
import { latest } from './latest.ts'
import { MARKET_APPROVE, MARKET_CREATE } from '../chain/marketJobs.ts'
import type { AnchorJob } from '../chain/store.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { MarketError } from '../errors/market.ts'
import {
  createdMarket,
  listMarkets,
  marketCount,
  readConfig,
  readMarket,
  readTerms,
  type MarketConfig,
  type MarketState,
  type MarketTerms,
} from '../markets/chain.ts'
import { prices } from '../markets/cost.ts'
import { defaultDraft, draftErrors, STEPS, validateDraft, type Draft, type Errors } from '../markets/form.ts'
import { TRAINED_MODEL_HASH, TRAINED_URI } from '../markets/trained.ts'

const TRAINED = { hash: TRAINED_MODEL_HASH, uri: TRAINED_URI }
import type { Wallet } from './wallet.svelte.ts'

export interface MarketRow {
  address: Address
  terms: MarketTerms
  config: MarketConfig
  state: MarketState
  probabilities: number[]
  /** The latest block's timestamp when read: deadlines are the chain's, not this computer's clock. */
  chainTime: bigint
}

/** Where the settle step finds the input a market was created with (the chain keeps only its hash). */
export const inputKey = (inputHash: string) => `lockstep.marketInput.${inputHash.toLowerCase()}`

export async function readRow(client: PublicClient, wallet: Wallet, address: Address): Promise<MarketRow> {
  const ref = { config: wallet.config, address }
  const [terms, config, state, block] = await Promise.all([
    readTerms(client, ref),
    readConfig(client, ref),
    readMarket(client, ref),
    client.getBlock(),
  ])
  const probabilities = prices(config.k, state.supplies).probability
  return { address, terms, config, state, probabilities, chainTime: block.timestamp }
}

/** The collateral's decimals and symbol (18 and "tokens" when the token does not say). */
export async function tokenInfo(client: PublicClient, token: Address) {
  const read = <T>(functionName: 'decimals' | 'symbol', fallback: T) =>
    client.readContract({ address: token, abi: erc20Abi, functionName }).catch(() => fallback) as Promise<T>
  return { decimals: await read('decimals', 18), symbol: await read('symbol', 'tokens') }
}

/** Markets the list shows: the newest ones (the page opens any other by its link). */
export const LIST_LIMIT = 50

export class MarketList {
  rows = $state.raw<MarketRow[]>([])
  /** Markets the factory has made; the list shows the newest LIST_LIMIT of them. */
  total = $state(0)
  loaded = $state(false)
  error = $state<ErrorInfo | null>(null)
  readonly #wallet: Wallet
  readonly client: PublicClient
  /** Terms and config never change once a market exists: read once per market, not every poll. */
  // A cache, not state: nothing renders from it.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #fixed = new Map<Address, Promise<{ terms: MarketTerms; config: MarketConfig }>>()

  constructor(wallet: Wallet, client: PublicClient = publicClient(wallet.config)) {
    this.#wallet = wallet
    this.client = client
  }

  get factory(): Address | undefined {
    return this.#wallet.config.marketFactory
  }

  /** Reads the chain again (one read at a time: a slow one never overwrites a newer one). */
  refresh = latest(() => this.#read())

  async #read(): Promise<void> {
    try {
      if (!this.factory)
        throw new MarketError(
          `Chain ${this.#wallet.config.chainId} has no market factory configured (marketFactory=…).`,
        )
      const ref = { config: this.#wallet.config, address: this.factory }
      const total = await marketCount(this.client, ref)
      const start = Math.max(0, total - LIST_LIMIT)
      const [addresses, block] = await Promise.all([
        listMarkets(this.client, ref, { start, count: total - start }),
        this.client.getBlock(),
      ])
      const rows = await Promise.all(addresses.map((a) => this.#row(a, block.timestamp)))
      // Newest first: the one just created is on top.
      this.rows = rows.reverse()
      this.total = total
      this.error = null
    } catch (e) {
      this.error = errorInfo(e)
    }
    this.loaded = true
  }

  async #row(address: Address, chainTime: bigint): Promise<MarketRow> {
    const ref = { config: this.#wallet.config, address }
    let fixed = this.#fixed.get(address)
    if (!fixed) {
      fixed = Promise.all([readTerms(this.client, ref), readConfig(this.client, ref)]).then(
        ([terms, config]) => ({ terms, config }),
      )
      this.#fixed.set(address, fixed)
      // A failed read is tried again at the next poll, not remembered.
      fixed.catch(() => this.#fixed.delete(address))
    }
    const [{ terms, config }, state] = await Promise.all([fixed, readMarket(this.client, ref)])
    const probabilities = prices(config.k, state.supplies).probability
    return { address, terms, config, state, probabilities, chainTime }
  }
}

export class CreateForm {
  draft = $state<Draft>(defaultDraft())
  step = $state(0)
  /** Errors shown: a field's appear once its step was checked (Next or Create). */
  errors = $state<Errors>({})
  decimals = $state(18)
  symbol = $state('tokens')
  upload = $state.raw<{ bytes: Uint8Array; name: string } | null>(null)
  error = $state<ErrorInfo | null>(null)
  /** The creation in the queue, once sent. */
  job = $state.raw<AnchorJob | null>(null)
  /** The market it made, once it landed. */
  created = $state<Address | null>(null)
  readonly #wallet: Wallet
  readonly #client: PublicClient
  #creating = false

  constructor(wallet: Wallet, client: PublicClient = publicClient(wallet.config)) {
    this.#wallet = wallet
    this.#client = client
    // The default settlement model: the trained one (its hash is pinned; the page loads it only to settle).
    this.draft.model = TRAINED
  }

  get collateral(): Address | undefined {
    return this.#wallet.config.marketCollateral
  }

  async loadToken(): Promise<void> {
    if (!this.collateral) return
    const t = await tokenInfo(this.#client, this.collateral)
    this.decimals = t.decimals
    this.symbol = t.symbol
  }

  /** An uploaded model replaces the trained one; the visitor then gives the URL it is published at. */
  useModel(file: { bytes: Uint8Array; name: string } | null): void {
    this.upload = file
    this.draft.model = file ? { hash: keccak256(file.bytes), uri: '' } : TRAINED
  }

  /** The current step's errors (shown); true when it has none. */
  check(step = this.step): boolean {
    const all = draftErrors($state.snapshot(this.draft) as Draft, this.decimals)
    const fields = STEPS[step].fields(this.draft)
    const next: Errors = { ...this.errors }
    for (const f of fields) delete next[f]
    for (const f of fields) if (all[f]) next[f] = all[f]
    // Outcome fields that no longer exist.
    for (const k of Object.keys(next))
      if (k.startsWith('outcome-') && !all[k as keyof Errors]) delete next[k as keyof Errors]
    this.errors = next
    return fields.every((f) => !all[f])
  }

  next(): void {
    if (this.check()) this.step = Math.min(this.step + 1, STEPS.length - 1)
  }

  back(): void {
    this.step = Math.max(0, this.step - 1)
  }

  /** Checks every step (stopping at the first with an error) and queues the approval and the creation. */
  async create(): Promise<void> {
    // One creation per form: a second submit before the first is queued is ignored.
    if (this.job || this.#creating) return
    this.error = null
    for (let s = 0; s < STEPS.length; s++) if (!this.check(s)) return void (this.step = s)
    if (!this.collateral || !this.#wallet.config.marketFactory)
      return void (this.error = errorInfo(
        new MarketError('This chain has no market factory or collateral configured.'),
      ))
    const draft = $state.snapshot(this.draft) as Draft
    const v = validateDraft(draft, this.collateral, this.decimals)
    if (v.errors) return void (this.errors = v.errors)
    this.#creating = true
    try {
      const factory = this.#wallet.config.marketFactory
      localStorage.setItem(inputKey(v.terms.inputHash), draft.input)
      await this.#wallet.marketWrite({
        kind: MARKET_APPROVE,
        token: this.collateral,
        spender: factory,
        amount: v.config.liquidity,
      })
      this.job = await this.#wallet.marketWrite({
        kind: MARKET_CREATE,
        factory,
        config: v.config,
        terms: v.terms,
      })
    } catch (e) {
      this.error = errorInfo(e)
    } finally {
      this.#creating = false
    }
  }

  /** Reads the new market's address from the creation's transaction, once the queue says it landed. */
  async landed(job: AnchorJob): Promise<void> {
    if (this.created || job.id !== this.job?.id || !job.anchor?.txHash) return
    try {
      this.created = await createdMarket(this.#client, job.anchor.txHash)
    } catch (e) {
      this.error = errorInfo(e)
    }
  }

  reset(): void {
    const model = this.draft.model
    this.draft = { ...defaultDraft(model) }
    this.step = 0
    this.errors = {}
    this.job = null
    this.created = null
  }
}
