// The swarm network for a page: start the libp2p node, reach the relay, discover peers and connect to
// them directly, and offer the result as a SwarmNet (../types.ts) for the round protocol.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { RelayUnreachableError } from '../../errors/network.ts'
import { peerSigner, type PeerSigner } from '../../chain/peerProof.ts'
import { firstRelay, type RelayNote } from './chainRelays.ts'
import { dialDiscovered, watchRelays } from './connect.ts'
import { isRelayed, Libp2pSwarmNet, type NetStats } from './libp2pNet.ts'
import { createBrowserNode } from './node.ts'

export { relayAddrs } from './config.ts'
export type { NetStats, RelayNote }

/**
 * Relays to use. `given` (?relay=, a built-in relay) are all dialled and redialled together; `listed` ones
 * (read from the chain, src/state/relays.ts) are tried one at a time in order and the first that answers
 * is kept, with a note for each skipped (`skipped` may arrive with entries the list check refused).
 */
export type RelayPlan =
  | { kind: 'given'; relays: string[] }
  | { kind: 'listed'; relays: string[]; skipped: RelayNote[]; source: string }

/** What the page shows about its network: `direct` peers are WebRTC links, `relayed` go through a relay. */
export interface NetStatus {
  self: string
  relay: 'connecting' | 'connected' | 'unreachable'
  /** The relay connection's address while connected. */
  relayAddr: string | null
  /** Where the relays came from ('?relay= or built in', or the coordinator and swarm they were read from). */
  relaySource: string
  /** Listed relays that were skipped, each with why. */
  relayNotes: RelayNote[]
  peers: { id: string; direct: boolean; addr: string }[]
  listening: string[]
  stats: NetStats
}

export interface BrowserSwarmNet {
  net: Libp2pSwarmNet
  /** Proves this node's peer id for an on-chain registration (src/chain/peerProof.ts); the key stays here. */
  peer: PeerSigner
  status(): NetStatus
  stop(): Promise<void>
}

/**
 * Joins the swarm through `relays` (multiaddrs with /p2p/<id>; see relayAddrs, or a RelayPlan). Resolves
 * once the node runs (and, for listed relays, one of them answered: RelayUnreachableError if none did);
 * the relay connection and peers come and go afterwards (see status()), errors go to onError.
 * @example const { net } = await joinSwarmNet(relayAddrs(location.search))
 */
export async function joinSwarmNet(
  relays: string[] | RelayPlan,
  onError: (err: Error) => void = (err) => console.warn(err),
  /**
   * `observer`: listen through the relay only — no direct connections, no announcement — so that the
   * swarm's members never count this node as one of them (the landing's live view).
   */
  options: { observer?: boolean } = {},
): Promise<BrowserSwarmNet> {
  const plan: RelayPlan = Array.isArray(relays) ? { kind: 'given', relays } : relays
  if (plan.kind === 'given' && plan.relays.length === 0)
    throw new RelayUnreachableError('no relay configured', {
      details: 'open the page with ?relay=<multiaddr> or build it with VITE_RELAY_ADDR set',
    })
  const key = await generateKeyPair('secp256k1')
  const node = await createBrowserNode(key, options)
  let watched = plan.relays
  let notes: RelayNote[] = []
  if (plan.kind === 'listed') {
    try {
      const dial = (addr: string, signal: AbortSignal) => node.dial(multiaddr(addr), { signal })
      const picked = await firstRelay(plan.relays, dial, { skipped: plan.skipped })
      watched = [picked.relay]
      notes = picked.skipped
    } catch (e) {
      await node.stop()
      throw e
    }
  }
  // Only the relays in use count as infrastructure (not swarm members): a list from the chain could name a
  // member's peer id at a dead address, and must not hide that member from this tab.
  const relayIds = new Set(watched.map((r) => r.split('/p2p/').pop() ?? r))
  const net = new Libp2pSwarmNet(node, { infrastructure: relayIds })
  await net.start()
  let lastRelayError: Error | undefined
  const stopRelays = watchRelays(node, watched, (err) => onError((lastRelayError = err)))
  const stopDialer = options.observer ? () => {} : dialDiscovered(node, onError)
  return {
    net,
    peer: peerSigner(key),
    status: () => {
      const connections = node.getConnections()
      const toRelay = connections.find((c) => relayIds.has(c.remotePeer.toString()))
      if (toRelay) lastRelayError = undefined
      return {
        self: net.self,
        relay: toRelay ? 'connected' : lastRelayError ? 'unreachable' : 'connecting',
        relayAddr: toRelay ? toRelay.remoteAddr.toString() : null,
        relaySource: plan.kind === 'listed' ? plan.source : '?relay= or built in',
        relayNotes: notes,
        peers: connections
          .filter((c) => !relayIds.has(c.remotePeer.toString()))
          .map((c) => ({
            id: c.remotePeer.toString(),
            direct: !isRelayed(c),
            addr: c.remoteAddr.toString(),
          })),
        listening: node.getMultiaddrs().map((a) => a.toString()),
        stats: net.stats,
      }
    },
    stop: async () => {
      stopRelays()
      stopDialer()
      await node.stop()
    },
  }
}
