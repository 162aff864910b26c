// Getting and keeping connections: the relay (redialled when it restarts) and direct WebRTC links to
// every peer discovery announces. Dials are bounded: a few tries, each with its own timeout.
import type { Connection, PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { RelayUnreachableError, SwarmNetError } from '../../errors/network.ts'
import { DIAL_TIMEOUT_MS, DIAL_TRIES, RELAY_WATCH_MS } from './config.ts'
import { isRelayed, type SwarmNode } from './libp2pNet.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** How long a peer leaves the first dial to the other side before dialling too. */
const OTHER_SIDE_DIALS_MS = 15_000
/** Failed rounds of dials after which an unreachable peer is forgotten. */
const FORGET_AFTER = 3
/** Peers tracked as not yet directly connected: bounds what a flood of announcements can make us hold. */
const MAX_UNLINKED = 4096
/**
 * Discovery dials in flight at once. Each opens an RTCPeerConnection and signals through the relay; a
 * flood of announced ids would otherwise open hundreds at once (browsers cap peer connections, and the
 * relay's reservation carries every signalling stream). The rest wait for the next scan.
 */
const MAX_PARALLEL_DIALS = 8

/** Dials with up to `tries` attempts; @libp2p/webrtc's first dial sometimes stalls in signalling. */
export async function dialWithRetry(
  node: SwarmNode,
  target: Multiaddr | Multiaddr[],
  { tries = DIAL_TRIES, timeoutMs = DIAL_TIMEOUT_MS } = {},
): Promise<Connection> {
  let last: unknown
  for (let i = 0; i < tries; i++) {
    try {
      // Each try waits longer: a busy page (or machine) can be slow to gather ICE candidates.
      return await node.dial(target, { signal: AbortSignal.timeout(timeoutMs * (1 + i / 2)) })
    } catch (err) {
      last = err
      if (node.status !== 'started') break
      await sleep(250 * (i + 1))
    }
  }
  throw new SwarmNetError(`could not connect to ${target.toString()} after ${tries} tries`, {
    code: 'unreachable',
    cause: last,
  })
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
 * Upgrades every known peer to a direct WebRTC connection. The peer with the larger id dials first, so
 * two tabs do not race to open two connections; the other dials too once the peer has gone
 * `OTHER_SIDE_DIALS_MS` without one (its dials may be the ones failing, and a pair that never connects
 * splits the swarm's view: seen once in a CI run). libp2p announces a peer once, often before it has a
 * relay reservation to be reached through, so we rescan the peer store (on updates and every second)
 * and back off from peers that keep failing (a closed tab stays in the store).
 */
export function dialDiscovered(node: SwarmNode, onError: (err: Error) => void): () => void {
  const dialing = new Set<string>()
  const failures = new Map<string, { count: number; until: number }>()
  /** When each peer was first seen without a direct connection (reset once it has one). */
  const unlinked = new Map<string, number>()
  const self = node.peerId.toString()
  const dial = (id: PeerId, addrs: Multiaddr[]) => {
    const key = id.toString()
    dialing.add(key)
    dialWithRetry(node, addrs)
      .then(() => failures.delete(key))
      .catch(async (err) => {
        const count = (failures.get(key)?.count ?? 0) + 1
        failures.set(key, { count, until: Date.now() + Math.min(60_000, 5_000 * count) })
        onError(err)
        // A closed or reloaded tab stays in the peer store, and its id never comes back: after a few
        // failed rounds of dials with no connection of any kind left, forget it (discovery re-adds a
        // peer that announces itself again).
        if (count >= FORGET_AFTER && node.getConnections(id).length === 0) {
          failures.delete(key)
          unlinked.delete(key)
          await node.peerStore.delete(id).catch(() => {})
        }
      })
      .finally(() => {
        dialing.delete(key)
        void scan() // a slot is free: the next waiting peer need not wait for the timer
      })
  }
  let scanning = false
  let stopped = false
  const scan = async () => {
    if (scanning || stopped || node.status !== 'started') return
    scanning = true
    try {
      for (const peer of await node.peerStore.all()) {
        const key = peer.id.toString()
        if (key === self) continue
        if (node.getConnections(peer.id).some((c) => !isRelayed(c))) {
          unlinked.delete(key)
          continue
        }
        if (!unlinked.has(key) && unlinked.size < MAX_UNLINKED) unlinked.set(key, Date.now())
        const myTurn = key < self || Date.now() - (unlinked.get(key) ?? Infinity) > OTHER_SIDE_DIALS_MS
        if (!myTurn || dialing.has(key) || (failures.get(key)?.until ?? 0) > Date.now()) continue
        if (dialing.size >= MAX_PARALLEL_DIALS) continue
        const webrtc = peer.addresses.map((a) => a.multiaddr).filter((a) => a.toString().includes('/webrtc'))
        if (webrtc.length > 0) dial(peer.id, webrtc)
      }
    } finally {
      scanning = false
    }
  }
  const onUpdate = () => void scan()
  node.addEventListener('peer:discovery', onUpdate)
  node.addEventListener('peer:update', onUpdate)
  const timer = setInterval(onUpdate, 1_000)
  return () => {
    stopped = true
    clearInterval(timer)
    node.removeEventListener('peer:discovery', onUpdate)
    node.removeEventListener('peer:update', onUpdate)
  }
}
