// SwarmNet over a libp2p node: signed gossipsub for messages, the blob protocol for bulk bytes.
// Independent of transports, so Node tests run it over WebSockets and the page over WebRTC.
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Hex } from 'viem'
import type { SwarmMessage, SwarmNet } from '../types.ts'
import { SwarmNetError } from '../../errors/network.ts'
import { requestBlob, serveBlob } from './blob.ts'
import { BLOB_PROTOCOL, BLOB_TIMEOUT_MS, MAX_GOSSIP_BYTES } from './config.ts'

export type SwarmNode = Libp2p<{ pubsub: GossipSub }>

/** Counters a page shows and benchmarks read; `dropped` counts what peers sent that we refused. */
export interface NetStats {
  gossipIn: number
  gossipOut: number
  bytesIn: number
  bytesOut: number
  blobBytesIn: number
  blobBytesOut: number
  dropped: { oversized: number; unsigned: number; handlerErrors: number; badBlobRequests: number }
}

export class Libp2pSwarmNet implements SwarmNet {
  readonly stats: NetStats = {
    gossipIn: 0,
    gossipOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    blobBytesIn: 0,
    blobBytesOut: 0,
    dropped: { oversized: 0, unsigned: 0, handlerErrors: 0, badBlobRequests: 0 },
  }
  private readonly handlers = new Map<string, Set<(msg: SwarmMessage) => void>>()
  private getBlob: (hash: Hex) => Uint8Array | undefined = () => undefined

  private readonly maxGossipBytes: number
  /** Relays subscribe to our topics to forward gossip; they are not swarm members. */
  private readonly infrastructure: Set<string>

  constructor(
    readonly node: SwarmNode,
    options: { maxGossipBytes?: number; infrastructure?: Iterable<string> } = {},
  ) {
    this.maxGossipBytes = options.maxGossipBytes ?? MAX_GOSSIP_BYTES
    this.infrastructure = new Set(options.infrastructure)
    node.services.pubsub.addEventListener('message', (e) => this.onMessage(e.detail))
  }

  /** Registers the blob handler; call once, after the node has started. */
  async start(): Promise<void> {
    await this.node.handle(BLOB_PROTOCOL, (stream) => this.onBlobRequest(stream), {
      maxInboundStreams: 16,
      // A Node peer has no WebRTC: it fetches through a relayed circuit (nodeNet.ts).
      runOnLimitedConnection: true,
    })
  }

  get self(): string {
    return this.node.peerId.toString()
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    this.open()
    if (data.byteLength > this.maxGossipBytes)
      throw new SwarmNetError(`gossip message of ${data.byteLength} bytes exceeds ${this.maxGossipBytes}`, {
        code: 'too-large',
      })
    await this.node.services.pubsub.publish(topic, data)
    this.stats.gossipOut++
    this.stats.bytesOut += data.byteLength
  }

  subscribe(topic: string, handler: (msg: SwarmMessage) => void): () => void {
    let set = this.handlers.get(topic)
    if (!set) {
      this.handlers.set(topic, (set = new Set()))
      this.node.services.pubsub.subscribe(topic)
    }
    set.add(handler)
    return () => {
      set.delete(handler)
      if (set.size === 0 && this.handlers.get(topic) === set) {
        this.handlers.delete(topic)
        this.node.services.pubsub.unsubscribe(topic)
      }
    }
  }

  peers(topic: string): string[] {
    const connected = new Set(this.node.getPeers().map((p) => p.toString()))
    return this.node.services.pubsub
      .getSubscribers(topic)
      .map((p) => p.toString())
      .filter((p) => connected.has(p) && !this.infrastructure.has(p))
  }

  provideBlobs(get: (hash: Hex) => Uint8Array | undefined): void {
    this.getBlob = get
  }

  async fetchBlob(peer: string, hash: Hex, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    this.open()
    const timeout = AbortSignal.timeout(BLOB_TIMEOUT_MS)
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout
    let last: unknown
    // Two tries: a fresh WebRTC data channel sometimes fails to open on a busy page, and a relay closes
    // a circuit once it has carried its data limit in both directions together (two Node peers fetching
    // each other's checkpoints every round reach it within a few rounds), ending the stream early: the
    // second try opens a fresh one. What the peer says (not found, too large, wrong hash) is an answer,
    // not a transient failure: no retry.
    for (let attempt = 0; attempt < 2 && !both.aborted; attempt++) {
      try {
        return await this.fetchOnce(peerIdFromString(peer), hash, maxBytes, both)
      } catch (err) {
        if (err instanceof SwarmNetError && err.code !== 'unreachable' && !both.aborted) throw err
        last = err
      }
    }
    const timedOut = both.aborted && (both.reason as Error | undefined)?.name === 'TimeoutError'
    const why = timedOut ? 'timed out' : both.aborted ? 'was aborted' : `failed (${describe(last)})`
    throw new SwarmNetError(`fetching blob ${hash} from ${peer} ${why}`, {
      code: timedOut ? 'timeout' : both.aborted ? 'aborted' : 'unreachable',
      cause: last,
    })
  }

  /** Throws once the node has stopped: a stopped node neither sends nor fetches. */
  private open(): void {
    if (this.node.status !== 'started')
      throw new SwarmNetError('this node has left the network', { code: 'closed' })
  }

  private async fetchOnce(
    peer: PeerId,
    hash: Hex,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const stream = await this.openBlobStream(peer, signal)
    const abort = () =>
      stream.abort(new SwarmNetError(`fetching blob ${hash} was aborted`, { code: 'aborted' }))
    signal.addEventListener('abort', abort, { once: true })
    try {
      const bytes = await requestBlob(stream, hash, maxBytes, signal)
      this.stats.blobBytesIn += bytes.byteLength
      return bytes
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(describe(err)))
      throw err
    } finally {
      signal.removeEventListener('abort', abort)
    }
  }

  /** Prefers a direct (non-relayed) connection: relays cap relayed traffic at a few hundred KiB. */
  private async openBlobStream(peer: PeerId, signal: AbortSignal): Promise<Stream> {
    const direct = this.node.getConnections(peer).find((c) => !isRelayed(c))
    if (direct) return direct.newStream(BLOB_PROTOCOL, { signal })
    const options = { signal, runOnLimitedConnection: true }
    const known = (await this.node.peerStore.get(peer).catch(() => null))?.addresses.length ?? 0
    if (known > 0 || this.node.getConnections(peer).length > 0)
      return this.node.dialProtocol(peer, BLOB_PROTOCOL, options)
    // Not yet announced (discovery is periodic): reach it through a relay we hold, where it has a slot.
    const viaRelays = this.node
      .getConnections()
      .filter((c) => this.infrastructure.has(c.remotePeer.toString()))
      .map((c) => multiaddr(`${c.remoteAddr.toString()}/p2p-circuit/p2p/${peer.toString()}`))
    return this.node.dialProtocol(viaRelays.length > 0 ? viaRelays : peer, BLOB_PROTOCOL, options)
  }

  private async onBlobRequest(stream: Stream): Promise<void> {
    const signal = AbortSignal.timeout(BLOB_TIMEOUT_MS)
    try {
      this.stats.blobBytesOut += await serveBlob(stream, this.getBlob, signal)
    } catch (err) {
      this.stats.dropped.badBlobRequests++
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private onMessage(msg: Message): void {
    const set = this.handlers.get(msg.topic)
    if (!set) return
    // The protocol trusts `from` as the author, so only signed messages carry one.
    if (msg.type !== 'signed') return void this.stats.dropped.unsigned++
    if (msg.data.byteLength > this.maxGossipBytes) return void this.stats.dropped.oversized++
    this.stats.gossipIn++
    this.stats.bytesIn += msg.data.byteLength
    const from = msg.from.toString()
    for (const handler of set) {
      try {
        handler({ from, data: msg.data })
      } catch {
        this.stats.dropped.handlerErrors++
      }
    }
  }
}

/** Relayed through a circuit (a WebRTC address also names the relay that signalled it, so check the end). */
export function isRelayed(connection: Connection): boolean {
  const addr = connection.remoteAddr.toString()
  return addr.includes('/p2p-circuit') && !addr.includes('/webrtc')
}

/** Streams sometimes reject with a DOM Event (a data channel's error or close): name it. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof Event !== 'undefined' && err instanceof Event) return `the stream ended (${err.type} event)`
  return String(err)
}
