// Markets on chain (contracts/Market.sol, MarketFactory.sol) from TypeScript: reads go straight to the
// RPC, writes through the visitor's wallet, as src/chain/coordinator.ts does for swarms. The chain checks
// that a settlement's receipt hash is signed; whether the receipt matches the market is checked here
// (`termsProblems`) and by re-execution (settlement.ts recheckSettlement). docs/markets.md.
import {
  erc20Abi,
  keccak256,
  parseEventLogs,
  toBytes,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PublicClient,
} from 'viem'
import { marketAbi } from '../chain/contracts/Market.ts'
import { marketFactoryAbi } from '../chain/contracts/MarketFactory.ts'
import { walletClient } from '../chain/client.ts'
import type { ChainConfig } from '../chain/config.ts'
import { walletError, type WalletSession } from '../chain/wallet.ts'
import { MarketError } from '../errors/market.ts'
import { RULE, type Market, type Rule } from './model.ts'
import type { SettlementReceipt } from './settlement.ts'

/** A deployed factory, or one market, on a configured chain. */
export interface ContractRef {
  config: ChainConfig
  address: Address
}

export const PHASES = ['open', 'awaiting-settlement', 'proposed', 'disputed', 'settled', 'expired'] as const
export type Phase = (typeof PHASES)[number]

/** The creator's economics and timing (times in seconds, amounts in the collateral's base units). */
export interface MarketConfig {
  collateral: Address
  k: bigint
  feeBps: bigint
  creatorFeeBps: bigint
  liquidity: bigint
  deposit: bigint
  bond: bigint
  tradingWindow: bigint
  settlementWindow: bigint
  challengeWindow: bigint
}

/** The defaults: a 2% fee of which 1.5% to the creator. */
export const DEFAULT_FEES = { feeBps: 200n, creatorFeeBps: 150n } as const

/** What the market commits to at creation; a settlement receipt must match each field. */
export interface MarketTerms {
  question: string
  category: string
  outcomes: string[]
  modelHash: Hex
  modelUri: string
  inputHash: Hex
  inputUri: string
  rule: string
}

export interface Claim {
  by: Address
  producer: Address
  at: bigint
  outcome: number
  receiptHash: Hex
}

export interface MarketState {
  phase: Phase
  creator: Address
  referee: Address
  pool: bigint
  sumSq: bigint
  seed: bigint
  supplies: bigint[]
  deadline: bigint
  settlementDeadline: bigint
  proposal: Claim | null
  counter: Claim | null
  winner: number
  payoutPool: bigint
}

/** keccak256 of the input text's UTF-8 bytes: the market's input commitment. */
export const inputHashOf = (input: string): Hex => keccak256(toBytes(input))

/** The terms for a market as settlement.ts settles it: its question, outcomes, input, model and rule. */
export function marketTerms(
  market: Market,
  model: { hash: Hex; uri: string },
  { category = '', inputUri = '', rule = RULE }: { category?: string; inputUri?: string; rule?: Rule } = {},
): MarketTerms {
  return {
    question: market.question,
    category,
    outcomes: [...market.outcomes],
    modelHash: model.hash,
    modelUri: model.uri,
    inputHash: inputHashOf(market.input),
    inputUri,
    rule,
  }
}

/** Where a settlement receipt departs from the terms it claims to settle (empty when it matches). */
export function termsProblems(r: SettlementReceipt, t: MarketTerms): string[] {
  const b = r.body
  const out: string[] = []
  if (b.market.question !== t.question) out.push('question')
  if (JSON.stringify(b.market.outcomes) !== JSON.stringify(t.outcomes)) out.push('outcomes')
  if (inputHashOf(b.market.input) !== t.inputHash) out.push('input')
  if (b.inference.model.hash.toLowerCase() !== t.modelHash.toLowerCase()) out.push('model')
  if (b.rule !== t.rule) out.push('rule')
  if (!(b.outcome >= 0 && b.outcome < t.outcomes.length)) out.push('outcome')
  return out
}

const market = (ref: ContractRef) => ({ address: ref.address, abi: marketAbi }) as const
const factory = (ref: ContractRef) => ({ address: ref.address, abi: marketFactoryAbi }) as const
/** The factory with the market's errors, which a refused creation carries up from `initialize`. */
const creating = [...marketFactoryAbi, ...marketAbi.filter((x) => x.type === 'error')]

async function reading<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (e) {
    throw walletError(e, what)
  }
}

const claim = (c: { by: Address; producer: Address; at: bigint; outcome: bigint; receiptHash: Hex }) =>
  c.at === 0n ? null : { ...c, outcome: Number(c.outcome) }

export function readMarket(client: PublicClient, ref: ContractRef): Promise<MarketState> {
  return reading('reading the market', async () => {
    const s = await client.readContract({ ...market(ref), functionName: 'state' })
    return {
      ...s,
      phase: PHASES[s.phase],
      supplies: [...s.supplies],
      proposal: claim(s.proposal),
      counter: claim(s.counter),
      winner: Number(s.winner),
    }
  })
}

export function readTerms(client: PublicClient, ref: ContractRef): Promise<MarketTerms> {
  return reading('reading the terms', async () => {
    const t = await client.readContract({ ...market(ref), functionName: 'terms' })
    return { ...t, outcomes: [...t.outcomes] }
  })
}

export function readConfig(client: PublicClient, ref: ContractRef): Promise<MarketConfig> {
  return reading('reading the market config', () =>
    client.readContract({ ...market(ref), functionName: 'config' }),
  )
}

/** `holder`'s shares of each outcome, and what the market owes it in fees, bonds and deposit. */
export function readHoldings(
  client: PublicClient,
  ref: ContractRef,
  holder: Address,
  outcomes: number,
): Promise<{ shares: bigint[]; owed: bigint }> {
  return reading('reading holdings', async () => {
    const at = market(ref)
    const shares = await Promise.all(
      Array.from({ length: outcomes }, (_, i) =>
        client.readContract({ ...at, functionName: 'balanceOf', args: [holder, BigInt(i)] }),
      ),
    )
    const owed = await client.readContract({ ...at, functionName: 'owed', args: [holder] })
    return { shares, owed }
  })
}

/** How many markets the factory has made. */
export function marketCount(client: PublicClient, ref: ContractRef): Promise<number> {
  return reading('counting markets', async () =>
    Number(await client.readContract({ ...factory(ref), functionName: 'marketCount' })),
  )
}

/** The factory's markets in creation order. */
export function listMarkets(client: PublicClient, ref: ContractRef, { start = 0, count = 100 } = {}) {
  return reading('listing markets', async () => [
    ...(await client.readContract({
      ...factory(ref),
      functionName: 'marketsBetween',
      args: [BigInt(start), BigInt(start + count)],
    })),
  ])
}

/** The market a createMarket transaction made (from its MarketCreated log). */
export async function createdMarket(client: PublicClient, tx: Hex): Promise<Address> {
  const receipt = await client.waitForTransactionReceipt({ hash: tx })
  const [log] = parseEventLogs({ abi: marketFactoryAbi, eventName: 'MarketCreated', logs: receipt.logs })
  if (!log) throw new MarketError(`Transaction ${tx} created no market.`)
  return log.args.market
}

type MarketWrite = ContractFunctionName<typeof marketAbi, 'nonpayable'>

function send<F extends MarketWrite>(
  session: WalletSession,
  ref: ContractRef,
  what: string,
  functionName: F,
  args: ContractFunctionArgs<typeof marketAbi, 'nonpayable', F>,
): Promise<Hex> {
  const wallet = walletClient(session.provider, session.address, ref.config)
  // Typed by F above; viem's own overloads cannot follow a generic function name.
  return wallet.writeContract({ ...market(ref), functionName, args } as never).catch((e: unknown) => {
    throw walletError(e, what)
  })
}

/** Lets `spender` (the factory to create, a market to trade or bond) take `amount` of `token`. */
export function approveCollateral(
  session: WalletSession,
  config: ChainConfig,
  token: Address,
  spender: Address,
  amount: bigint,
): Promise<Hex> {
  const wallet = walletClient(session.provider, session.address, config)
  return wallet
    .writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [spender, amount],
    } as never)
    .catch((e: unknown) => {
      throw walletError(e, 'approving the collateral')
    })
}

/** Creates a market (the sender is its creator); the factory must be approved for `c.liquidity`. */
export function createMarket(
  session: WalletSession,
  ref: ContractRef,
  c: MarketConfig,
  t: MarketTerms,
): Promise<Hex> {
  const wallet = walletClient(session.provider, session.address, ref.config)
  return wallet
    .writeContract({
      address: ref.address,
      abi: creating,
      functionName: 'createMarket',
      args: [c, t],
    } as never)
    .catch((e: unknown) => {
      throw walletError(e, 'creating the market')
    })
}

/** Buys exactly `shares` of `outcome`, paying at most `maxCost` (fee included). */
export const buy = (s: WalletSession, ref: ContractRef, outcome: number, shares: bigint, maxCost: bigint) =>
  send(s, ref, 'buying', 'buy', [BigInt(outcome), shares, maxCost])

/** Sells exactly `shares` of `outcome`, receiving at least `minProceeds` after the fee. */
export const sell = (
  s: WalletSession,
  ref: ContractRef,
  outcome: number,
  shares: bigint,
  minProceeds: bigint,
) => send(s, ref, 'selling', 'sell', [BigInt(outcome), shares, minProceeds])

/**
 * Refuses, before anything is sent, a receipt signed for another chain or registry: the contract would
 * recover some other address from it and record that as the producer.
 */
async function checkedReceipt(client: PublicClient, ref: ContractRef, r: SettlementReceipt) {
  const registry = await reading('reading the registry', () =>
    client.readContract({ ...market(ref), functionName: 'registry' }),
  )
  const { chainId, verifyingContract } = r.signature
  if (chainId !== ref.config.chainId || verifyingContract.toLowerCase() !== registry.toLowerCase())
    throw new MarketError(
      `The settlement is signed for chain ${chainId} and ${verifyingContract}; this market takes receipts ` +
        `signed for chain ${ref.config.chainId} and ${registry}.`,
    )
  const problems = termsProblems(r, await readTerms(client, ref))
  if (problems.length)
    throw new MarketError(`The settlement does not match the market's terms: ${problems.join(', ')}.`)
  return [BigInt(r.body.outcome), r.receiptHash, r.signature.value] as const
}

/** The creator settles with a signed receipt (outcome from its body) published at `uri`, and the bond. */
export async function settleMarket(
  s: WalletSession,
  client: PublicClient,
  ref: ContractRef,
  r: SettlementReceipt,
  uri: string,
): Promise<Hex> {
  const [outcome, hash, sig] = await checkedReceipt(client, ref, r)
  return send(s, ref, 'settling', 'settle', [outcome, hash, uri, sig])
}

/** Posts a counter-receipt whose outcome differs, and the bond: the market goes to its referee. */
export async function challengeMarket(
  s: WalletSession,
  client: PublicClient,
  ref: ContractRef,
  r: SettlementReceipt,
  uri: string,
): Promise<Hex> {
  const [outcome, hash, sig] = await checkedReceipt(client, ref, r)
  return send(s, ref, 'challenging', 'challenge', [outcome, hash, uri, sig])
}

export const redeem = (s: WalletSession, ref: ContractRef) => send(s, ref, 'redeeming', 'redeem', [])
export const liquidate = (s: WalletSession, ref: ContractRef) => send(s, ref, 'liquidating', 'liquidate', [])
export const finalize = (s: WalletSession, ref: ContractRef) => send(s, ref, 'finalizing', 'finalize', [])
export const withdraw = (s: WalletSession, ref: ContractRef) => send(s, ref, 'withdrawing', 'withdraw', [])
