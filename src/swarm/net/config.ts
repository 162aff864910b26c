// Network constants and where a tab finds its relay. Sizes bound everything a peer can make us hold.

/** The custom stream protocol that serves content-addressed blobs (model updates, checkpoints). */
export const BLOB_PROTOCOL = '/lockstep/blob/1.0.0'
/** Must equal `discoveryTopic` in scripts/relay.mjs, which forwards it (checked by config.test.ts). */
export const DISCOVERY_TOPIC = 'lockstep/discovery/1'
/** Gossip messages carry receipts and announcements, never tensors: 256 KiB is generous. */
export const MAX_GOSSIP_BYTES = 256 * 1024
/** Blob responses are sent in chunks of this size, waiting for the stream to drain between them. */
export const BLOB_CHUNK_BYTES = 64 * 1024
/** A blob request or response that stalls this long is abandoned. */
export const BLOB_TIMEOUT_MS = 30_000
/** One dial attempt; WebRTC's first dial sometimes stalls in signalling (recipes.md), so we retry. */
export const DIAL_TIMEOUT_MS = 4_000
export const DIAL_TRIES = 4
/** How often a tab checks that it still holds its relay connection, redialling after a relay restart. */
export const RELAY_WATCH_MS = 1_000
/** How often tabs announce themselves on the discovery topic (the first announcement is immediate). */
export const DISCOVERY_INTERVAL_MS = 1_000

/**
 * The relays a tab dials: `?relay=<multiaddr>[,<multiaddr>…]` first, else the build-time
 * `VITE_RELAY_ADDR` (set by `npm start` and the e2e setup to the loopback relay they run).
 */
export function relayAddrs(
  search: string,
  fallback: string | undefined = import.meta.env.VITE_RELAY_ADDR,
): string[] {
  const fromUrl = new URLSearchParams(search).get('relay')
  const raw = fromUrl ?? fallback ?? ''
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('/'))
}
