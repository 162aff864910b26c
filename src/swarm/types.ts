import type { Hex } from 'viem'

export interface SwarmMessage {
  from: string
  data: Uint8Array
}

/** What the round protocol needs from the network; libp2p in the page, an in-memory net in tests and the simulator. */
export interface SwarmNet {
  /** This node's peer id (libp2p peer id string). */
  readonly self: string
  publish(topic: string, data: Uint8Array): Promise<void>
  /** Subscribes; returns an unsubscribe function. `from` is the authenticated sender (signed gossip). */
  subscribe(topic: string, handler: (msg: SwarmMessage) => void): () => void
  /** Fetch a blob by its keccak256 content hash from one peer over a direct stream; rejects on a wrong hash, over maxBytes, or not served. */
  fetchBlob(peer: string, hash: Hex, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array>
  /** Serve blobs by content hash to peers that ask. */
  provideBlobs(get: (hash: Hex) => Uint8Array | undefined): void
  /** Peers currently connected that subscribe to `topic`. */
  peers(topic: string): string[]
}
