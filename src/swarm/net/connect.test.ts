import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { dialDiscovered } from './connect.ts'
import type { SwarmNode } from './libp2pNet.ts'

/** A node whose peer store holds `n` announced peers and whose dials stay pending until released. */
function fakeNode(n: number) {
  const pending: (() => void)[] = []
  const listeners: (() => void)[] = []
  const peers = Array.from({ length: n }, (_, i) => ({
    id: { toString: () => `a${String(i).padStart(4, '0')}` },
    addresses: [{ multiaddr: multiaddr(`/ip4/127.0.0.1/tcp/9090/ws/p2p-circuit/webrtc`) }],
  }))
  const node = {
    status: 'started',
    peerId: { toString: () => 'zzzz' }, // larger than every peer: this side dials them all
    getConnections: () => [],
    peerStore: { all: async () => peers, delete: async () => {} },
    dial: () => new Promise((resolve) => pending.push(() => resolve({}))),
    addEventListener: (_: string, f: () => void) => listeners.push(f),
    removeEventListener: () => {},
  }
  return { node: node as unknown as SwarmNode, pending, announce: () => listeners.forEach((f) => f()) }
}

const flush = () => new Promise((r) => setImmediate(r))

describe('discovery dials', () => {
  it('are capped at 8 in flight; a finished dial lets the next peer in', async () => {
    const { node, pending, announce } = fakeNode(100)
    const stop = dialDiscovered(node, () => {})
    announce()
    await flush()
    expect(pending).toHaveLength(8)
    pending[0]()
    await flush()
    await flush()
    expect(pending).toHaveLength(9)
    stop()
  })
})
