// Every refusal of the market contracts, each by its custom error, as eth_calls against anvil; the last
// test fails when the Market ABI gains an error this file does not reach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  encodeDeployData,
  http,
  keccak256,
  maxUint256,
  parseEventLogs,
  toHex,
  zeroAddress,
  zeroHash,
  type Abi,
  type Address,
  type Hex,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { startAnvil, ANVIL_KEY_0 } from '../../scripts/chain.mjs'
import { interimRefereeAbi } from '../chain/contracts/InterimReferee.ts'
import { marketAbi } from '../chain/contracts/Market.ts'
import { marketFactoryAbi, marketFactoryBytecode } from '../chain/contracts/MarketFactory.ts'
import { testTokenAbi } from '../chain/contracts/TestToken.ts'
import { deployMarkets, signReceiptHash, travel, type MarketDeployment } from './testing.ts'

const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
const keys = { creator: generatePrivateKey(), alice: generatePrivateKey(), judge: generatePrivateKey() }
const addr = (k: Hex) => privateKeyToAccount(k).address
let node: Awaited<ReturnType<typeof startAnvil>>
let d: MarketDeployment
const covered = new Set<string>()

beforeAll(async () => {
  node = await startAnvil()
  d = await deployMarkets(node.rpcUrl, ANVIL_KEY_0, {
    registry: REGISTRY,
    treasury: addr(ANVIL_KEY_0),
    refereeOwner: addr(keys.judge),
  })
  for (const key of Object.values(keys)) {
    await client().request({
      method: 'anvil_setBalance' as never,
      params: [addr(key), toHex(10n ** 22n)] as never,
    })
    await send(key, d.token, testTokenAbi, 'mint', [addr(key), 10n ** 30n])
    await send(key, d.token, testTokenAbi, 'approve', [d.factory, maxUint256])
  }
}, 60_000)
afterAll(() => node?.stop())

const client = () => createPublicClient({ chain: foundry, transport: http(node.rpcUrl) })
async function send(key: Hex, address: Address, abi: Abi, functionName: string, args: unknown[] = []) {
  const w = createWalletClient({
    account: privateKeyToAccount(key),
    chain: foundry,
    transport: http(node.rpcUrl),
  })
  const hash = await w.writeContract({ address, abi, functionName, args } as never)
  const r = await client().waitForTransactionReceipt({ hash, pollingInterval: 20 })
  expect(r.status).toBe('success')
  return r
}
/** Market errors surface through the factory and the referee too, so every call knows them. */
const withMarketErrors = (abi: Abi) => [...abi, ...marketAbi.filter((x) => x.type === 'error')] as Abi

/** The call, as `key`, is refused with the error `name`. */
async function refused(
  name: string,
  key: Hex,
  address: Address,
  abi: Abi,
  functionName: string,
  args: unknown[] = [],
) {
  const e = await client()
    .simulateContract({
      account: addr(key),
      address,
      abi: withMarketErrors(abi),
      functionName,
      args,
    } as never)
    .then(
      () => null,
      (x: unknown) => x,
    )
  const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null
  expect(
    revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : e,
    `${functionName} → ${name}`,
  ).toBe(name)
  covered.add(name)
}

const config = (over: Record<string, unknown> = {}) => ({
  collateral: d.token,
  k: 1n,
  feeBps: 200n,
  creatorFeeBps: 150n,
  liquidity: 100n * 10n ** 18n,
  deposit: 10n ** 18n,
  bond: 10n ** 18n,
  tradingWindow: 120n,
  settlementWindow: 3600n,
  challengeWindow: 600n,
  ...over,
})
const terms = (over: Record<string, unknown> = {}) => ({
  question: 'Q?',
  category: 'c',
  outcomes: ['A', 'B'],
  modelHash: keccak256(toHex('model')),
  modelUri: 'u',
  inputHash: keccak256(toHex('input')),
  inputUri: 'u',
  rule: 'lockstep/outcome-logit-sum/1',
  ...over,
})
const create = (name: string, c: Record<string, unknown>, t: Record<string, unknown> = {}) =>
  refused(name, keys.creator, d.factory, marketFactoryAbi, 'createMarket', [config(c), terms(t)])

async function newMarket(): Promise<Address> {
  const r = await send(keys.creator, d.factory, marketFactoryAbi, 'createMarket', [config(), terms()])
  const [log] = parseEventLogs({ abi: marketFactoryAbi, eventName: 'MarketCreated', logs: r.logs })
  for (const key of Object.values(keys))
    await send(key, d.token, testTokenAbi, 'approve', [log.args.market, maxUint256])
  return log.args.market
}

describe('market refusals', () => {
  it('refuses every out-of-bounds creation by name', async () => {
    await create('ZeroAddress', { collateral: zeroAddress })
    await create('BadOutcomeCount', {}, { outcomes: ['A'] })
    await create('BadOutcomeCount', {}, { outcomes: Array.from({ length: 21 }, (_, i) => `o${i}`) })
    await create('BadOutcome', {}, { outcomes: ['A', ''] })
    await create('BadOutcome', {}, { outcomes: ['A', 'x'.repeat(91)] })
    await create('DuplicateOutcome', {}, { outcomes: ['A', 'B', 'A'] })
    await create('EmptyQuestion', {}, { question: '' })
    await create('TextTooLong', {}, { question: 'q'.repeat(513) })
    await create('EmptyCommitment', {}, { modelHash: zeroHash })
    await create('EmptyCommitment', {}, { inputHash: zeroHash })
    await create('EmptyCommitment', {}, { rule: '' })
    await create('BadK', { k: 0n })
    await create('BadK', { k: 101n })
    await create('BadFee', { feeBps: 49n, creatorFeeBps: 0n })
    await create('BadFee', { feeBps: 501n })
    await create('BadFee', { feeBps: 100n, creatorFeeBps: 101n })
    await create('BadTradingWindow', { tradingWindow: 119n })
    await create('BadTradingWindow', { tradingWindow: 365n * 86400n + 1n })
    await create('BadSettlementWindow', { settlementWindow: 3599n })
    await create('BadSettlementWindow', { settlementWindow: 86401n })
    await create('BadChallengeWindow', { challengeWindow: 599n })
    await create('BadChallengeWindow', { challengeWindow: 7n * 86400n + 1n })
    await create('ZeroBond', { bond: 0n })
    await create('DepositTooLarge', { deposit: 100n * 10n ** 18n })
    await create('LiquidityTooSmall', { k: 100n, liquidity: 3n, deposit: 0n })
    await create('LiquidityTooLarge', { liquidity: 2n ** 112n + 1n, deposit: 0n })
    // The implementation, and a market once made, cannot be initialized again (by anyone).
    const init = [addr(keys.alice), config(), terms(), REGISTRY, zeroAddress, zeroAddress]
    await refused('AlreadyInitialized', keys.alice, d.implementation, marketAbi, 'initialize', init)
    await refused('AlreadyInitialized', keys.alice, await newMarket(), marketAbi, 'initialize', init)
    // The factory needs every address it fixes.
    const data = encodeDeployData({
      abi: marketFactoryAbi,
      bytecode: marketFactoryBytecode,
      args: [d.implementation, REGISTRY, zeroAddress, d.referee],
    })
    const e = await client()
      .call({ data })
      .catch((x: unknown) => String(x))
    expect(e).toContain('0xd92e233d') // ZeroAddress()
  }, 60_000)

  it('refuses bad trades, settlements, rulings and payouts by name, phase by phase', async () => {
    const m = await newMarket()
    const at = [m, marketAbi] as const
    await send(keys.alice, m, marketAbi, 'buy', [0n, 10n ** 18n, maxUint256])
    await refused('NoSuchOutcome', keys.alice, ...at, 'buy', [2n, 1n, maxUint256])
    await refused('ZeroShares', keys.alice, ...at, 'buy', [0n, 0n, maxUint256])
    await refused('SupplyTooLarge', keys.alice, ...at, 'buy', [0n, 2n ** 112n, maxUint256])
    await refused('CostAboveMax', keys.alice, ...at, 'buy', [0n, 10n ** 18n, 1n])
    await refused('ProceedsBelowMin', keys.alice, ...at, 'sell', [0n, 10n ** 18n, maxUint256])
    await refused('ERC6909InsufficientBalance', keys.alice, ...at, 'sell', [0n, 10n ** 18n + 1n, 0n])
    await refused('ERC6909InsufficientBalance', keys.creator, ...at, 'sell', [1n, 1n, 0n]) // the seed is not for sale
    await refused('SupplyTooLarge', keys.alice, ...at, 'costOf', [1n, [2n ** 112n + 1n, 0n]])
    await refused('BadK', keys.alice, ...at, 'costOf', [0n, [1n, 1n]])
    await refused('BadOutcomeCount', keys.alice, ...at, 'costOf', [1n, Array<bigint>(21).fill(1n)])

    const hash = keccak256(toHex('receipt'))
    const sig = await signReceiptHash(keys.creator, hash, REGISTRY)
    await refused('NotCreator', keys.alice, ...at, 'settle', [0n, hash, '', sig])
    await refused('WrongPhase', keys.creator, ...at, 'settle', [0n, hash, '', sig]) // still open
    await refused('WrongPhase', keys.alice, ...at, 'challenge', [1n, hash, '', sig])
    await refused('NotReferee', keys.alice, ...at, 'rule', [true])
    await refused('WrongPhase', keys.judge, d.referee, interimRefereeAbi, 'rule', [m, true])
    await refused('NotOwner', keys.alice, d.referee, interimRefereeAbi, 'rule', [m, true])
    await refused('WrongPhase', keys.alice, ...at, 'liquidate')
    await refused('WrongPhase', keys.alice, ...at, 'redeem')
    await refused('NothingToWithdraw', keys.alice, ...at, 'withdraw')

    await travel(node.rpcUrl, 120)
    await refused('TradingClosed', keys.alice, ...at, 'buy', [0n, 1n, maxUint256])
    await refused('TradingClosed', keys.alice, ...at, 'sell', [0n, 1n, 0n])
    await refused('EmptyReceiptHash', keys.creator, ...at, 'settle', [0n, zeroHash, '', sig])
    await refused('BadReceiptSignature', keys.creator, ...at, 'settle', [
      0n,
      hash,
      '',
      `0x${'11'.repeat(64)}`,
    ])
    await refused('NoSuchOutcome', keys.creator, ...at, 'settle', [2n, hash, '', sig])
    await refused('NotLiquidatable', keys.alice, ...at, 'liquidate')

    const other = await newMarket()
    await travel(node.rpcUrl, 120)
    await send(keys.creator, other, marketAbi, 'settle', [0n, hash, '', sig])
    await refused('SameOutcome', keys.alice, other, marketAbi, 'challenge', [0n, hash, '', sig])
    await refused('WrongPhase', keys.creator, other, marketAbi, 'settle', [1n, hash, '', sig])

    await travel(node.rpcUrl, 3600)
    await refused('SettlementWindowOver', keys.creator, ...at, 'settle', [0n, hash, '', sig])
    await send(keys.alice, m, marketAbi, 'liquidate')
    await refused('NothingToRedeem', keys.judge, ...at, 'redeem')
  }, 60_000)

  it('reaches every error in the Market ABI but OpenZeppelin’s own (its ERC-6909 transfers, SafeERC20)', () => {
    const openZeppelins = (n: string) =>
      n.startsWith('ERC6909Invalid') ||
      ['ERC6909InsufficientAllowance', 'SafeERC20FailedOperation'].includes(n)
    const names = marketAbi.filter((x) => x.type === 'error').map((x) => x.name)
    const missing = names.filter((n) => !covered.has(n) && !openZeppelins(n))
    expect(missing).toEqual([])
  })
})
