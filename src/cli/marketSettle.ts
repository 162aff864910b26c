// `lockstep market settle|challenge`: both re-execute the market's own model on its own input
// (marketSources.ts holds each to the hash on chain) with the rule it committed to, and sign the result
// for the registry the market names. `settle` posts it with the bond. `challenge` first re-checks the
// posted settlement and challenges only when its own re-execution gives another outcome than the one the
// chain holds; a challenge its re-execution does not support is refused unless --force names an outcome.
import { writeFileSync } from 'node:fs'
import { marketAbi } from '../chain/contracts/Market.ts'
import { UsageError } from '../errors/cli.ts'
import { MarketError, MarketPhaseError, SettlementHoldsError } from '../errors/market.ts'
import {
  challengeMarket,
  readConfig,
  readMarket,
  readTerms,
  settleMarket,
  termsProblems,
  type ContractRef,
  type MarketState,
  type MarketTerms,
} from '../markets/chain.ts'
import { isRule, RULES } from '../markets/model.ts'
import { localRelease } from '../receipts/releases.ts'
import {
  recheckSettlement,
  settle,
  signSettlement,
  type MarketCheck,
  type SettlementReceipt,
} from '../markets/settlement.ts'
import { hashJson } from '../receipts/training.ts'
import { flag } from './args.ts'
import { marketInput, marketModel, postedSettlement } from './marketSources.ts'
import {
  checkBalance,
  ensureAllowance,
  marketAccess,
  marketRef,
  marketWallet,
  sent,
  tokenOf,
  type MarketAccess,
} from './marketAccess.ts'
import { outcomeIndex } from './marketTrade.ts'

/** A receipt this large is published elsewhere (--uri); smaller ones travel on chain as a data: URI. */
const INLINE_RECEIPT_BYTES = 16 * 1024

function receiptUri(r: SettlementReceipt, given: string | undefined): string {
  if (given !== undefined) return given
  const json = JSON.stringify(r)
  if (Buffer.byteLength(json) > INLINE_RECEIPT_BYTES)
    throw new MarketError(
      `The receipt is ${Buffer.byteLength(json)} bytes, too long to post inline: publish the file and pass --uri URI.`,
    )
  return 'data:application/json;base64,' + Buffer.from(json).toString('base64')
}

/** The market, its terms and this machine's own settlement of it. */
async function reexecuted(args: string[], access: MarketAccess, ref: ContractRef, terms: MarketTerms) {
  const rule = terms.rule
  if (!isRule(rule))
    throw new MarketError(
      `The market's rule is ${JSON.stringify(rule)}; this build settles ${RULES.join(', ')}.`,
    )
  const model = await marketModel(args, terms)
  const input = await marketInput(args, terms)
  const market = { question: terms.question, input, outcomes: terms.outcomes }
  const settled = settle(model, market, terms.modelUri, localRelease(), rule)
  const scores = settled.scores.map((s, k) => `${JSON.stringify(terms.outcomes[k])} ${s.toFixed(3)}`)
  console.log(
    `re-executed: outcome ${settled.outcome} ${JSON.stringify(terms.outcomes[settled.outcome])} (scores ${scores.join(', ')})`,
  )
  const registry = await access.client.readContract({ ...ref, abi: marketAbi, functionName: 'registry' })
  return { model, settled, target: { chainId: access.config.chainId, verifyingContract: registry } }
}

async function bonded(args: string[], access: MarketAccess, ref: ContractRef, what: string) {
  const config = await readConfig(access.client, ref)
  const token = await tokenOf(access.client, config.collateral)
  const wallet = await marketWallet(args, access)
  await checkBalance(access, token, wallet.address, config.bond, what)
  return { wallet, token, bond: config.bond }
}

function written(r: SettlementReceipt, args: string[], fallback: string) {
  const out = flag(args, 'out') ?? fallback
  writeFileSync(out, JSON.stringify(r, null, 2) + '\n')
  console.log(`wrote ${out}: receipt ${r.receiptHash}, signed by ${r.body.producer}`)
}

export async function settleCommand(args: string[], given: string | undefined): Promise<number> {
  const access = await marketAccess(args)
  const ref = await marketRef(access, given)
  const [state, terms] = await Promise.all([readMarket(access.client, ref), readTerms(access.client, ref)])
  if (state.phase !== 'awaiting-settlement')
    throw new MarketPhaseError(
      `The market is ${state.phase}; it is settled between its deadline and the end of its settlement window.`,
    )
  const { wallet, token, bond } = await bonded(args, access, ref, 'Settling (the bond)')
  if (wallet.address !== state.creator)
    throw new MarketPhaseError(
      `Only the creator, ${state.creator}, settles; this key is ${wallet.address}. Nothing was sent.`,
    )
  const { settled, target } = await reexecuted(args, access, ref, terms)
  const receipt = await signSettlement(settled, wallet.signer, target)
  written(receipt, args, `settlement-${ref.address}.json`)
  await ensureAllowance(access, wallet, token, ref.address, bond)
  const uri = receiptUri(receipt, flag(args, 'uri'))
  await sent(
    access,
    `settle on outcome ${settled.outcome}`,
    settleMarket(wallet, access.client, ref, receipt, uri),
  )
  return 0
}

/** The posted settlement against the chain's record and re-execution, one row per check. */
async function postedChecks(
  args: string[],
  access: MarketAccess,
  ref: ContractRef,
  state: MarketState,
  terms: MarketTerms,
  model: Uint8Array,
) {
  const p = state.proposal!
  const checks: MarketCheck[] = []
  try {
    const { value, from } = await postedSettlement(args, access.client, ref)
    checks.push({ name: 'read', ok: true, detail: `the settlement from ${from}` })
    const r = value as SettlementReceipt
    // The terms first: a receipt for another market is wrong without re-running it, and re-running the
    // settler's market text (any number of outcomes) is work a hostile settler would choose for us.
    let problems: string[]
    try {
      problems = termsProblems(r, terms)
    } catch {
      problems = ['its shape']
    }
    checks.push({
      name: 'terms',
      ok: problems.length === 0,
      detail: problems.length
        ? `differs from the market's in ${problems.join(', ')}; not re-executed`
        : 'the market’s',
    })
    if (problems.length) return checks
    checks.push(...(await recheckSettlement(value, model)))
    if (checks.every((c) => c.ok)) {
      const hash = hashJson(r.body)
      checks.push(
        {
          name: 'posted hash',
          ok: hash === p.receiptHash,
          detail:
            hash === p.receiptHash
              ? p.receiptHash
              : `the chain holds ${p.receiptHash}, the file hashes to ${hash}`,
        },
        {
          name: 'posted outcome',
          ok: r.body.outcome === p.outcome,
          detail:
            r.body.outcome === p.outcome
              ? String(p.outcome)
              : `the chain holds outcome ${p.outcome}, the receipt says ${r.body.outcome}`,
        },
        {
          name: 'posted producer',
          ok: r.body.producer === p.producer,
          detail:
            r.body.producer === p.producer
              ? p.producer
              : `the chain recovered ${p.producer}, the receipt names ${r.body.producer}`,
        },
      )
    }
  } catch (e) {
    checks.push({
      name: 'read',
      ok: false,
      detail: `cannot read the posted settlement (${(e as Error).message.split('\n')[0]})`,
    })
  }
  return checks
}

export async function challengeCommand(args: string[], given: string | undefined): Promise<number> {
  const access = await marketAccess(args)
  const ref = await marketRef(access, given)
  const [state, terms] = await Promise.all([readMarket(access.client, ref), readTerms(access.client, ref)])
  if (state.phase !== 'proposed')
    throw new MarketPhaseError(
      `The market is ${state.phase}; a settlement is challenged while proposed, within its challenge window.`,
    )
  const posted = state.proposal!.outcome
  const { model, settled, target } = await reexecuted(args, access, ref, terms)
  console.log(
    `posted: outcome ${posted} ${JSON.stringify(terms.outcomes[posted])}, receipt ${state.proposal!.receiptHash}`,
  )
  const checks = await postedChecks(args, access, ref, state, terms, model)
  for (const c of checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`)
  const holds = checks.every((c) => c.ok)
  let outcome = settled.outcome
  if (outcome === posted) {
    const why = holds
      ? `The settlement holds: re-execution gives outcome ${posted}, as posted.`
      : `The posted receipt fails the checks above, but its outcome, ${posted}, is re-execution's: a challenge must name another outcome, and would lose.`
    if (!args.includes('--force')) throw new SettlementHoldsError(`${why} Nothing was sent.`)
    outcome = outcomeIndex(flag(args, 'outcome'), terms.outcomes)
    if (outcome === posted)
      throw new UsageError('--force needs --outcome naming another outcome than the posted one')
    console.log(
      `--force: challenging with outcome ${outcome}, which re-execution does not give; the referee will rule against it`,
    )
  }
  const { wallet, token, bond } = await bonded(args, access, ref, 'Challenging (the bond)')
  const receipt = await signSettlement({ ...settled, outcome }, wallet.signer, target)
  written(receipt, args, `challenge-${ref.address}.json`)
  await ensureAllowance(access, wallet, token, ref.address, bond)
  const uri = receiptUri(receipt, flag(args, 'uri'))
  await sent(
    access,
    `challenge with outcome ${outcome}`,
    challengeMarket(wallet, access.client, ref, receipt, uri),
  )
  return 0
}
