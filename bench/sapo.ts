// The SAPO experiment and the RL swarm at scale (docs/rl.md, The experiment; docs/benchmarks.md):
//   node scripts/sapo.mjs [--engine real|fake] [--suite experiment|scale|all] [--seeds 3] [--rounds 10]
//                         [--warmstart public/rl/warmstart.lscp | --warmstart none --warm-steps 600 --warm-cache FILE]
//                         [--peers 8] [--splits 8/0,6/2,4/4,2/6] [--scale 100,1000] [--real-max 100] [--lr 1e-4]
// experiment: for each L/E split, the same swarm (8 peers, the same questions per seed, each peer
// training on L + E = 8 groups a round) on virtual time; cumulative reward (Σ over rounds of the mean own
// reward, thousandths) with its spread over seeds. scale: bytes per peer per round and time to a full
// pool, by the real protocol on the in-memory net up to --real-max peers, by the model beyond. Each
// experiment run also scores the final models on held-out tasks against the warm start; --lr overrides
// GRPO's learning rate (RL_GRPO's).
import { keccak256, toBytes, type Hex } from 'viem'
import { forgingCompute } from '../src/rl/sapo/cheat.ts'
import { checkCount } from '../src/rl/sapo/select.ts'
import { runRlSwarm } from '../src/rl/sim.ts'
import type { Checkpoint } from '../src/train/trainer.ts'
import { mulberry32 } from '../src/util/random.ts'
import { loadEngine, type Engine } from './sapoEngine.ts'
import { modelScale, type ScaleModel } from './sapoScale.ts'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const sd = (xs: number[]) =>
  Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)) * (xs.length / Math.max(1, xs.length - 1)))
const swarmSeed = (s: number): Hex => keccak256(toBytes(`lockstep sapo experiment ${s}`))
const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`

export interface SplitRecord {
  engine: string
  split: string
  seed: number
  /** Per round, the mean over peers of their own mean reward. */
  rewards: number[]
  cumulative: number
  /** Last round's exact-answer rate over all peers' own completions. */
  finalAccuracy: number
  /** Spot checks over the run, all peers together: groups regenerated and matched, and failed. */
  verified: number
  failed: number
  /** Mean size of a ROLLOUTS message on the wire. */
  messageBytes: number
  /**
   * Mean sampled reward (thousandths) on the same held-out tasks: the warm start's, and each peer's
   * model after the last round (heldOut below). Round rewards are on each round's own tasks, so this is
   * the like-for-like measure of whether the models got better.
   */
  heldOut: { warm: number; final: number[] }
  wallMs: number
}

/** HELD_OUT tasks of every family and level, apart from any round's (their own seed), G samples each. */
const HELD_OUT = 200
async function heldOut(engine: Engine, model: Checkpoint): Promise<number> {
  const tasks = engine.book.tasksFor(keccak256(toBytes('lockstep sapo held-out')), 0, 'held-out', HELD_OUT)
  const rule = engine.params(swarmSeed(0)).rule
  const groups = await engine.compute().rollouts(model, tasks, 4, rule)
  const rewards = groups.flatMap((g, i) => g.completions.map((c) => engine.book.reward(tasks[i], c)))
  return mean(rewards)
}

async function experiment(engine: Engine, log: (r: unknown) => void): Promise<SplitRecord[]> {
  const peers = Number(arg('peers', '8'))
  const rounds = Number(arg('rounds', '10'))
  const seeds = Number(arg('seeds', '3'))
  const splits = arg('splits', '8/0,6/2,4/4,2/6').split(',')
  const lr = arg('lr', '')
  const grpo = lr ? { ...engine.grpo, lr: Number(lr) } : engine.grpo
  const warm = await heldOut(engine, engine.model)
  const records: SplitRecord[] = []
  for (const split of splits) {
    const [L, E] = split.split('/').map(Number)
    for (let s = 1; s <= seeds; s++) {
      const t0 = performance.now()
      const run = await runRlSwarm({
        peers,
        rounds,
        params: { ...engine.params(swarmSeed(s)), local: L },
        mine: () => ({ external: E, grpo, checkRate: 0.5, collectMs: 60_000 }),
        compute: () => engine.compute(),
        book: engine.book,
        model: engine.model,
      })
      const errors = run.errors.flat()
      if (errors.length) throw errors[0]
      const rewards = Array.from({ length: rounds }, (_, r) => mean(run.reports.map((p) => p[r].meanReward)))
      const last = run.reports.map((p) => p[rounds - 1])
      const acc = last.flatMap((r) => Object.values(r.accuracy))
      const record: SplitRecord = {
        engine: engine.name,
        split,
        seed: s,
        rewards,
        cumulative: rewards.reduce((a, b) => a + b, 0),
        finalAccuracy: acc.reduce((n, a) => n + a!.correct, 0) / acc.reduce((n, a) => n + a!.total, 0),
        verified: last.reduce((n, r) => n + r.peers.reduce((m, p) => m + p.verified, 0), 0),
        failed: last.reduce((n, r) => n + r.peers.reduce((m, p) => m + p.failed, 0), 0),
        messageBytes: Math.round(mean(run.rolloutBytes)),
        heldOut: { warm, final: await Promise.all(run.models.map((m) => heldOut(engine, m!))) },
        wallMs: performance.now() - t0,
      }
      log(record)
      records.push(record)
    }
  }
  console.log(
    `\n| L/E | cumulative reward over ${rounds} rounds, mean ± sd (min … max) over ${seeds} seeds | last-round accuracy | held-out reward after (warm start ${warm.toFixed(0)}), mean ± sd over seeds |`,
  )
  console.log('| --- | --- | --- | --- |')
  for (const split of splits) {
    const rs = records.filter((r) => r.split === split)
    const c = rs.map((r) => r.cumulative)
    console.log(
      `| ${split} | ${mean(c).toFixed(0)} ± ${sd(c).toFixed(0)} (${Math.min(...c).toFixed(0)} … ${Math.max(...c).toFixed(0)}) | ${(100 * mean(rs.map((r) => r.finalAccuracy))).toFixed(1)}% | ${held(rs)} |`,
    )
  }
  return records
}

const held = (rs: SplitRecord[]) => {
  const h = rs.map((r) => mean(r.heldOut.final))
  return `${mean(h).toFixed(0)} ± ${sd(h).toFixed(0)}`
}

export interface ScaleRecord {
  peers: number
  how: 'memnet' | 'model'
  /** Mean over peers of gossip + blob bytes sent and received in one round (memnet counts each copy). */
  bytesPerPeer: number
  /** From a round's start to a full pool: over peers (memnet) or over draws of peer speeds (model). */
  fullPoolMs: { median: number; p95: number }
  messageBytes: number
  meshDegree?: number
  wallMs?: number
}

async function scale(engine: Engine, log: (r: unknown) => void): Promise<ScaleRecord[]> {
  const sizes = arg('scale', '100,1000').split(',').map(Number)
  const realMax = Number(arg('real-max', '100'))
  const L = 4
  const E = 4
  // One group's rollouts take 500 ms on a median peer (2 s for L = 4), peers' speeds log-normal (sigma 0.3).
  const net: ScaleModel = {
    latencyMs: 50,
    bytesPerMs: 10_000,
    meshDegree: 6,
    rolloutMs: 500 * L,
    local: L,
    sigma: 0.3,
  }
  const checks = checkCount(0.5, E)
  const records: ScaleRecord[] = []
  let messageBytes = 0
  for (const n of sizes) {
    if (n <= realMax) {
      const speed = (i: number) => {
        const next = mulberry32(i + 1)
        const u = (next() + 1) / 2 ** 32
        const v = (next() + 1) / 2 ** 32
        return (
          (net.rolloutMs / L) * Math.exp(net.sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))
        )
      }
      const t0 = performance.now()
      const run = await runRlSwarm({
        peers: n,
        rounds: 2,
        params: { ...engine.params(swarmSeed(1)), local: L },
        mine: () => ({ external: E, grpo: engine.grpo, checkRate: 0.5, collectMs: 60_000 }),
        compute: () => engine.compute(),
        book: engine.book,
        model: engine.model,
        groupMs: speed,
        latencyMs: net.latencyMs,
        jitterMs: 10,
      })
      const errors = run.errors.flat()
      if (errors.length) throw errors[0]
      // Round 1: round 0 starts every peer at once, round 1 where the round before left each one.
      const bytes = run.reports.map((p) => p[1].bytesSent + p[1].bytesReceived)
      const pool = run.collected.map((c) => c[1].ms).sort((a, b) => a - b)
      messageBytes = Math.round(mean(run.rolloutBytes))
      const rec: ScaleRecord = {
        peers: n,
        how: 'memnet',
        bytesPerPeer: mean(bytes),
        fullPoolMs: { median: pool[pool.length >> 1], p95: pool[Math.floor(0.95 * (pool.length - 1))] },
        messageBytes,
        wallMs: performance.now() - t0,
      }
      log(rec)
      records.push(rec)
    }
    // Degree 1 counts what memnet counts (each message once per receiver), beside a real mesh's upper bound.
    for (const meshDegree of n <= realMax ? [1, net.meshDegree] : [net.meshDegree]) {
      const sizes = {
        messageBytes: messageBytes || engine.messageBytes(L),
        blobBytes: engine.blobBytes,
        checks,
      }
      const rec: ScaleRecord = {
        peers: n,
        how: 'model',
        meshDegree,
        messageBytes: sizes.messageBytes,
        ...modelScale(n, sizes, { ...net, meshDegree }),
      }
      log(rec)
      records.push(rec)
    }
  }
  console.log(
    `\n| peers | how | bytes per peer per round | time to a full pool (median / p95) | ROLLOUTS message |\n| --- | --- | --- | --- | --- |`,
  )
  for (const r of records)
    console.log(
      `| ${r.peers} | ${r.how === 'memnet' ? 'real protocol, memnet' : `modelled, mesh degree ${r.meshDegree}`} | ${kb(r.bytesPerPeer)} | ${(r.fullPoolMs.median / 1000).toFixed(2)} s / ${(r.fullPoolMs.p95 / 1000).toFixed(2)} s | ${r.messageBytes} B |`,
    )
  return records
}

export interface ForgerRecord {
  seed: number
  /** Per honest peer, the first round whose report shows the forger dropped (null: never). */
  droppedAt: (number | null)[]
}

/** One forger (peer1, forgingCompute) among `--peers`: the round each honest peer drops it, over seeds. */
async function forger(engine: Engine, log: (r: unknown) => void): Promise<ForgerRecord[]> {
  const peers = Number(arg('peers', '8'))
  const rounds = Number(arg('rounds', '4'))
  const seeds = Number(arg('seeds', '20'))
  const E = Number(arg('external', '4'))
  const rate = Number(arg('check-rate', '0.5'))
  const records: ForgerRecord[] = []
  for (let s = 1; s <= seeds; s++) {
    const run = await runRlSwarm({
      peers,
      rounds,
      params: engine.params(swarmSeed(s)),
      mine: () => ({ external: E, grpo: engine.grpo, checkRate: rate, collectMs: 60_000 }),
      compute: (i) => (i === 0 ? forgingCompute(engine.compute()) : engine.compute()),
      book: engine.book,
      model: engine.model,
    })
    const droppedAt = run.reports.slice(1).map((reports) => {
      const r = reports.findIndex((x) => x.peers.find((p) => p.peer === 'peer1')?.dropped)
      return r < 0 ? null : r
    })
    const rec = { seed: s, droppedAt }
    log(rec)
    records.push(rec)
  }
  const c = checkCount(rate, E)
  const q = 1 - (1 - c / (E * (peers - 1))) ** E
  const formula = 1 - (1 - q) ** (peers - 1)
  const caught = (r: number) => records.filter((x) => x.droppedAt.some((d) => d !== null && d <= r)).length
  const all = (r: number) => records.filter((x) => x.droppedAt.every((d) => d !== null && d <= r)).length
  console.log(`\n${peers} peers, E = ${E}, ${c} checks a round (rate ${rate}), ${seeds} swarm seeds:`)
  console.log(`| round | some peer has dropped the forger | every honest peer has | formula (some peer) |`)
  console.log('| --- | --- | --- | --- |')
  for (let r = 0; r < rounds; r++)
    console.log(
      `| ${r} | ${caught(r)}/${seeds} | ${all(r)}/${seeds} | ${(1 - (1 - formula) ** (r + 1)).toFixed(3)} |`,
    )
  return records
}

async function main() {
  const engine = await loadEngine(arg('engine', 'real'), {
    // The shipped warm start (scripts/rl-warmstart.mjs) unless told otherwise; `--warmstart none` makes one.
    warmstart: arg('warmstart', 'public/rl/warmstart.lscp').replace(/^none$/, '') || undefined,
    warmSteps: Number(arg('warm-steps', '600')),
    cache: arg('warm-cache', 'node_modules/.cache/lockstep-sapo-warm.lscp'),
    log: (s) => console.error(s),
  })
  const suite = arg('suite', 'all')
  const log = (r: unknown) => console.log(JSON.stringify(r))
  console.log(`# SAPO (${engine.name})`)
  if (suite === 'profile') {
    const c = engine.compute()
    const p = { ...engine.params(swarmSeed(1)), local: 4 }
    const tasks = engine.book.tasksFor(p.seed, 0, 'x', 8)
    let t = performance.now()
    const lap = (what: string) => {
      console.log(what, Math.round(performance.now() - t), 'ms')
      t = performance.now()
    }
    await c.stateHash(engine.model)
    lap('stateHash')
    const g = await c.rollouts(engine.model, tasks, p.G, p.rule)
    lap('rollouts 8 groups')
    await c.rollouts(engine.model, tasks.slice(0, 1), p.G, p.rule)
    lap('rollouts 1 group')
    const scored = g.map((x, i) => ({
      ...x,
      rewards: x.completions.map((y) => engine.book.reward(tasks[i], y)),
    }))
    await c.update(engine.model, scored, engine.grpo)
    lap('update 8 groups')
  }
  if (suite === 'experiment' || suite === 'all') await experiment(engine, log)
  if (suite === 'scale' || suite === 'all') await scale(engine, log)
  if (suite === 'forger') await forger(engine, log)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
