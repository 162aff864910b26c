// The swarm's on-chain side (contracts/SwarmRegistry.sol): a peer binds its libp2p id to the visitor's
// address, and posts the model hash it ended each round with. Anyone can then map a gossiping peer to
// the address that answers for it, and compare round results. The page never sends these itself: it
// queues them (src/chain/queue.ts, jobs of the kinds below), and the queue sends each once, surviving
// reloads, rejections and RPC outages as receipt anchors do.
import type { Address, Hex, PublicClient } from 'viem'
import { swarmRegistryAbi } from './contracts/SwarmRegistry.ts'
import { walletClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { walletError, type WalletSession } from './wallet.ts'
import type { PeerProof, PeerSigner } from './peerProof.ts'

export const PEER_REGISTRATION = 'lockstep/peer-registration'
export const ROUND_RESULT = 'lockstep/round-result'

export interface RoundResultCall {
  round: number
  modelHash: Hex
  updatesRoot: Hex
  peerId: string
}

/** Where a write landed: its block, the block's time and the transaction. */
export interface Landed {
  blockNumber: bigint
  /** Seconds since the epoch. */
  timestamp: number
  txHash: Hex | null
}

/**
 * The peer key's proof that `eoa` may register it here. Made when the registration is queued: the key
 * lives in the page's libp2p node, and the proof (public, bound to this address, chain and registry) is
 * what the queue keeps.
 */
export function proveFor(peer: PeerSigner, eoa: Address, config: ChainConfig): Promise<PeerProof> {
  return peer.prove({ eoa, chainId: config.chainId, registry: config.swarmRegistry })
}

/** The address behind each peer id; the zero address for an unregistered one. */
export async function peerOwners(
  client: PublicClient,
  config: ChainConfig,
  peerIds: string[],
): Promise<readonly Address[]> {
  return client.readContract({
    address: config.swarmRegistry,
    abi: swarmRegistryAbi,
    functionName: 'getEoa',
    args: [peerIds],
  })
}

/** Sends `registerPeer` from the wallet; the registry checks the proof against the sender. */
export async function sendRegisterPeer(
  session: WalletSession,
  config: ChainConfig,
  proof: PeerProof,
): Promise<Hex> {
  try {
    return await walletClient(session.provider, session.address, config).writeContract({
      address: config.swarmRegistry,
      abi: swarmRegistryAbi,
      functionName: 'registerPeer',
      args: [proof.peerId, proof.publicKey, proof.r, proof.s],
    })
  } catch (e) {
    throw walletError(e, 'registering the peer')
  }
}

export async function sendRoundResult(
  session: WalletSession,
  config: ChainConfig,
  r: RoundResultCall,
): Promise<Hex> {
  try {
    return await walletClient(session.provider, session.address, config).writeContract({
      address: config.swarmRegistry,
      abi: swarmRegistryAbi,
      functionName: 'submitRoundResult',
      args: [BigInt(r.round), r.modelHash, r.updatesRoot, r.peerId],
    })
  } catch (e) {
    throw walletError(e, 'submitting the round result')
  }
}

/** The registration of `peerId` to `eoa`, or null when the registry does not hold it. */
export async function readRegistration(
  client: PublicClient,
  config: ChainConfig,
  peerId: string,
  eoa: Address,
): Promise<Landed | null> {
  const [owner] = await peerOwners(client, config, [peerId])
  if (owner.toLowerCase() !== eoa.toLowerCase()) return null
  const logs = await client.getContractEvents({
    address: config.swarmRegistry,
    abi: swarmRegistryAbi,
    eventName: 'PeerRegistered',
    args: { eoa },
    fromBlock: 0n,
  })
  const log = logs.find((l) => l.args.peerId === peerId)
  if (!log) return null // the RPC has not indexed it yet: asked again next pass
  const block = await client.getBlock({ blockNumber: log.blockNumber })
  return { blockNumber: log.blockNumber, timestamp: Number(block.timestamp), txHash: log.transactionHash }
}

/** `eoa`'s result for `round`, or null when it has posted none. */
export async function readRoundResult(
  client: PublicClient,
  config: ChainConfig,
  round: number,
  eoa: Address,
): Promise<Landed | null> {
  const result = await client.readContract({
    address: config.swarmRegistry,
    abi: swarmRegistryAbi,
    functionName: 'roundResult',
    args: [BigInt(round), eoa],
  })
  if (result.timestamp === 0n) return null
  const [log] = await client.getContractEvents({
    address: config.swarmRegistry,
    abi: swarmRegistryAbi,
    eventName: 'RoundResultSubmitted',
    args: { round: BigInt(round), eoa },
    fromBlock: 0n,
  })
  return {
    blockNumber: log?.blockNumber ?? 0n,
    timestamp: Number(result.timestamp),
    txHash: log?.transactionHash ?? null,
  }
}
