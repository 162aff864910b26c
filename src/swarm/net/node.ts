// The page's libp2p node. It lives on the page, not in a worker: RTCPeerConnection exists only here.
import { createLibp2p } from 'libp2p'
import type { PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { webRTC } from '@libp2p/webrtc'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { DISCOVERY_INTERVAL_MS, DISCOVERY_TOPIC, MAX_GOSSIP_BYTES } from './config.ts'
import type { SwarmNode } from './libp2pNet.ts'

/**
 * `privateKey` is the node's identity. The page makes it secp256k1 (not libp2p's default Ed25519) so
 * the SwarmRegistry can check, with ecrecover, that whoever registers the peer id holds its key.
 */
export async function createBrowserNode(
  privateKey: PrivateKey,
  options: { observer?: boolean } = {},
): Promise<SwarmNode> {
  return createLibp2p({
    privateKey,
    // '/p2p-circuit' reserves a slot on the relay so peers can reach us; '/webrtc' lets them upgrade
    // that relayed connection to a direct one, signalling SDP through the relay. An observer is reached
    // by no one: it hears the swarm's gossip through the relay alone.
    addresses: { listen: options.observer ? [] : ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      // No STUN or TURN: on loopback and LANs host candidates suffice, and an offline machine has no
      // server to ask. A deployment across NATs would add its own STUN servers here.
      webRTC({ rtcConfiguration: { iceServers: [] } }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Browsers refuse loopback and private addresses by default; swarms on one machine or LAN need them.
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        // A lone first tab publishes before anyone listens; that is not an error for the protocol.
        allowPublishToZeroTopicPeers: true,
        // Larger frames are skipped before decoding, so an oversized message costs little.
        maxInboundDataLength: MAX_GOSSIP_BYTES + 4096,
        globalSignaturePolicy: 'StrictSign',
      }),
    },
    // Under `peerDiscovery`, not `services`: libp2p wires up discovery events only there.
    // An observer neither announces itself nor learns of peers to dial.
    peerDiscovery: options.observer
      ? []
      : [pubsubPeerDiscovery({ topics: [DISCOVERY_TOPIC], interval: DISCOVERY_INTERVAL_MS })],
  })
}
