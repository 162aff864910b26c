// The swarm's on-chain side (contracts/SwarmRegistry.sol): a peer binds its libp2p id to the visitor's
// address, and posts the model hash it ended each round with. Anyone can then map a gossiping peer to
// the address that answers for it, and compare round results.
import type { Address, Hex, PublicClient } from 'viem'
import { swarmRegistryAbi } from './contracts/SwarmRegistry.ts'
import { walletClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import { ensureChain, walletError, type WalletSession } from './wallet.ts'
import type { PeerSigner } from './peerProof.ts'

/**
 * Registers `peer` for the wallet's address (a no-op when already its own); waits for the block. The
 * peer's key signs (address, chain, registry) and the registry checks it, so only the key's holder
 * can register its id.
 */
export async function registerPeer(
  session: WalletSession,
  config: ChainConfig,
  client: PublicClient,
  peer: PeerSigner,
): Promise<Hex | null> {
  const [owner] = await peerOwners(client, config, [peer.peerId])
  if (owner.toLowerCase() === session.address.toLowerCase()) return null
  await ensureChain(session, config)
  const proof = await peer.prove({
    eoa: session.address,
    chainId: config.chainId,
    registry: config.swarmRegistry,
  })
  try {
    const hash = await walletClient(session.provider, session.address, config).writeContract({
      address: config.swarmRegistry,
      abi: swarmRegistryAbi,
      functionName: 'registerPeer',
      args: [proof.peerId, proof.publicKey, proof.r, proof.s],
    })
    await client.waitForTransactionReceipt({ hash })
    return hash
  } catch (e) {
    throw walletError(e, 'registering the peer')
  }
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

export async function submitRoundResult(
  session: WalletSession,
  config: ChainConfig,
  client: PublicClient,
  result: { round: number; modelHash: Hex; updatesRoot: Hex; peerId: string },
): Promise<Hex> {
  await ensureChain(session, config)
  try {
    const hash = await walletClient(session.provider, session.address, config).writeContract({
      address: config.swarmRegistry,
      abi: swarmRegistryAbi,
      functionName: 'submitRoundResult',
      args: [BigInt(result.round), result.modelHash, result.updatesRoot, result.peerId],
    })
    await client.waitForTransactionReceipt({ hash })
    return hash
  } catch (e) {
    throw walletError(e, 'submitting the round result')
  }
}
