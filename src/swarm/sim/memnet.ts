// An in-memory SwarmNet for tests and the simulator: gossip to every subscriber of a topic, blobs by
// content hash, with optional latency, jitter, loss, bandwidth and partitions, and a byte count per
// peer. It behaves like the libp2p one where the protocol can tell: senders are authenticated, a
// peer never sees its own messages, a fetched blob is checked against its hash.
import { keccak256, type Hex } from 'viem'
import type { SwarmMessage, SwarmNet } from '../types.ts'
import { mulberry32 } from '../../util/random.ts'

export interface MemoryNetworkOptions {
  /** One-way delay of every message and of a blob's first byte, in ms. */
  latencyMs?: number
  /** Extra uniformly random delay, in ms. */
  jitterMs?: number
  /** Probability that one gossip delivery (one receiver) is lost. */
  dropRate?: number
  /** Bytes per ms a blob transfer moves (Infinity: instant). */
  bytesPerMs?: number
  seed?: number
}

export interface Traffic {
  sent: number
  received: number
}

export class MemoryNetwork {
  readonly options: Required<MemoryNetworkOptions>
  #nodes = new Map<string, MemoryNet>()
  #groups: Map<string, number> | null = null
  #random: () => number
  /** Sees every published message once (the simulator measures message sizes with it). */
  tap?: (from: string, topic: string, data: Uint8Array) => void

  constructor(options: MemoryNetworkOptions = {}) {
    this.options = { latencyMs: 0, jitterMs: 0, dropRate: 0, bytesPerMs: Infinity, seed: 1, ...options }
    const next = mulberry32(this.options.seed)
    this.#random = () => next() / 2 ** 32
  }

  /** A new node on this network. */
  join(id: string): MemoryNet {
    if (this.#nodes.has(id)) throw new Error(`A node ${id} is already on this network.`)
    const node = new MemoryNet(id, this)
    this.#nodes.set(id, node)
    return node
  }

  /** Disconnects a node at once: in flight messages to and from it are lost, like a closed tab. */
  leave(id: string): void {
    this.#nodes.get(id)?.close()
    this.#nodes.delete(id)
  }

  /** Splits the network: nodes only reach nodes of their own group (nodes in no group reach none). */
  partition(groups: string[][]): void {
    this.#groups = new Map(groups.flatMap((g, i) => g.map((id) => [id, i] as const)))
  }

  heal(): void {
    this.#groups = null
  }

  traffic(id: string): Traffic {
    return this.#nodes.get(id)?.traffic ?? { sent: 0, received: 0 }
  }

  /** @internal */
  reachable(a: string, b: string): boolean {
    if (!this.#nodes.has(a) || !this.#nodes.has(b)) return false
    return !this.#groups || (this.#groups.get(a) !== undefined && this.#groups.get(a) === this.#groups.get(b))
  }

  /** @internal */
  delay(bytes = 0): number {
    const o = this.options
    return (
      o.latencyMs + o.jitterMs * this.#random() + (Number.isFinite(o.bytesPerMs) ? bytes / o.bytesPerMs : 0)
    )
  }

  /** @internal */
  deliver(from: MemoryNet, topic: string, data: Uint8Array): void {
    this.tap?.(from.self, topic, data)
    for (const node of this.#nodes.values()) {
      if (node === from || !node.subscribed(topic) || !this.reachable(from.self, node.self)) continue
      if (this.#random() < this.options.dropRate) continue
      from.traffic.sent += data.length
      setTimeout(() => {
        if (this.reachable(from.self, node.self)) node.receive(topic, { from: from.self, data: data.slice() })
      }, this.delay())
    }
  }

  /** @internal */
  node(id: string): MemoryNet | undefined {
    return this.#nodes.get(id)
  }

  /** @internal */
  nodes(): MemoryNet[] {
    return [...this.#nodes.values()]
  }
}

export class MemoryNet implements SwarmNet {
  readonly self: string
  readonly traffic: Traffic = { sent: 0, received: 0 }
  #network: MemoryNetwork
  #handlers = new Map<string, Set<(msg: SwarmMessage) => void>>()
  #provider: ((hash: Hex) => Uint8Array | undefined) | null = null
  #closed = false

  constructor(self: string, network: MemoryNetwork) {
    this.self = self
    this.#network = network
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    if (this.#closed) throw new Error('This node has left the network.')
    this.#network.deliver(this, topic, data)
  }

  subscribe(topic: string, handler: (msg: SwarmMessage) => void): () => void {
    const set = this.#handlers.get(topic) ?? new Set()
    this.#handlers.set(topic, set.add(handler))
    return () => set.delete(handler)
  }

  async fetchBlob(peer: string, hash: Hex, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const net = this.#network
    if (!net.reachable(this.self, peer)) throw new Error(`Peer ${peer} is not reachable.`)
    const blob = net.node(peer)?.serve(hash)
    if (!blob) throw new Error(`Peer ${peer} does not serve ${hash}.`)
    if (blob.length > maxBytes) throw new Error(`Blob ${hash} is ${blob.length} bytes, over ${maxBytes}.`)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, net.delay(blob.length))
      signal?.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('fetch aborted'))))
    })
    if (!net.reachable(this.self, peer)) throw new Error(`Peer ${peer} went away during the transfer.`)
    if (keccak256(blob) !== hash) throw new Error(`Peer ${peer} served bytes that do not hash to ${hash}.`)
    net.node(peer)!.traffic.sent += blob.length
    this.traffic.received += blob.length
    return blob.slice()
  }

  provideBlobs(get: (hash: Hex) => Uint8Array | undefined): void {
    this.#provider = get
  }

  peers(topic: string): string[] {
    return this.#network
      .nodes()
      .filter((n) => n !== this && n.subscribed(topic) && this.#network.reachable(this.self, n.self))
      .map((n) => n.self)
  }

  /** @internal */
  subscribed(topic: string): boolean {
    return (this.#handlers.get(topic)?.size ?? 0) > 0
  }

  /** @internal */
  serve(hash: Hex): Uint8Array | undefined {
    return this.#closed ? undefined : this.#provider?.(hash)
  }

  /** @internal */
  receive(topic: string, msg: SwarmMessage): void {
    if (this.#closed) return
    this.traffic.received += msg.data.length
    for (const h of this.#handlers.get(topic) ?? []) h(msg)
  }

  /** @internal */
  close(): void {
    this.#closed = true
    this.#handlers.clear()
  }
}
