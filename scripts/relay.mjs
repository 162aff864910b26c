#!/usr/bin/env node
// The swarm's relay and bootstrap node: tabs reach it over WebSockets, reserve a circuit-relay slot on
// it, find each other through its gossipsub mesh and use relayed connections only to signal direct
// WebRTC connections. Run it standalone (`node scripts/relay.mjs [--port 9090]`), via startRelay(), or as
// `lockstep relay` on a server (src/cli/relay.ts: identity file, /metrics, graceful shutdown).
import './polyfill.mjs'
import { createLibp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { pathToFileURL } from 'node:url'

/** Topics the relay forwards: the app's (src/swarm/net/config.ts) and the discovery topic. */
const topicPrefixes = ['lockstep/']
export const discoveryTopic = 'lockstep/discovery/1'
/** Circuit relay v2: a tab asks the relay to connect it (hop); the relay opens a stop stream to the other. */
/** Bytes one relayed connection may carry before the relay closes it. */
export const RELAYED_DATA_LIMIT = 4n << 20n
const CIRCUIT_PROTOCOLS = ['/libp2p/circuit/relay/0.2.0/hop', '/libp2p/circuit/relay/0.2.0/stop']
/** The shortest wait for a ping's answer before a connection counts as dead (libp2p's default: 5 s). */
export const PING_TIMEOUT_MS = 30_000

/**
 * libp2p's metrics hook, used only to see each protocol stream as it opens: on the circuit streams the
 * relay splices together, the bytes it sends are counted (both ways, so each circuit's few bytes of
 * handshake too). Counted on send: a 'message' listener would take data the relay's handler has yet to
 * read, and stream middleware (`node.use`) re-runs an inbound handler once per earlier stream in libp2p
 * 3.3 (connection.js pushes the handler onto the registrar's own middleware array).
 * Every other metric libp2p registers goes to a no-op.
 * @param {{ relayedBytes: number, relayedConnections: number }} counted
 */
function circuitMetrics(counted) {
  /** @type {any} */
  const noop = new Proxy(() => {}, { get: (_, k) => (k === 'then' ? undefined : noop), apply: () => noop })
  return () => ({
    trackMultiaddrConnection() {},
    /** @param {any} stream */
    trackProtocolStream(stream) {
      if (!CIRCUIT_PROTOCOLS.includes(stream.protocol)) return
      if (stream.protocol === CIRCUIT_PROTOCOLS[1]) counted.relayedConnections++ // one stop stream per circuit
      const send = stream.send.bind(stream)
      stream.send = (/** @type {Uint8Array} */ data) => {
        counted.relayedBytes += data.byteLength
        return send(data)
      }
    },
    registerMetric: noop,
    registerMetricGroup: noop,
    registerCounter: noop,
    registerCounterGroup: noop,
    registerHistogram: noop,
    registerHistogramGroup: noop,
    registerSummary: noop,
    registerSummaryGroup: noop,
    traceFunction: (/** @type {string} */ _name, /** @type {any} */ fn) => fn,
    createTrace: () => undefined,
  })
}

/**
 * @typedef {{ peers: number, connections: number, reservations: number, relayedBytes: number,
 *   relayedConnections: number, gossipMessages: number, topics: number }} RelayMetrics
 */

/**
 * Starts a relay on `host:port` (port 0 picks a free one). Pass the same `privateKey` (protobuf bytes,
 * as returned) and port to restart it under the same address, so tabs reconnect without new config.
 * @param {{ port?: number, host?: string, privateKey?: Uint8Array, announce?: string[] }} [options]
 * @returns {Promise<{ multiaddrs: string[], port: number, peerId: string, privateKey: Uint8Array,
 *   peers(): string[], metrics(): RelayMetrics, stop(): Promise<void> }>}
 */
export async function startRelay({ port = 0, host = '127.0.0.1', privateKey, announce } = {}) {
  if (announce && !port) throw new Error('a relay that announces addresses needs a fixed port')
  // What an operator watches (lockstep relay's /metrics).
  const counted = { relayedBytes: 0, relayedConnections: 0, gossipMessages: 0 }
  const key = privateKey ? privateKeyFromProtobuf(privateKey) : await generateKeyPair('Ed25519')
  const node = await createLibp2p({
    privateKey: key,
    addresses: { listen: [`/ip4/${host}/tcp/${port}/ws`], ...(announce ? { announce } : {}) },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Tabs dial each other on loopback; the gater would otherwise refuse private addresses.
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: { maxConnections: 512 },
    // A peer busy computing is not gone: a Node peer on the CPU reference holds its event loop for
    // seconds at a time, and libp2p's default (no ping answer in 5 s) would drop it and its circuit
    // reservation, so no one could fetch its blobs. A closed socket still ends a connection at once.
    connectionMonitor: { pingTimeout: { minTimeout: PING_TIMEOUT_MS } },
    metrics: circuitMetrics(counted),
    services: {
      identify: identify(),
      ping: ping(),
      // Relayed connections keep libp2p's 2-minute limit but carry up to 4 MiB: enough to signal
      // WebRTC and for a Node peer (which has no WebRTC) to fetch an RL checkpoint for a spot check,
      // not enough to carry a weight-averaging swarm's model traffic through one machine.
      relay: circuitRelayServer({
        reservations: { maxReservations: 256, defaultDataLimit: RELAYED_DATA_LIMIT },
      }),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, maxInboundDataLength: 1 << 20 }),
      discovery: pubsubPeerDiscovery({ topics: [discoveryTopic], interval: 10_000, listenOnly: true }),
    },
  })
  const pubsub = node.services.pubsub
  // Join every app topic a tab subscribes to, so the relay forwards gossip for tabs that have no
  // direct link yet (gossipsub forwards only on topics it has a mesh for).
  pubsub.addEventListener('subscription-change', (e) => {
    for (const { topic, subscribe } of e.detail.subscriptions) {
      const ours = topicPrefixes.some((p) => topic.startsWith(p))
      if (subscribe && ours && !pubsub.getTopics().includes(topic)) pubsub.subscribe(topic)
    }
  })
  pubsub.addEventListener('message', () => counted.gossipMessages++)
  const multiaddrs = node.getMultiaddrs().map((ma) => ma.toString())
  // With announce, multiaddrs are the public addresses (a proxy's port), so the listening port is the one asked for.
  const bound = announce ? port : Number(/\/tcp\/(\d+)\//.exec(multiaddrs[0] ?? '')?.[1] ?? port)
  return {
    multiaddrs,
    port: bound,
    peerId: node.peerId.toString(),
    privateKey: privateKeyToProtobuf(key),
    /** Peer ids connected right now (tests check that tabs came back after a restart). */
    peers: () => node.getPeers().map((p) => p.toString()),
    metrics: () => ({
      peers: node.getPeers().length,
      connections: node.getConnections().length,
      reservations: node.services.relay.reservations.size,
      topics: pubsub.getTopics().length,
      ...counted,
    }),
    stop: () => node.stop(),
  }
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  const portArg = process.argv.indexOf('--port')
  const port = Number(portArg > 0 ? process.argv[portArg + 1] : (process.env.RELAY_PORT ?? 9090))
  const host = process.env.RELAY_HOST ?? '127.0.0.1'
  const relay = await startRelay({ port, host })
  console.log(`[lockstep] relay listening; point tabs at it with ?relay=${relay.multiaddrs[0]}`)
  for (const ma of relay.multiaddrs) console.log(ma)
  const stop = () => void relay.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
