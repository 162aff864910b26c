// An in-memory SwarmNet for tests and the simulator: gossip to every subscriber of a topic, blobs by
// content hash, with optional latency, jitter, loss, bandwidth and partitions, and a byte count per
// peer. It behaves like the libp2p one where the protocol can tell (src/swarm/netConformance.ts checks
// both): senders are authenticated, a peer never sees its own messages, gossip is bounded in size, a
// fetched blob is checked against its hash, and failures are SwarmNetErrors with the same codes. Every
// delay is on its clock: on a VirtualClock (sim/clock.ts) a swarm over it runs on virtual time.
import type { Hex } from 'viem'
import { SwarmNetError, type SwarmNetErrorCode } from '../../errors/network.ts'
import { mulberry32 } from '../../util/random.ts'
import { MAX_GOSSIP_BYTES } from '../net/config.ts'
import { realClock, type Clock } from '../protocol/clock.ts'
import type { SwarmMessage, SwarmNet } from '../types.ts'
import { TestNetError } from '../../errors/swarm.ts'
import { keccak256Hex } from '../../util/keccak.ts'

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
  /** Largest gossip message a node publishes (libp2p's bound unless given). */
  maxGossipBytes?: number
  /** Every delay's clock: the real one unless given. The swarm's peers must share it. */
  clock?: Clock
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
    this.options = {
      latencyMs: 0,
      jitterMs: 0,
      dropRate: 0,
      bytesPerMs: Infinity,
      seed: 1,
      maxGossipBytes: MAX_GOSSIP_BYTES,
      ...options,
      clock: options.clock ?? realClock, // also when given as undefined (teach mode on the page)
    }
    const next = mulberry32(this.options.seed)
    this.#random = () => next() / 2 ** 32
  }

  /** A new node on this network. */
  join(id: string): MemoryNet {
    if (this.#nodes.has(id)) throw new TestNetError(`A node ${id} is already on this network.`)
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
      this.options.clock.after(this.delay(), () => {
        if (this.reachable(from.self, node.self)) node.receive(topic, { from: from.self, data: data.slice() })
      })
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
    this.#open()
    const max = this.#network.options.maxGossipBytes
    if (data.byteLength > max)
      throw new SwarmNetError(`gossip message of ${data.byteLength} bytes exceeds ${max}`, {
        code: 'too-large',
      })
    this.#network.deliver(this, topic, data)
  }

  subscribe(topic: string, handler: (msg: SwarmMessage) => void): () => void {
    const set = this.#handlers.get(topic) ?? new Set()
    this.#handlers.set(topic, set.add(handler))
    return () => set.delete(handler)
  }

  async fetchBlob(peer: string, hash: Hex, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    this.#open()
    const net = this.#network
    const fail = (message: string, code: SwarmNetErrorCode) => new SwarmNetError(message, { code })
    const stopped = () =>
      (signal?.reason as Error | undefined)?.name === 'TimeoutError'
        ? fail(`fetching blob ${hash} from ${peer} timed out`, 'timeout')
        : fail(`fetching blob ${hash} from ${peer} was aborted`, 'aborted')
    if (signal?.aborted) throw stopped()
    if (!net.reachable(this.self, peer)) throw fail(`peer ${peer} is not reachable`, 'unreachable')
    const blob = net.node(peer)?.serve(hash)
    if (!blob) throw fail(`the peer does not have blob ${hash}`, 'not-found')
    if (blob.length > maxBytes)
      throw fail(`blob ${hash} is larger than the ${maxBytes} bytes allowed (${blob.length})`, 'too-large')
    await net.options.clock.sleep(net.delay(blob.length), signal).catch(() => {
      throw stopped()
    })
    if (!net.reachable(this.self, peer))
      throw fail(`peer ${peer} went away during the transfer`, 'unreachable')
    if (keccak256Hex([blob]) !== hash) throw fail(`blob content does not hash to ${hash}`, 'bad-hash')
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

  #open(): void {
    if (this.#closed) throw new SwarmNetError('this node has left the network', { code: 'closed' })
  }

  /** @internal */
  close(): void {
    this.#closed = true
    this.#handlers.clear()
  }
}
