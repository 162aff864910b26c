// Libp2pSwarmNet between real libp2p nodes in Node (WebSockets on loopback instead of WebRTC): the
// SwarmNet conformance suite (which the in-memory net runs too), then what is libp2p's own — gossip
// bounds and counters, the blob protocol against peers that lie or stall.
import '../../../scripts/polyfill.mjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLibp2p } from 'libp2p'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { keccak256, type Hex } from 'viem'
import { WebSocket } from 'isows'
import { discoveryTopic } from '../../../scripts/relay.mjs'
import { swarmNetConformance } from '../netConformance.ts'
import { BLOB_PROTOCOL, DISCOVERY_TOPIC } from './config.ts'
import { Libp2pSwarmNet, type SwarmNode } from './libp2pNet.ts'

// Node 20 has no global WebSocket (Node 22 does); the dialing side borrows `ws` through viem's isows.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

async function node(listen: boolean): Promise<SwarmNode> {
  return createLibp2p({
    privateKey: await generateKeyPair('secp256k1'), // the page's identity type (node.ts)
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0/ws'] : [] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) },
  })
}

let a: Libp2pSwarmNet, b: Libp2pSwarmNet, liar: SwarmNode
const blob = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251) // several chunks
const blobHash = keccak256(blob)
const until = async (cond: () => boolean, what = 'a condition') => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 100))
  expect(cond(), what).toBe(true)
}

// A hub that listens and two nodes that dial it (the second forwards to the third through it).
swarmNetConformance(
  'Libp2pSwarmNet',
  async () => {
    const [a, b, c] = [
      new Libp2pSwarmNet(await node(true)),
      new Libp2pSwarmNet(await node(false)),
      new Libp2pSwarmNet(await node(false)),
    ]
    await Promise.all([a, b, c].map((n) => n.start()))
    await Promise.all([b, c].map((n) => n.node.dial(a.node.getMultiaddrs()[0])))
    const stranger = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    return {
      nets: [a, b, c],
      stranger,
      leave: async (net) => (net as Libp2pSwarmNet).node.stop(),
      eventually: until,
      close: async () => void (await Promise.all([a, b, c].map((n) => n.node.stop()))),
    }
  },
  120_000, // three nodes and their dials: seconds idle, much longer on a loaded 2-core CI machine
)

beforeAll(async () => {
  a = new Libp2pSwarmNet(await node(true))
  b = new Libp2pSwarmNet(await node(false), { maxGossipBytes: 1 << 20 }) // b may send more than a accepts
  liar = await node(true)
  await Promise.all([a.start(), b.start()])
  await b.node.dial(a.node.getMultiaddrs()[0])
  await liar.dial(a.node.getMultiaddrs()[0])
  await b.node.dial(liar.getMultiaddrs()[0])
  a.provideBlobs((h) =>
    h === blobHash ? blob : h === keccak256(new Uint8Array([1])) ? new Uint8Array([2]) : undefined,
  )
  // A peer that announces 4 bytes and sends 8, or (asked for hash 0xff…) never answers.
  await liar.handle(BLOB_PROTOCOL, async (stream) => {
    for await (const chunk of stream) if (chunk.subarray()[0] === 0xff) return
    stream.send(new Uint8Array([0, 0, 0, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8]))
    await stream.close()
  })
}, 120_000) // three nodes and their dials: seconds idle, much longer on a loaded 2-core CI machine
afterAll(async () => Promise.all([a.node.stop(), b.node.stop(), liar.stop()]))

describe('Libp2pSwarmNet', () => {
  it('uses the discovery topic the relay forwards', () => expect(DISCOVERY_TOPIC).toBe(discoveryTopic))

  it('delivers signed gossip with the authenticated sender; drops oversized; survives a throwing handler', async () => {
    const got: { from: string; text: string }[] = []
    a.subscribe('lockstep/t', () => {
      throw new Error('a buggy handler')
    })
    const off = a.subscribe('lockstep/t', ({ from, data }) =>
      got.push({ from, text: new TextDecoder().decode(data) }),
    )
    b.subscribe('lockstep/t', () => {})
    await until(() => b.peers('lockstep/t').includes(a.self))
    await b.publish('lockstep/t', new Uint8Array(300 * 1024)) // over a's 256 KiB bound
    await b.publish('lockstep/t', new TextEncoder().encode('hello'))
    await until(() => got.length === 1)
    expect(got).toEqual([{ from: b.self, text: 'hello' }])
    expect(a.stats.dropped.oversized).toBe(1)
    expect(a.stats.dropped.handlerErrors).toBe(1)
    await expect(a.publish('lockstep/t', new Uint8Array(300 * 1024))).rejects.toThrow(/exceeds/)
    off()
  })

  it('fetches a multi-chunk blob by hash and verifies it', async () => {
    const bytes = await b.fetchBlob(a.self, blobHash, blob.byteLength)
    expect(keccak256(bytes)).toBe(blobHash)
    expect(b.stats.blobBytesIn).toBe(blob.byteLength)
  })

  it('refuses blobs that are missing, too large, wrongly hashed or overlong', async () => {
    await expect(b.fetchBlob(a.self, keccak256(new Uint8Array([9])), 10)).rejects.toThrow(/does not have/)
    await expect(b.fetchBlob(a.self, blobHash, 1000)).rejects.toThrow(/larger than the 1000 bytes/)
    // a serves [2] under the hash of [1]: the asker checks the content.
    await expect(b.fetchBlob(a.self, keccak256(new Uint8Array([1])), 10)).rejects.toThrow(/does not hash/)
    await expect(b.fetchBlob(liar.peerId.toString(), blobHash, 10)).rejects.toThrow(/more than it announced/)
  })

  it('survives malformed requests and gives up on a stalled fetch', async () => {
    const stream = await liar.dialProtocol(a.node.peerId, BLOB_PROTOCOL)
    stream.send(new Uint8Array([1, 2, 3]))
    await stream.close()
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toThrow(/reset/) // a hung up
    await until(() => a.stats.dropped.badBlobRequests === 1)
    const stalled: Hex = `0x${'ff'.repeat(32)}`
    await expect(b.fetchBlob(liar.peerId.toString(), stalled, 10, AbortSignal.timeout(300))).rejects.toThrow(
      /timed out/,
    )
    // a still serves after all that.
    expect((await b.fetchBlob(a.self, blobHash, blob.byteLength)).byteLength).toBe(blob.byteLength)
  })
})
