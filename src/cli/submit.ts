// `lockstep submit register|attest|winners`: a Node peer's writes to the swarm coordinator, from a key
// the CLI holds (keys.ts; never echoed). Each prints its transaction, waits for it, and names a revert
// by the contract's custom error. `attest` sends only a verdict that re-executes (evidence.ts), from the
// address its attester peer is registered to, so a refusal costs no gas and a lie is not signed.
import { type Hex } from 'viem'
import {
  attest,
  proveForSwarm,
  readPeers,
  readSwarm,
  registerPeer,
  submitWinners,
  swarmId,
  type SwarmRef,
} from '../chain/coordinator.ts'
import { peerSigner } from '../chain/peerProof.ts'
import { NoSuchSwarmError, NotYourPeerError, PeerNotRegisteredError } from '../errors/chain.ts'
import { UsageError } from '../errors/cli.ts'
import { DEFAULT_SWARM_NAME } from '../state/swarmParams.ts'
import { flag, flags } from './args.ts'
import { chainAccess, type ChainAccess } from './coordinatorArgs.ts'
import { checkEvidence } from './evidence.ts'
import { DEFAULT_IDENTITY, peerIdentity } from './identity.ts'
import { sendingKey } from './keys.ts'
import { keyWallet } from './keyWallet.ts'

/** How long to wait for a transaction to be mined. */
const MINED_MS = 180_000

async function sent(chain: ChainAccess, what: string, tx: Promise<Hex>): Promise<number> {
  const hash = await tx
  console.log(`${what}: transaction ${hash}`)
  const receipt = await chain.client.waitForTransactionReceipt({ hash, timeout: MINED_MS })
  if (receipt.status !== 'success') {
    console.log(`✗ ${what}: the transaction reverted in block ${receipt.blockNumber}`)
    return 1
  }
  console.log(`✓ ${what}: mined in block ${receipt.blockNumber} (${receipt.gasUsed} gas)`)
  return 0
}

async function swarmRef(chain: ChainAccess, name: string): Promise<SwarmRef> {
  const ref = { ...chain.coordinator, swarm: swarmId(name) }
  if (!(await readSwarm(chain.client, ref)))
    throw new NoSuchSwarmError(
      `The coordinator at ${ref.address} on chain ${ref.config.chainId} has no swarm "${name}".`,
    )
  return ref
}

const session = async (args: string[], chain: ChainAccess) =>
  keyWallet(await sendingKey(args, chain.coordinator.config.chainId), chain.coordinator.config)

async function register(args: string[]): Promise<number> {
  const chain = await chainAccess(args)
  const ref = await swarmRef(chain, flag(args, 'name') ?? DEFAULT_SWARM_NAME)
  const file = flag(args, 'identity') ?? DEFAULT_IDENTITY
  const { key, created } = await peerIdentity(file)
  const peer = peerSigner(key)
  console.log(`peer ${peer.peerId} (identity ${file}${created ? ', new' : ''})`)
  const wallet = await session(args, chain)
  const proof = await proveForSwarm(peer, wallet.address, ref)
  return sent(chain, `register ${peer.peerId} to ${wallet.address}`, registerPeer(wallet, ref, proof))
}

async function attestCommand(args: string[]): Promise<number> {
  const file = flag(args, 'evidence')
  if (!file) throw new UsageError('submit attest takes --evidence FILE')
  if (!flag(args, 'rpc')) throw new UsageError('submit attest takes --rpc URL')
  const check = await checkEvidence(file, args, true)
  if (!check.ok || !check.evidence || !check.hash || !check.ref || !check.chain) {
    console.log('refusing to attest: the evidence does not hold (see ✗ above); nothing was sent')
    return 1
  }
  const { evidence: e, hash, ref, chain } = check
  const wallet = await session(args, chain)
  if (e.attester.address.toLowerCase() !== wallet.address.toLowerCase())
    throw new NotYourPeerError(
      `The evidence names attester ${e.attester.address}; this key is ${wallet.address}. Nothing was sent.`,
    )
  const [row] = await readPeers(chain.client, ref, [e.attester.peerId])
  if (BigInt(row.eoa) === 0n)
    throw new PeerNotRegisteredError(
      `The attester peer ${e.attester.peerId} is not registered in swarm "${e.swarm}": lockstep submit register first. Nothing was sent.`,
    )
  if (row.eoa.toLowerCase() !== wallet.address.toLowerCase())
    throw new NotYourPeerError(
      `The attester peer ${e.attester.peerId} is registered to ${row.eoa}, not to this key's ${wallet.address}. Nothing was sent.`,
    )
  const { round, stage, peerId } = e.claim
  const verdict = e.verdict.confirmed ? 'confirm' : 'refute'
  const call = {
    ...{ round, stage, claimant: peerId, attester: e.attester.peerId },
    ...{ confirmed: e.verdict.confirmed, evidenceHash: hash },
  }
  return sent(
    chain,
    `${verdict} ${peerId}'s claim for round ${round} stage ${stage}`,
    attest(wallet, ref, call),
  )
}

async function winners(args: string[]): Promise<number> {
  const round = Number(flag(args, 'round'))
  const named = flags(args, 'winner')
  const peerId = flag(args, 'peer')
  if (!Number.isSafeInteger(round) || round < 0) throw new UsageError('--round takes a round number')
  if (named.length === 0 || !peerId) throw new UsageError('submit winners takes --winner ID… and --peer ID')
  const chain = await chainAccess(args)
  const ref = await swarmRef(chain, flag(args, 'name') ?? DEFAULT_SWARM_NAME)
  const wallet = await session(args, chain)
  return sent(
    chain,
    `vote ${named.join(', ')} as round ${round}'s winners`,
    submitWinners(wallet, ref, { round, winners: named, peerId }),
  )
}

export async function submitCommand(args: string[], what: string | undefined): Promise<number> {
  const commands: Record<string, (args: string[]) => Promise<number>> = {
    register,
    attest: attestCommand,
    winners,
  }
  const run = what === undefined ? undefined : commands[what]
  if (!run) throw new UsageError(`submit ${what ?? ''}: register, attest or winners`)
  return run(args)
}
