// What every `lockstep market` subcommand shares: the chain at --rpc and the factory on it, the market
// named on the command line (only one the factory made: a contract that merely looks like a market
// could quote one price and take another from an allowance), the collateral's units, the key's wallet,
// and sending a transaction and waiting for it. Reads time out in seconds, as the swarm commands' do.
import {
  createPublicClient,
  erc20Abi,
  formatUnits,
  getAddress,
  http,
  isAddress,
  zeroAddress,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { chainOf } from '../chain/client.ts'
import { DEV_CHAIN_ID, devChain, type ChainConfig } from '../chain/config.ts'
import { marketFactoryAbi } from '../chain/contracts/MarketFactory.ts'
import { walletError, type WalletSession } from '../chain/wallet.ts'
import { ChainConfigError, RevertedError } from '../errors/chain.ts'
import { UsageError } from '../errors/cli.ts'
import { InsufficientFundsError, MarketError, MarketFieldError } from '../errors/market.ts'
import { approveCollateral, type ContractRef } from '../markets/chain.ts'
import { chainIdAt } from './coordinatorArgs.ts'
import { flag } from './args.ts'
import { sendingKey } from './keys.ts'
import { keyWallet } from './keyWallet.ts'

const READ_TIMEOUT_MS = 5_000
/** How long to wait for a transaction to be mined. */
const MINED_MS = 180_000

export interface MarketAccess {
  client: PublicClient
  config: ChainConfig
  /** The factory whose markets these commands act on. */
  factory: ContractRef
}

function address(args: string[], name: string): Address | undefined {
  const v = flag(args, name)
  if (v === undefined) return undefined
  if (!isAddress(v, { strict: false })) throw new UsageError(`--${name} ${v} is not an address`)
  return getAddress(v)
}

/** The chain at --rpc (--chain-id, when given, must agree) and its factory: --factory, else the dev chain's. */
export async function marketAccess(args: string[]): Promise<MarketAccess> {
  const rpc = flag(args, 'rpc')
  if (!rpc || !/^https?:\/\//.test(rpc)) throw new UsageError('--rpc takes the chain’s http(s) JSON-RPC URL')
  const transport = http(rpc, { retryCount: 0, timeout: READ_TIMEOUT_MS })
  const chainId = await chainIdAt(rpc)
  const wanted = flag(args, 'chain-id')
  if (wanted !== undefined && Number(wanted) !== chainId)
    throw new ChainConfigError(`${rpc} serves chain ${chainId}, not ${wanted}.`)
  const onDev = chainId === DEV_CHAIN_ID
  const factory = address(args, 'factory') ?? (onDev ? devChain.marketFactory : undefined)
  if (!factory) throw new UsageError(`chain ${chainId} has no default market factory: pass --factory ADDR`)
  const collateral = address(args, 'collateral') ?? (onDev ? devChain.marketCollateral : undefined)
  // The registries are not used here: a market's receipts are signed for the registry it names itself.
  const config: ChainConfig = {
    chainId,
    name: onDev ? devChain.name : `Chain ${chainId}`,
    rpcUrl: rpc,
    receiptRegistry: zeroAddress,
    swarmRegistry: zeroAddress,
    marketFactory: factory,
    ...(collateral ? { marketCollateral: collateral } : {}),
  }
  // Polling a quarter second: anvil mines at once, a real chain takes seconds either way.
  const client = createPublicClient({ chain: chainOf(config), transport, pollingInterval: 250 })
  return { client: client as PublicClient, config, factory: { config, address: factory } }
}

/** The market ADDR (the subcommand's first positional), refused unless the factory made it. */
export async function marketRef(access: MarketAccess, given: string | undefined): Promise<ContractRef> {
  if (!given || !isAddress(given, { strict: false }))
    throw new UsageError(given ? `${given} is not an address` : 'name the market: ADDR')
  const market = getAddress(given)
  const made = await access.client
    .readContract({ ...access.factory, abi: marketFactoryAbi, functionName: 'isMarket', args: [market] })
    .catch((e: unknown) => {
      throw walletError(e, 'asking the factory')
    })
  if (!made)
    throw new MarketError(
      `${market} is not a market of the factory ${access.factory.address} on chain ${access.config.chainId}.`,
      { metaMessages: ['Pass --factory ADDR for markets of another factory.'] },
    )
  return { config: access.config, address: market }
}

export interface Token {
  address: Address
  symbol: string
  decimals: number
}

export async function tokenOf(client: PublicClient, token: Address): Promise<Token> {
  const at = { address: token, abi: erc20Abi } as const
  try {
    const [symbol, decimals] = await Promise.all([
      client.readContract({ ...at, functionName: 'symbol' }),
      client.readContract({ ...at, functionName: 'decimals' }),
    ])
    return { address: token, symbol, decimals }
  } catch (e) {
    throw new MarketError(`The collateral ${token} does not answer as an ERC-20 (symbol, decimals).`, {
      cause: walletError(e, 'reading the collateral'),
    })
  }
}

/** `12.5 LTD (12500000000000000000)`: decimal units and base units, both. */
export const units = (t: Token, x: bigint) => `${formatUnits(x, t.decimals)} ${t.symbol} (${x})`

/** A decimal amount of the token (`12.5`), in its base units; `name` is the flag it came from. */
export function parseUnitsOf(t: Token, text: string | undefined, name: string): bigint {
  const m = text === undefined ? null : /^(\d{1,40})(?:\.(\d+))?$/.exec(text)
  if (!m)
    throw new MarketFieldError(`--${name} takes a decimal amount of ${t.symbol}, e.g. 12.5 (got ${text}).`)
  const frac = m[2] ?? ''
  if (frac.length > t.decimals)
    throw new MarketFieldError(`--${name} ${text}: ${t.symbol} has ${t.decimals} decimals.`)
  return BigInt(m[1] + frac.padEnd(t.decimals, '0'))
}

/** The key's wallet on this chain (keys.ts: --keystore, $LOCKSTEP_KEY, --key, the dev key on the dev chain). */
export async function marketWallet(
  args: string[],
  access: MarketAccess,
): Promise<WalletSession & { signer: PrivateKeyAccount }> {
  const key = await sendingKey(args, access.config.chainId)
  return { ...keyWallet(key, access.config), signer: privateKeyToAccount(key) }
}

/** Waits for `tx`, prints it with its gas, and throws RevertedError when it reverted. */
export async function sent(access: MarketAccess, what: string, tx: Promise<Hex>) {
  const hash = await tx
  console.log(`${what}: transaction ${hash}`)
  const receipt = await access.client.waitForTransactionReceipt({ hash, timeout: MINED_MS })
  if (receipt.status !== 'success')
    throw new RevertedError(`${what}: the transaction reverted in block ${receipt.blockNumber}.`)
  console.log(`✓ ${what}: mined in block ${receipt.blockNumber} (${receipt.gasUsed} gas)`)
  return receipt
}

/** Refuses, before anything is sent, a wallet holding less than `need` of the collateral. */
export async function checkBalance(
  access: MarketAccess,
  t: Token,
  holder: Address,
  need: bigint,
  what: string,
) {
  const have = await access.client.readContract({
    address: t.address,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [holder],
  })
  if (have < need)
    throw new InsufficientFundsError(
      `${what} needs ${units(t, need)}; ${holder} holds ${units(t, have)}. Nothing was sent.`,
    )
}

/** Approves `spender` for exactly `need` when its allowance is short of it. */
export async function ensureAllowance(
  access: MarketAccess,
  wallet: WalletSession,
  t: Token,
  spender: Address,
  need: bigint,
) {
  const allowed = await access.client.readContract({
    address: t.address,
    abi: erc20Abi,
    functionName: 'allowance',
    args: [wallet.address, spender],
  })
  if (allowed >= need) return
  await sent(
    access,
    `approve ${spender} for ${units(t, need)}`,
    approveCollateral(wallet, access.config, t.address, spender, need),
  )
}
