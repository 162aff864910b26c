// Getting and keeping connections: the relay (redialled when it restarts) and direct WebRTC links to
// every peer discovery announces. Dials are bounded: a few tries, each with its own timeout.
import type { Connection, PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { RelayUnreachableError, SwarmNetError } from '../../errors/network.ts'
import { DIAL_TIMEOUT_MS, DIAL_TRIES, RELAY_WATCH_MS } from './config.ts'
import { isRelayed, type SwarmNode } from './libp2pNet.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Dials with up to `tries` attempts; @libp2p/webrtc's first dial sometimes stalls in signalling. */
export async function dialWithRetry(
  node: SwarmNode,
  target: Multiaddr | Multiaddr[],
  { tries = DIAL_TRIES, timeoutMs = DIAL_TIMEOUT_MS } = {},
): Promise<Connection> {
  let last: unknown
  for (let i = 0; i < tries; i++) {
    try {
      return await node.dial(target, { signal: AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      last = err
      if (node.status !== 'started') break
      await sleep(250 * (i + 1))
    }
  }
  throw new SwarmNetError(`could not connect to ${target.toString()} after ${tries} tries`, { cause: last })
}

/** Keeps a connection to one of the relays, redialling whenever it drops (a relay restart, a network blip). */
export function watchRelays(node: SwarmNode, relays: string[], onError: (err: Error) => void): () => void {
  const addrs = relays.map((r) => multiaddr(r))
  const relayIds = new Set(addrs.map((a) => a.getComponents().find((c) => c.name === 'p2p')?.value))
  let busy = false
  let stopped = false
  const check = async () => {
    if (busy || stopped || node.status !== 'started') return
    if (node.getConnections().some((c) => relayIds.has(c.remotePeer.toString()))) return
    busy = true
    try {
      await dialWithRetry(node, addrs)
    } catch (err) {
      onError(new RelayUnreachableError(`no relay answered at ${relays.join(', ')}`, { cause: err }))
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void check(), RELAY_WATCH_MS)
  void check()
  return () => {
    stopped = true
    clearInterval(timer)
  }
}

/**
 * Upgrades every discovered peer to a direct WebRTC connection. Only the peer with the smaller id
 * dials, so two tabs never race to open two connections; discovery repeats, so a failed dial is retried.
 */
export function dialDiscovered(node: SwarmNode, onError: (err: Error) => void): () => void {
  const dialing = new Set<string>()
  const onPeer = (e: CustomEvent<{ id: PeerId; multiaddrs: Multiaddr[] }>) => {
    const id = e.detail.id.toString()
    if (id >= node.peerId.toString() || dialing.has(id)) return
    if (node.getConnections(e.detail.id).some((c) => !isRelayed(c))) return
    const webrtc = e.detail.multiaddrs.filter((a) => a.toString().includes('/webrtc'))
    if (webrtc.length === 0) return
    dialing.add(id)
    dialWithRetry(node, webrtc)
      .catch(onError)
      .finally(() => dialing.delete(id))
  }
  node.addEventListener('peer:discovery', onPeer)
  return () => node.removeEventListener('peer:discovery', onPeer)
}
