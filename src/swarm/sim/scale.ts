// The simulator at scale (100–1,000 peers), where training real GPTs in one process is too slow. What
// is real: the protocol's message and checkpoint sizes (measured from the implementation), and a real
// learning problem (a byte-bigram language model on the real corpus, trained by each peer on its own
// batches and averaged every H steps, against synchronous all-reduce of every step's gradient). What is
// modelled: the network (latency per hop, per-peer bandwidth, gossipsub fan-out) and per-peer speed.
import { mulberry32 } from '../../util/random.ts'
import { KJV_PENTATEUCH, splitBy } from '../../train/corpus.ts'

export interface NetModel {
  /** One-way latency per hop, ms. */
  latencyMs: number
  /** Per-peer upload and download bandwidth, bytes per ms (1,000 = 1 MB/s). */
  bytesPerMs: number
  /** gossipsub mesh degree: each message reaches a peer up to D times (the upper bound used here). */
  meshDegree: number
}

export interface Sizes {
  commit: number
  verdict: number
  /** Per included peer (the decide message grows with the swarm). */
  decidePerPeer: number
  /** One checkpoint blob (parameters and both moments). */
  checkpoint: number
}

export interface RoundCost {
  /** Bytes each peer sends and receives in one round (mean over peers). */
  bytesPerPeer: number
  /** From the round's start to every peer holding the averaged model, ms (median, p95 over draws). */
  agreeMs: { median: number; p95: number }
}

const hops = (n: number, d: number) => Math.max(1, Math.ceil(Math.log(n) / Math.log(d)))

/**
 * One round's cost. `aggregation`: 'all' is what SwarmPeer does (every peer fetches every update);
 * 'sharded' is a reduce-scatter/all-gather over content-hashed shards (designed, not implemented).
 */
export function roundCost(
  n: number,
  s: Sizes,
  net: NetModel,
  o: {
    stepMs: number
    H: number
    checkers: number
    checkSteps: number
    aggregation: 'all' | 'sharded'
    seed?: number
  },
): RoundCost {
  const gossip = s.commit + Math.min(o.checkers, n - 1) * s.verdict + s.decidePerPeer * n
  // Every round message reaches every peer; each copy is sent once per mesh edge.
  const gossipBytes = n * gossip * net.meshDegree
  const checkBlobs = Math.min(o.checkers, n - 1) * (o.checkSteps >= o.H ? 1 : o.checkSteps + 1) * s.checkpoint
  const aggregate = o.aggregation === 'all' ? (n - 1) * s.checkpoint : 2 * s.checkpoint * ((n - 1) / n)
  const bytesPerPeer = gossipBytes / n + checkBlobs + aggregate
  const spread = (bytes: number) => hops(n, net.meshDegree) * (net.latencyMs + bytes / net.bytesPerMs)
  const next = mulberry32(o.seed ?? 1)
  const draws: number[] = []
  for (let t = 0; t < 200; t++) {
    // Peers differ in speed: log-normal with sigma 0.3; the round waits for the slowest expected peer.
    let slowest = 0
    for (let i = 0; i < n; i++) {
      const u = (next() + 1) / 2 ** 32
      const v = (next() + 1) / 2 ** 32
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
      slowest = Math.max(slowest, o.stepMs * o.H * Math.exp(0.3 * z))
    }
    const check =
      checkBlobs / net.bytesPerMs + Math.min(o.checkSteps, o.H) * o.stepMs * Math.min(o.checkers, n - 1)
    const fetch = aggregate / net.bytesPerMs + net.latencyMs
    draws.push(slowest + spread(s.commit) + check + spread(s.verdict) + spread(s.decidePerPeer * n) + fetch)
  }
  draws.sort((a, b) => a - b)
  return { bytesPerPeer, agreeMs: { median: draws[100], p95: draws[190] } }
}

/** Ring all-reduce of every step's gradient (data parallel): bytes per peer per H steps. */
export function allReduceBytes(n: number, gradientBytes: number, H: number): number {
  return H * 2 * gradientBytes * ((n - 1) / n)
}

/**
 * The real learning problem: next-byte prediction with a 256×256 logit table (softmax regression on the
 * previous byte), plain SGD. 'swarm': each peer takes H steps on its own batches, then all tables are
 * averaged (summed in float64 in peer order, rounded to f32). 'allreduce': every step averages all
 * peers' gradients. Both see the same number of samples. Returns held-out loss after each round.
 */
export function learningCurve(
  corpus: Uint8Array,
  o: { peers: number; rounds: number; H: number; batch: number; lr: number; mode: 'swarm' | 'allreduce' },
): number[] {
  const { train, val } = splitBy(KJV_PENTATEUCH, corpus)
  const V = 256
  const table = new Float32Array(V * V)
  const evalBytes = val.subarray(0, 20_000)
  const loss = (t: Float32Array) => {
    let sum = 0
    for (let i = 0; i + 1 < evalBytes.length; i++) sum += xent(t, evalBytes[i], evalBytes[i + 1]).loss
    return sum / (evalBytes.length - 1)
  }
  const curve: number[] = []
  const local = Array.from({ length: o.mode === 'swarm' ? o.peers : 1 }, () => new Float32Array(V * V))
  for (let r = 0; r < o.rounds; r++) {
    for (let h = 0; h < o.H; h++) {
      const step = r * o.H + h
      if (o.mode === 'swarm') {
        for (let p = 0; p < o.peers; p++) sgdStep(local[p], train, [p], step, o.batch, o.lr)
      } else
        sgdStep(
          table,
          train,
          Array.from({ length: o.peers }, (_, p) => p),
          step,
          o.batch,
          o.lr,
        )
    }
    if (o.mode === 'swarm') {
      const sum = new Float64Array(V * V)
      for (const t of local) for (let j = 0; j < sum.length; j++) sum[j] += t[j]
      for (let j = 0; j < sum.length; j++) table[j] = sum[j] / o.peers
      for (const t of local) t.set(table)
    }
    curve.push(loss(table))
  }
  return curve
}

function xent(t: Float32Array, prev: number, next: number): { loss: number; probs: Float64Array } {
  const row = t.subarray(prev * 256, prev * 256 + 256)
  let max = -Infinity
  for (const v of row) max = Math.max(max, v)
  const probs = new Float64Array(256)
  let z = 0
  for (let i = 0; i < 256; i++) z += probs[i] = Math.exp(row[i] - max)
  for (let i = 0; i < 256; i++) probs[i] /= z
  return { loss: -Math.log(probs[next]), probs }
}

/** One SGD step on `t` with the mean gradient over `peers`' batches for `step` (seeded like sampleBatch). */
function sgdStep(
  t: Float32Array,
  data: Uint8Array,
  peers: number[],
  step: number,
  batch: number,
  lr: number,
) {
  const grad = new Map<number, Float64Array>()
  const scale = 1 / (peers.length * batch)
  for (const p of peers) {
    const next = mulberry32((p * 0x9e3779b1) ^ (step * 0x85ebca6b))
    for (let b = 0; b < batch; b++) {
      const at = next() % (data.length - 1)
      const { probs } = xent(t, data[at], data[at + 1])
      probs[data[at + 1]] -= 1
      const g = grad.get(data[at]) ?? new Float64Array(256)
      for (let i = 0; i < 256; i++) g[i] += probs[i] * scale
      grad.set(data[at], g)
    }
  }
  for (const [row, g] of grad) for (let i = 0; i < 256; i++) t[row * 256 + i] -= lr * g[i]
}
