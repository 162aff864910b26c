// The relay's counters against real libp2p nodes in Node: two peers reserve slots, one reaches the
// other through a relayed connection (the path tabs signal WebRTC over) and pings it; the relay counts
// the peers, the reservations, the circuit and its bytes, and still relays correctly while counting.
import { afterAll, describe, expect, it } from 'vitest'
import './polyfill.mjs'
import { createLibp2p, type Libp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { multiaddr } from '@multiformats/multiaddr'
// @ts-expect-error ws ships no types (and @types/ws is not installed for one test)
import { WebSocket } from 'ws'
import { startRelay } from './relay.mjs'

// Node 20 has no WebSocket global (22 does); the libp2p transport dials with it. `ws` is libp2p's own.
globalThis.WebSocket ??= WebSocket

const nodes: Libp2p<{ ping: Ping }>[] = []
let relay: Awaited<ReturnType<typeof startRelay>>
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  await relay?.stop()
})

const peer = () =>
  createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), ping: ping() },
  })

describe('relay metrics', () => {
  it('counts peers, reservations, circuits and relayed bytes while relaying', async () => {
    relay = await startRelay({ port: 0 })
    expect(relay.metrics()).toMatchObject({
      peers: 0,
      reservations: 0,
      relayedConnections: 0,
      relayedBytes: 0,
    })
    const [a, b] = await Promise.all([peer(), peer()])
    nodes.push(a, b)
    await Promise.all([a, b].map((n) => n.dial(multiaddr(relay.multiaddrs[0]))))
    await expect
      .poll(() => a.getMultiaddrs().find((m) => m.toString().includes('/p2p-circuit')), { timeout: 10_000 })
      .toBeDefined()
    await expect.poll(() => relay.metrics().reservations, { timeout: 10_000 }).toBe(2)
    const viaRelay = a.getMultiaddrs().find((m) => m.toString().includes('/p2p-circuit'))!
    const rtt = await b.services.ping.ping(viaRelay)
    expect(rtt).toBeGreaterThanOrEqual(0)
    const m = relay.metrics()
    expect(m.peers).toBe(2)
    expect(m.relayedConnections).toBe(1)
    // A ping is 32 bytes each way, inside noise and yamux framing, over the circuit.
    expect(m.relayedBytes).toBeGreaterThan(64)
  }, 30_000)
})
