#!/usr/bin/env node
// The local dev chain: anvil (from the npm package @foundry-rs/anvil) on loopback, with Lockstep's
// contracts deployed from anvil's first dev account. On a fresh chain that account's deployments land
// at fixed addresses (DEV_ADDRESSES), the ones the app defaults to (src/chain/config.ts).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { createPublicClient, createWalletClient, http, keccak256, parseAbi, toBytes } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { fileURLToPath } from 'node:url'
import { compileContracts } from './contracts.mjs'
import { DEV_GAME_CONTRACTS, DEV_MARKET_CONTRACTS, DEV_SETTLEMENT_CONTRACTS, deployAll } from './deploy.mjs'

/** anvil's first dev account: public knowledge, funded on every anvil chain, never on a real one. */
export const ANVIL_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
export const DEV_ADDRESSES = {
  receiptRegistry: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  swarmRegistry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  swarmCoordinator: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
  // The markets (DEV_MARKET_CONTRACTS), after the contracts above so that their addresses never move.
  testToken: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
  marketImplementation: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
  interimReferee: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
  marketFactory: '0x0165878A594ca255338adfa4d48449f69242Eb8F',
  // The dispute game (DEV_GAME_CONTRACTS), after the markets.
  referee: '0xa513E6E4b8f2a923D98304ec87F64353C4D5C853',
  refereeRows: '0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6',
  refereeNorm: '0x8A791620dd6260079BF849Dc5567aDC3F2FdC318',
  refereeGrad: '0x610178dA211FEF7D417bC0e6FeD39F05609AD788',
  gameOperands: '0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e',
  disputeGame: '0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0',
  // The trustless market referee and the factory whose markets it rules (DEV_SETTLEMENT_CONTRACTS), last.
  settlementReferee: '0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82',
  gameMarketFactory: '0x9A676e781A523b5d0C0e43731313A708CB607508',
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function waitForRpc(url, child, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}`)
    try {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      })
      if (r.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`anvil did not answer at ${url} within ${timeoutMs} ms`)
}

/**
 * Starts anvil on 127.0.0.1:`port` (a free one when 0) and returns its RPC URL and a stop(). A free port is
 * picked before anvil binds it, so another process can take it meanwhile, and a loaded machine can keep a
 * new anvil from answering for long: without a port given, a second anvil on a fresh port gets a second try.
 */
export async function startAnvil({ port = 0, chainId = 31337, blockTime } = {}) {
  const tries = port ? 1 : 2
  for (let i = 1; ; i++) {
    try {
      return await spawnAnvil({ port: port || (await freePort()), chainId, blockTime })
    } catch (e) {
      if (i === tries) throw e
      console.warn(`[chain] ${e.message}; starting another anvil on a fresh port`)
    }
  }
}

/**
 * The platform's anvil binary itself (@foundry-rs/anvil-<os>-<arch>), not the npm wrapper in
 * node_modules/.bin: the wrapper is a node process that spawns the binary, so killing it (as a failed
 * start does, with SIGKILL) would leave the real anvil running. The wrapper only where no binary
 * package matches this platform.
 */
function anvilBinary() {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch]
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform]
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  const candidate = new URL(`../node_modules/@foundry-rs/anvil-${os}-${arch}/bin/${exe}`, import.meta.url)
  if (arch && os && existsSync(candidate)) return fileURLToPath(candidate)
  return fileURLToPath(new URL('../node_modules/.bin/anvil', import.meta.url))
}

async function spawnAnvil({ port, chainId, blockTime }) {
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent']
  if (blockTime) args.push('--block-time', String(blockTime))
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'ignore', 'inherit'] })
  const rpcUrl = `http://127.0.0.1:${port}`
  try {
    await waitForRpc(rpcUrl, child)
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return { rpcUrl, port, chainId, stop }
}

/**
 * Deploys the registries, the coordinator, the markets and the dispute game (scripts/deploy.mjs, compiled
 * here by solc) with `key`; returns their addresses.
 * @returns {Promise<Record<keyof typeof DEV_ADDRESSES, `0x${string}`>>}
 */
export async function deployContracts(rpcUrl, { key = ANVIL_KEY_0, chainId = 31337 } = {}) {
  const { contracts } = compileContracts()
  const options = { account: privateKeyToAccount(key), chainId, artifacts: contracts }
  const deployed = await deployAll(rpcUrl, options)
  const markets = await deployAll(rpcUrl, { ...options, existing: deployed, contracts: DEV_MARKET_CONTRACTS })
  const game = await deployAll(rpcUrl, {
    ...options,
    existing: { ...deployed, ...markets },
    contracts: DEV_GAME_CONTRACTS,
  })
  const settlement = await deployAll(rpcUrl, {
    ...options,
    existing: { ...deployed, ...markets, ...game },
    contracts: DEV_SETTLEMENT_CONTRACTS,
  })
  return /** @type {Record<keyof typeof DEV_ADDRESSES, `0x${string}`>} */ ({
    ...deployed,
    ...markets,
    ...game,
    ...settlement,
  })
}

/** anvil plus deployed contracts: what `npm start` and the tests run against. */
export async function startChain(options = {}) {
  const node = await startAnvil(options)
  try {
    const contracts = await deployContracts(node.rpcUrl, { chainId: node.chainId })
    return { ...node, ...contracts }
  } catch (e) {
    await node.stop()
    throw e
  }
}

/** The page's default swarm (DEFAULT_SWARM_NAME in src/state/swarmParams.ts; src/state/relays.test.ts checks). */
export const DEV_SWARM_NAME = 'lockstep'

const coordinatorAbi = parseAbi([
  'function createSwarm(string name, uint256 stages, uint256 quorum) returns (bytes32)',
  'function swarmInfo(bytes32 swarm) view returns ((string name, address creator, uint256 round, uint256 stage, uint256 stageCount, uint256 quorum, uint256 peers, uint256 voters, uint256 bootnodes))',
  'function getBootnodes(bytes32 swarm) view returns (string[])',
  'function addBootnodes(bytes32 swarm, string[] multiaddrs)',
  'function updateStageAndRound(bytes32 swarm) returns (uint256 round, uint256 stage)',
])

/**
 * The dev chain's stage manager: moves the swarm `name` to its next stage every `everyMs` (the swarm's
 * creator, anvil's first key, holds the role). Reward claims are made in the current round and stage, so
 * on the dev chain each tab that claims does so once per period. Returns a function that stops it.
 * @param {{ rpcUrl: string, swarmCoordinator: `0x${string}` }} chain
 */
export function runStageManager(
  chain,
  { name = DEV_SWARM_NAME, everyMs = 30_000, key = ANVIL_KEY_0, log = () => {} } = {},
) {
  const transport = http(chain.rpcUrl, { retryCount: 0 })
  const wallet = createWalletClient({ account: privateKeyToAccount(key), transport })
  const swarm = keccak256(toBytes(name))
  const timer = setInterval(() => {
    const at = { address: chain.swarmCoordinator, abi: coordinatorAbi }
    wallet
      .writeContract({ ...at, functionName: 'updateStageAndRound', args: [swarm], chain: null })
      .catch((e) => log(`[chain] the stage manager could not advance "${name}": ${e.shortMessage ?? e}`))
  }, everyMs)
  return () => clearInterval(timer)
}

/**
 * Lists `multiaddrs` as relays of the swarm `name` on the coordinator (what `npm start` does with its
 * loopback relay, so that a tab with no ?relay= finds it on the chain): creates the swarm if absent (one
 * stage, quorum 1, the dev chain's defaults) and appends the addresses it does not list yet. `key` must hold
 * the swarm's bootnode-manager role (its creator does). Returns the swarm's list afterwards.
 * @param {{ rpcUrl: string, chainId: number, swarmCoordinator: `0x${string}` }} chain
 * @param {string[]} multiaddrs
 */
export async function listRelays(chain, multiaddrs, { name = DEV_SWARM_NAME, key = ANVIL_KEY_0 } = {}) {
  const transport = http(chain.rpcUrl, { retryCount: 0 })
  const account = privateKeyToAccount(key)
  const pub = createPublicClient({ transport })
  const wallet = createWalletClient({ account, transport })
  const swarm = keccak256(toBytes(name))
  const at = { address: chain.swarmCoordinator, abi: coordinatorAbi }
  const send = async (functionName, args) => {
    const hash = await wallet.writeContract({ ...at, functionName, args, chain: null })
    const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    if (receipt.status !== 'success') throw new Error(`${functionName} reverted (${hash})`)
  }
  const exists = await pub.readContract({ ...at, functionName: 'swarmInfo', args: [swarm] }).then(
    () => true,
    () => false, // NoSuchSwarm
  )
  if (!exists) await send('createSwarm', [name, 1n, 1n])
  const listed = await pub.readContract({ ...at, functionName: 'getBootnodes', args: [swarm] })
  const fresh = multiaddrs.filter((a, i) => !listed.includes(a) && multiaddrs.indexOf(a) === i)
  if (fresh.length) await send('addBootnodes', [swarm, fresh])
  return [...listed, ...fresh]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const chain = await startChain({ port: Number(process.env.CHAIN_PORT ?? 8545) })
  console.log(`[chain] anvil ${chain.rpcUrl} chainId ${chain.chainId}`)
  console.log(
    `[chain] ReceiptRegistry ${chain.receiptRegistry}, SwarmRegistry ${chain.swarmRegistry}, SwarmCoordinator ${chain.swarmCoordinator}`,
  )
  console.log(
    `[chain] MarketFactory ${chain.marketFactory}, TestToken ${chain.testToken} (collateral anyone mints)`,
  )
  console.log(`[chain] Referee ${chain.referee}, DisputeGame ${chain.disputeGame}`)
  console.log(
    `[chain] SettlementReferee ${chain.settlementReferee}, rules the markets of MarketFactory ${chain.gameMarketFactory}`,
  )
  const stop = () => chain.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
