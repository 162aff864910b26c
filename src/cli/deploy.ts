// `lockstep deploy`: Lockstep's contracts on a real chain, from a key that never appears on the command
// line ($LOCKSTEP_DEPLOY_KEY or a keystore), recorded in a JSON file that build-app reads. The deploy loop
// is scripts/deploy.mjs, the one `npm start` uses; the bytecode is the generated src/chain/contracts.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import {
  createPublicClient,
  formatEther,
  getAddress,
  http,
  isAddress,
  isHex,
  zeroAddress,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { CONTRACTS, deployAll, marketContracts } from '../../scripts/deploy.mjs'
import { receiptRegistryAbi, receiptRegistryBytecode } from '../chain/contracts/ReceiptRegistry.ts'
import { swarmRegistryAbi, swarmRegistryBytecode } from '../chain/contracts/SwarmRegistry.ts'
import { swarmCoordinatorAbi, swarmCoordinatorBytecode } from '../chain/contracts/SwarmCoordinator.ts'
import { marketAbi, marketBytecode } from '../chain/contracts/Market.ts'
import { marketFactoryAbi, marketFactoryBytecode } from '../chain/contracts/MarketFactory.ts'
import { interimRefereeAbi, interimRefereeBytecode } from '../chain/contracts/InterimReferee.ts'
import { testTokenAbi, testTokenBytecode } from '../chain/contracts/TestToken.ts'
import { flag } from './args.ts'
import { decryptKeystore } from './keystore.ts'
import { askHidden } from './keys.ts'
import { DeployError, UsageError } from '../errors/cli.ts'

/** Compiled contracts by name; a contract added to CONTRACTS (scripts/deploy.mjs) is added here too. */
const artifacts = {
  ReceiptRegistry: { abi: receiptRegistryAbi, bytecode: receiptRegistryBytecode },
  SwarmRegistry: { abi: swarmRegistryAbi, bytecode: swarmRegistryBytecode },
  SwarmCoordinator: { abi: swarmCoordinatorAbi, bytecode: swarmCoordinatorBytecode },
  Market: { abi: marketAbi, bytecode: marketBytecode },
  InterimReferee: { abi: interimRefereeAbi, bytecode: interimRefereeBytecode },
  MarketFactory: { abi: marketFactoryAbi, bytecode: marketFactoryBytecode },
  TestToken: { abi: testTokenAbi, bytecode: testTokenBytecode },
}

/** An address flag that must be given on purpose: not missing, not malformed, not zero. */
function role(args: string[], name: string, what: string): Address {
  const v = flag(args, name)
  if (v === undefined) throw new UsageError(`--markets needs --${name} ADDRESS (${what})`)
  if (!isAddress(v, { strict: false }) || getAddress(v) === zeroAddress)
    throw new UsageError(`--${name} ${v} is not an account address`)
  return getAddress(v)
}

/**
 * The market contracts to deploy (`--markets`), with the roles a real chain chooses on purpose: the
 * treasury (the protocol's fee share) and the interim referee's owner (docs/markets.md), and a TestToken
 * for a testnet's collateral with `--test-token`.
 */
function marketPlan(args: string[]) {
  if (!args.includes('--markets')) return { contracts: [], roles: undefined }
  const roles = {
    treasury: role(args, 'treasury', 'the account that receives the protocol’s share of trading fees'),
    refereeOwner: role(args, 'referee-owner', 'the account that rules disputed settlements, a multisig'),
  }
  const token = args.includes('--test-token') ? [{ name: 'TestToken', key: 'testToken', args: () => [] }] : []
  return { contracts: [...token, ...marketContracts(roles)], roles }
}

/** A rerun keeps what is deployed: refused if the factory there has other roles than the flags ask. */
async function checkRoles(
  client: PublicClient,
  contracts: Record<string, Address>,
  roles: { treasury: Address; refereeOwner: Address },
): Promise<void> {
  const factory = { address: contracts.marketFactory, abi: marketFactoryAbi } as const
  const treasury = await client.readContract({ ...factory, functionName: 'treasury' })
  const referee = await client.readContract({ ...factory, functionName: 'referee' })
  const owner = await client.readContract({ address: referee, abi: interimRefereeAbi, functionName: 'owner' })
  if (getAddress(treasury) !== roles.treasury || getAddress(owner) !== roles.refereeOwner)
    throw new DeployError(
      `the MarketFactory at ${factory.address} has treasury ${treasury} and referee owner ${owner}, not the ones asked: it stays (name another --out to deploy anew)`,
    )
}

/** What deploy writes and build-app --contracts reads. */
export interface Deployments {
  chainId: number
  deployer: Address
  contracts: Record<string, Address>
  transactions: Record<string, Hex>
}

async function deployerKey(args: string[]): Promise<Hex> {
  const file = flag(args, 'keystore')
  if (file) {
    const password = process.env.LOCKSTEP_KEYSTORE_PASSWORD ?? (await askHidden(`password for ${file}: `))
    return decryptKeystore(readFileSync(file, 'utf8'), password)
  }
  const key = process.env.LOCKSTEP_DEPLOY_KEY
  if (!key) throw new UsageError('no key: set LOCKSTEP_DEPLOY_KEY or pass --keystore FILE')
  if (!isHex(key) || key.length !== 66)
    throw new DeployError('LOCKSTEP_DEPLOY_KEY must be 0x and 64 hex digits')
  return key
}

function readDeployments(file: string, chainId: number): Deployments | undefined {
  if (!existsSync(file)) return undefined
  const d = JSON.parse(readFileSync(file, 'utf8')) as Deployments
  if (d.chainId !== chainId)
    throw new DeployError(`${file} records chain ${d.chainId}, not ${chainId}: name another --out`)
  return d
}

export async function deployCommand(args: string[]): Promise<number> {
  if (args.includes('--key'))
    throw new UsageError(
      'deploy takes no --key (a key on the command line lands in shell history and ps): set LOCKSTEP_DEPLOY_KEY or pass --keystore FILE',
    )
  const rpc = flag(args, 'rpc')
  if (!rpc || !/^https?:\/\//.test(rpc)) throw new UsageError('--rpc takes the chain’s http(s) JSON-RPC URL')
  const out = flag(args, 'out') ?? 'deployments.json'
  const account = privateKeyToAccount(await deployerKey(args))
  const client = createPublicClient({ transport: http(rpc) })
  const chainId = await client.getChainId()
  const wanted = flag(args, 'chain-id')
  if (wanted !== undefined && Number(wanted) !== chainId) {
    console.error(`${rpc} serves chain ${chainId}, not ${wanted}`)
    return 1
  }
  const markets = marketPlan(args)
  const contracts = [...CONTRACTS, ...markets.contracts]
  const previous = readDeployments(out, chainId)
  const existing = previous?.contracts ?? {}
  const balance = await client.getBalance({ address: account.address })
  console.log(`deploying to chain ${chainId} from ${account.address} (balance ${formatEther(balance)})`)
  const todo = contracts.filter((c) => !existing[c.key])
  if (todo.length && balance === 0n) {
    console.error(`${account.address} has nothing to pay gas with on chain ${chainId}`)
    return 1
  }
  const record: Deployments = {
    chainId,
    deployer: account.address,
    // What an earlier run recorded stays (a rerun without --markets keeps the markets' addresses).
    contracts: { ...existing },
    transactions: { ...previous?.transactions },
  }
  const save = () => {
    // Written whole, then renamed: an interrupted run leaves the last complete record.
    writeFileSync(`${out}.tmp`, JSON.stringify(record, null, 2) + '\n')
    renameSync(`${out}.tmp`, out)
  }
  await deployAll(rpc, {
    account,
    chainId,
    artifacts,
    existing,
    contracts,
    onDeployed: (key, address, tx) => {
      record.contracts[key] = getAddress(address)
      if (tx) record.transactions[key] = tx
      console.log(`${key}: ${address} ${tx ? `(transaction ${tx})` : '(already deployed)'}`)
      save()
    },
  })
  if (markets.roles) await checkRoles(client, record.contracts, markets.roles)
  console.log(
    `wrote ${out}; next: lockstep build-app --relay <relay address> --rpc <public RPC URL> --contracts ${out}`,
  )
  return 0
}
