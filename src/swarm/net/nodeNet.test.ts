// Node peers (`lockstep swarm`) reach each other only through a real relay: gossip through its mesh,
// a checkpoint-sized blob over a relayed circuit, and a clear error when no relay answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256 } from 'viem'
import { startRelay } from '../../../scripts/relay.mjs'
import { RelayUnreachableError } from '../../errors/network.ts'
import { joinSwarmNetNode, type NodeSwarmNet } from './nodeNet.ts'
import { isRelayed } from './libp2pNet.ts'

const topic = 'lockstep/test/node-peers'
let relay: Awaited<ReturnType<typeof startRelay>>
let a: NodeSwarmNet, b: NodeSwarmNet

beforeAll(async () => {
  relay = await startRelay({ port: 0 })
  ;[a, b] = await Promise.all([joinSwarmNetNode(relay.multiaddrs), joinSwarmNetNode(relay.multiaddrs)])
}, 60_000)
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  await relay?.stop()
})

describe('Node peers through the relay', () => {
  it('gossip between two Node peers passes through the relay', async () => {
    const got: string[] = []
    a.net.subscribe(topic, (m) => got.push(`${m.from}:${new TextDecoder().decode(m.data)}`))
    b.net.subscribe(topic, () => {})
    // Gossipsub needs a heartbeat or two to graft the relay into the topic's mesh.
    for (let i = 0; i < 100 && got.length === 0; i++) {
      await b.net.publish(topic, new TextEncoder().encode(`hello ${i}`))
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(got.length).toBeGreaterThan(0)
    expect(got[0].startsWith(`${b.net.self}:hello`)).toBe(true)
  }, 40_000)

  it('a checkpoint-sized blob crosses a relayed circuit', async () => {
    const blob = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 7919) % 251)
    const hash = keccak256(blob)
    b.net.provideBlobs((h) => (h === hash ? blob : undefined))
    const fetched = await a.net.fetchBlob(b.net.self, hash, 1 << 20)
    expect(keccak256(fetched)).toBe(hash)
    const links = a.net.node.getConnections().filter((c) => c.remotePeer.toString() === b.net.self)
    expect(links.length).toBeGreaterThan(0)
    expect(links.every(isRelayed)).toBe(true)
  }, 40_000)

  it('fetches go on past a circuit’s data limit: the relay cuts it, the next try opens a fresh one', async () => {
    const blob = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 31) % 253)
    const hash = keccak256(blob)
    b.net.provideBlobs((h) => (h === hash ? blob : undefined))
    // 8 × 600 kB is past RELAYED_DATA_LIMIT (4 MiB) on one circuit: one fetch is cut short on the way.
    for (let i = 0; i < 8; i++) expect(keccak256(await a.net.fetchBlob(b.net.self, hash, 1 << 20))).toBe(hash)
    expect(relay.metrics().relayedConnections).toBeGreaterThan(1)
  }, 60_000)

  it('no relay answering ends with RelayUnreachableError', async () => {
    const gone = relay.multiaddrs[0].replace(/\/tcp\/\d+\//, '/tcp/1/')
    await expect(joinSwarmNetNode([gone], { onError: () => {}, timeoutMs: 1500 })).rejects.toThrow(
      RelayUnreachableError,
    )
  }, 20_000)

  it('a refused WebSocket dial nobody listens to does not crash the process (libp2p drops aborted dials unclosed)', async () => {
    const uncaught: Error[] = []
    const record = (e: Error) => uncaught.push(e)
    process.on('uncaughtException', record)
    try {
      const socket = new globalThis.WebSocket('ws://127.0.0.1:1')
      await new Promise((r) => setTimeout(r, 300))
      expect(socket.readyState).toBe(WebSocket.CLOSED)
    } finally {
      process.off('uncaughtException', record)
    }
    expect(uncaught).toEqual([])
  })
})
