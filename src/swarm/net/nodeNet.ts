// A Node peer's swarm network (`lockstep swarm`): Node has no WebRTC (node-datachannel's native build
// is not installed), so the peer holds one WebSocket connection to the relay and reaches everyone
// through it — gossip through the relay's mesh (scripts/relay.mjs joins every lockstep/ topic), blobs
// over relayed circuits (the blob protocol runs on limited connections, and the relay's per-circuit data
// limit is sized for a checkpoint). Tabs learn its circuit address from discovery, as it learns theirs.
import '../../../scripts/polyfill.mjs'
import { createLibp2p } from 'libp2p'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { WebSocket } from 'isows'
import { PING_TIMEOUT_MS } from '../../../scripts/relay.mjs'
import { RelayUnreachableError } from '../../errors/network.ts'
import { DISCOVERY_INTERVAL_MS, DISCOVERY_TOPIC, MAX_GOSSIP_BYTES } from './config.ts'
import { watchRelays } from './connect.ts'
import { Libp2pSwarmNet, type SwarmNode } from './libp2pNet.ts'

// Node 20 has no global WebSocket (Node 22 does); libp2p's dialer borrows `ws` through viem's isows.
// `ws` is an EventEmitter: an 'error' with no listener throws from the socket's callback. libp2p's dialer
// drops its listeners when a dial is aborted (the node stopping, a dial timeout) without closing the
// socket, so a refusal arriving afterwards would crash the process. The browser's WebSocket (and Node
// 22's) never throws for an unheard error; this one is made to behave the same.
type EmitterSocket = new (
  url: string | URL,
  protocols?: string | string[],
) => {
  on(event: 'error', listener: () => void): unknown
}
class QuietWebSocket extends (WebSocket as unknown as EmitterSocket) {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols)
    this.on('error', () => {})
  }
}
globalThis.WebSocket ??= QuietWebSocket as unknown as typeof globalThis.WebSocket

export interface NodeSwarmNet {
  net: Libp2pSwarmNet
  /** Whether the relay connection is up right now. */
  relayConnected(): boolean
  stop(): Promise<void>
}

async function createNodeNode(privateKey: PrivateKey): Promise<SwarmNode> {
  return createLibp2p({
    privateKey,
    // A slot on the relay, so tabs can open blob streams to us through it.
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    // Its own pings to the relay wait as long as the relay's do (scripts/relay.mjs): after seconds of
    // compute the answer sits unread while the ping's timer fires first, and the relay link would drop.
    connectionMonitor: { pingTimeout: { minTimeout: PING_TIMEOUT_MS } },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        maxInboundDataLength: MAX_GOSSIP_BYTES + 4096,
        globalSignaturePolicy: 'StrictSign',
      }),
    },
    peerDiscovery: [pubsubPeerDiscovery({ topics: [DISCOVERY_TOPIC], interval: DISCOVERY_INTERVAL_MS })],
  })
}

/**
 * Joins through `relays` (multiaddrs with /p2p/<id>); resolves once the first relay answered, or throws
 * RelayUnreachableError after `timeoutMs` (a Node peer without a relay reaches no one).
 */
export async function joinSwarmNetNode(
  relays: string[],
  {
    onError = (err: Error) => console.warn(err.message),
    timeoutMs = 20_000,
    privateKey,
  }: { onError?: (err: Error) => void; timeoutMs?: number; privateKey?: PrivateKey } = {},
): Promise<NodeSwarmNet> {
  if (relays.length === 0) throw new RelayUnreachableError('no relay given (--relay <multiaddr>)')
  const relayIds = new Set(relays.map((r) => r.split('/p2p/').pop() ?? r))
  // A fresh key unless the peer keeps one (`lockstep swarm --identity`, its id registered on chain).
  const node = await createNodeNode(privateKey ?? (await generateKeyPair('secp256k1')))
  const net = new Libp2pSwarmNet(node, { infrastructure: relayIds })
  await net.start()
  let lastError: Error | undefined
  const stopWatch = watchRelays(node, relays, (err) => onError((lastError = err)))
  const relayConnected = () => node.getConnections().some((c) => relayIds.has(c.remotePeer.toString()))
  const started = Date.now()
  while (!relayConnected()) {
    if (Date.now() - started > timeoutMs) {
      stopWatch()
      await node.stop()
      throw new RelayUnreachableError(`no relay answered at ${relays.join(', ')}`, { cause: lastError })
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    net,
    relayConnected,
    stop: async () => {
      stopWatch()
      await node.stop()
    },
  }
}
