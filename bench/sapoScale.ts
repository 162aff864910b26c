// The RL swarm's round cost where the in-memory net is too slow to run (docs/rl.md, Scale). What is
// measured and fed in: the ROLLOUTS message size and the checkpoint blob size. What is modelled: gossip
// (each message reaches a peer up to meshDegree times, the upper bound; memnet delivers each once),
// hops ⌈log_D n⌉ each costing a latency and the message's transfer time, and peers' rollout times
// (log-normal, as src/swarm/sim/scale.ts models peer speed). No averaging, no checkpoint per peer: a
// round's bytes are n messages plus the spot checks' blobs.
import { mulberry32 } from '../src/util/random.ts'

export interface ScaleModel {
  latencyMs: number
  /** Per-peer bandwidth, bytes per ms. */
  bytesPerMs: number
  meshDegree: number
  /** Median time of one peer's rollouts for a round (L groups), ms. */
  rolloutMs: number
  /** Groups per round (L): a spot check regenerates one group, 1/L of a round's rollouts. */
  local: number
  /** Spread of peers' speeds: log-normal sigma. */
  sigma: number
}

export function modelScale(
  n: number,
  s: { messageBytes: number; blobBytes: number; checks: number },
  net: ScaleModel,
): { bytesPerPeer: number; fullPoolMs: { median: number; p95: number } } {
  // Received: every other peer's message, up to D copies; sent: as much on average (every copy is
  // someone's upload). Blobs: each check fetches one, and each peer serves as many on average.
  const bytesPerPeer = 2 * (n - 1) * s.messageBytes * net.meshDegree + 2 * s.checks * s.blobBytes
  // Degree 1 is direct delivery (what memnet does): one hop.
  const hops = net.meshDegree <= 1 ? 1 : Math.max(1, Math.ceil(Math.log(n) / Math.log(net.meshDegree)))
  const spread = hops * (net.latencyMs + s.messageBytes / net.bytesPerMs)
  const next = mulberry32(1)
  const draws: number[] = []
  for (let t = 0; t < 101; t++) {
    let slowest = 0
    for (let i = 0; i < n; i++) {
      const u = (next() + 1) / 2 ** 32
      const v = (next() + 1) / 2 ** 32
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
      // In steady state a peer's round is its checks of the round before plus its own rollouts.
      slowest = Math.max(slowest, net.rolloutMs * (1 + s.checks / net.local) * Math.exp(net.sigma * z))
    }
    draws.push(slowest + spread)
  }
  draws.sort((a, b) => a - b)
  // A peer's pool is full when the slowest peer's message has spread: about the same for every peer.
  return { bytesPerPeer, fullPoolMs: { median: draws[50], p95: draws[95] } }
}
