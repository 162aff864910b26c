// The swarm's fault judge under fire. A producer lies (a commitment, a blob, a header, its loss, a field
// of its commit, or it trains consistently under another config) and an honest checker checks it; or a
// checker lies about an honest producer (its claim, its blob, any field of its fault). checkCommit must
// refuse every lying commit and never an honest one; judgeFault must name the liar and never the honest.
// Re-executions are cached by (state, config, seed, steps): the checks replay the same steps again and again.
import type { Hex } from 'viem'
import { hashJson, signTrainingReceipt, trainingReceiptBody } from '../receipts/training.ts'
import { sampleSteps } from '../receipts/replay.ts'
import { stateHash } from '../train/state.ts'
import type { Checkpoint, TrainConfig } from '../train/trainer.ts'
import { testSigner } from '../swarm/sim/swarm.ts'
import type { SwarmCompute, TrainOutput } from '../swarm/protocol/compute.ts'
import {
  decodeMessage,
  encodeMessage,
  type Commit,
  type Fault,
  type Message,
} from '../swarm/protocol/messages.ts'
import { roundConfig } from '../swarm/protocol/params.ts'
import { commitOf, honestRun, judgeBench, type JudgeBench } from '../swarm/protocol/testing.ts'
import {
  checkCommit,
  commitProblem,
  committed,
  faultRunId,
  judgeFault,
  type VerifyContext,
} from '../swarm/protocol/verify.ts'
import { CONFIG_LIES, plantLie, type Rng } from './lies.ts'
import type { Tally } from './tally.ts'

const PRODUCER = 'p1'
const CHECKER = 'p2'
const JUDGE = 3

export interface SwarmBench {
  bench: JudgeBench
  ctx: (i: number) => VerifyContext
  honest: Commit
  honestOut: TrainOutput
  config: TrainConfig
}

/** A compute whose runs are cached: a check replays the same steps from the same state many times. */
function cached(inner: SwarmCompute): SwarmCompute {
  const runs = new Map<Hex, Promise<TrainOutput>>()
  return {
    ...inner,
    train(start, seed, steps) {
      const key = hashJson({ s: stateHash(start.step, start.tensors), c: { ...start.config, seed }, steps })
      let run = runs.get(key)
      if (!run) runs.set(key, (run = inner.train(start, seed, steps)))
      return run
    },
  }
}

export async function swarmBench(
  corpus: Uint8Array,
  stepsPerRound: number,
  checkSteps: number,
): Promise<SwarmBench> {
  const bench = await judgeBench(corpus, { stepsPerRound, checkSteps })
  const compute = cached(bench.compute)
  bench.compute = compute
  const ctx = (i: number) => ({ ...bench.context(i), compute })
  const honestOut = await honestRun(bench, PRODUCER)
  const honest = await commitOf(bench, PRODUCER, 1, honestOut)
  return { bench, ctx, honest, honestOut, config: roundConfig(bench.params, 0, PRODUCER) }
}

const fakeHash = (r: Rng): Hex =>
  `0x${Array.from({ length: 64 }, () => '0123456789abcdef'[r.int(16)]).join('')}` as Hex

/** The producer's run with steps from `from` (1-based) trained under `trained`; headers honest or not. */
async function trainedLiar(sb: SwarmBench, trained: TrainConfig, from: number, lyingHeaders: boolean) {
  const { bench, config } = sb
  const H = bench.params.stepsPerRound
  const head = from > 1 ? await bench.compute.train({ ...bench.model, config }, config.seed, from - 1) : null
  const start = head ? head.checkpoints.at(-1)! : { ...bench.model, config }
  const tail = await bench.compute.train({ ...start, config: trained }, trained.seed, H - from + 1)
  const out: TrainOutput = {
    stepHashes: [...(head?.stepHashes ?? []), ...tail.stepHashes],
    losses: [...(head?.losses ?? []), ...tail.losses],
    checkpoints: [
      ...(head?.checkpoints ?? []),
      ...tail.checkpoints.map((c) => (lyingHeaders ? c : { ...c, config })),
    ],
  }
  return out
}

/** A producer lie checked by an honest checker (and any fault judged): refused, never accepted. */
async function producerCase(
  sb: SwarmBench,
  tally: Tally,
  kind: string,
  path: string,
  commit: Commit,
  r: Rng,
) {
  tally.count('swarm', kind)
  const miss = (detail: string) => ({ arena: 'swarm', kind, path, detail })
  if (!decodes({ ...commit })) return // the schema refuses it on arrival
  const problem = await commitProblem(sb.bench.params, PRODUCER, commit)
  if (problem) return // refused before any check: a commit that is not a valid update is never stored
  // A sampled check draws its steps from the checker's seed: two cases in three get a seed whose draw
  // looks where the lie is (when one does), so sampled lies are caught, not just skipped.
  let seed = fakeHash(r)
  if (sb.bench.params.checkSteps < sb.bench.params.stepsPerRound && r.int(3) > 0)
    for (let i = 0; i < 32; i++) {
      const drawn = sampleSteps(commit.receipt, sb.bench.params.checkSteps, seed)
      if (drawn.some((s) => touches(commit, sb, s))) break
      seed = fakeHash(r)
    }
  const H = sb.bench.params.stepsPerRound
  const result = await checkCommit(sb.ctx(2), CHECKER, PRODUCER, commit, sb.bench.model, seed).catch((e) => ({
    ok: false,
    fault: null,
    detail: String(e),
  }))
  if (result.ok) {
    // A sampled check may miss a lie it did not draw: that is the sampling's stated limit, not a miss.
    // The loss a commit reports is covered by full checks only (it is shown, never used by the protocol).
    const drawn = sampleSteps(commit.receipt, sb.bench.params.checkSteps, seed)
    if (sb.bench.params.checkSteps < H && commit.loss !== sb.honest.loss)
      tally.refused('swarm', 'producer.commit.loss (sampled: uncovered)')
    else if (sb.bench.params.checkSteps >= H || drawn.some((s) => touches(commit, sb, s)))
      tally.missed(miss(`checkCommit passed it: ${result.detail}`))
    else tally.refused('swarm', `${kind} (not drawn)`)
    return
  }
  if (!result.fault) return // refused without evidence: the update is not vouched for, the leader re-executes
  const wrong = await judgeFault(sb.ctx(JUDGE), CHECKER, PRODUCER, commit, result.fault, sb.bench.model)
  if (wrong.includes('checker')) tally.convicted(miss('the honest checker was named'))
  if (!wrong.includes('producer')) tally.missed(miss(`judge named ${wrong}`))
}

/** Whether a message survives the wire: encoded, then decoded as every peer decodes what it receives. */
function decodes(m: unknown): boolean {
  try {
    decodeMessage(encodeMessage(m as Message))
    return true
  } catch {
    return false
  }
}

/** Whether drawing step s would look at what differs from the honest commit (its commitment or blob before). */
function touches(commit: Commit, sb: SwarmBench, s: number): boolean {
  const b = commit.receipt.body
  return (
    b.stepHashes[s - 1] !== sb.honest.receipt.body.stepHashes[s - 1] ||
    (s > 1 && commit.checkpoints[s - 2] !== sb.honest.checkpoints[s - 2]) ||
    (s > 1 && b.stepHashes[s - 2] !== sb.honest.receipt.body.stepHashes[s - 2])
  )
}

/** A checker's signed one-step receipt claiming `claim` after `step`, from `before` (blob or null). */
async function fault(sb: SwarmBench, step: number, before: Hex | null, claim: Hex): Promise<Fault> {
  const r = sb.honest.receipt
  const signer = testSigner(2)
  const body = trainingReceiptBody({
    runId: faultRunId(CHECKER, r.receiptHash),
    config: r.body.config,
    data: r.body.data,
    startStep: step - 1,
    endStep: step,
    startStateHash: committed(r, step - 1),
    stepHashes: [claim],
    kernelsHash: r.body.kernelsHash,
    producer: signer.address,
  })
  return {
    step,
    before,
    receipt: r,
    checker: await signTrainingReceipt(body, signer, sb.bench.params.target),
  }
}

/** A checker lie about the honest producer, judged: the checker named or the fault refused, never the producer. */
async function checkerCase(sb: SwarmBench, tally: Tally, kind: string, path: string, f: Fault) {
  tally.count('swarm', kind)
  const miss = (detail: string) => ({ arena: 'swarm', kind, path, detail })
  const h = sb.honest
  const verdict = {
    type: 'verdict',
    round: 0,
    start: h.start,
    target: PRODUCER,
    receiptHash: h.receipt.receiptHash,
  }
  if (!decodes({ ...verdict, ok: false, fault: f })) return // the schema refuses it on arrival
  let wrong: string[]
  try {
    wrong = await judgeFault(sb.ctx(JUDGE), CHECKER, PRODUCER, sb.honest, f, sb.bench.model)
  } catch (e) {
    // Only a blob nobody holds proves nothing; anything else is the checker's word and must name it.
    if (f.before !== null && !sb.bench.blobs.has(f.before)) tally.refused('swarm', kind)
    else tally.missed(miss(`judge threw: ${e instanceof Error ? e.message : e}`))
    return
  }
  if (wrong.includes('producer')) tally.convicted(miss(`judge named ${wrong}`))
  if (!wrong.includes('checker')) tally.missed(miss(`judge named ${wrong}`))
}

export async function swarmCases(sb: SwarmBench, tally: Tally, n: number, r: Rng): Promise<void> {
  const { bench, honest, config } = sb
  // Honest producer, honest checker: never a fault (each draw).
  if (await commitProblem(bench.params, PRODUCER, honest)) throw new Error('the honest commit is refused')
  for (let i = 0; i < 8; i++) {
    tally.count('swarm', 'honest')
    const res = await checkCommit(sb.ctx(2), CHECKER, PRODUCER, honest, bench.model, fakeHash(r))
    if (!res.ok) tally.convicted({ arena: 'swarm', kind: 'honest', path: '', detail: res.detail })
  }
  // Producers that trained under another config for the last step, with lying or honest headers.
  const H = bench.params.stepsPerRound
  for (const [field, change] of CONFIG_LIES)
    for (const lyingHeaders of [true, false]) {
      const out = await trainedLiar(sb, change(config), H, lyingHeaders)
      // Some fields change nothing this early (minLr and steps shape the schedule's end): the same
      // computation, so with honest headers there is no lie to catch.
      if (!lyingHeaders && out.stepHashes.join() === sb.honestOut.stepHashes.join()) {
        tally.refused('swarm', `producer.config.${field} (no effect: not a lie)`)
        continue
      }
      const commit = await commitOf(bench, PRODUCER, 1, out)
      const kind = `producer.config.${field}${lyingHeaders ? '+header' : ''}`
      for (let i = 0; i < 3; i++) await producerCase(sb, tally, kind, `step ${H}`, commit, r)
    }
  // Base lies by a checker: a made-up claim at each step, from the producer's own blob (or the start).
  const base = await Promise.all(
    Array.from({ length: H }, (_, i) =>
      fault(sb, i + 1, i === 0 ? null : honest.checkpoints[i - 1], fakeHash(r)),
    ),
  )
  // A checker re-serving the producer's blob with a config field changed in its header, claiming its replay.
  for (const [field, change] of CONFIG_LIES) {
    const step = 2 + r.int(H - 1)
    const own = (await bench.compute.train({ ...bench.model, config }, config.seed, step - 1)).checkpoints.at(
      -1,
    )!
    const forged: Checkpoint = { ...own, config: change(own.config) }
    const [claim] = (await bench.compute.train(forged, forged.config.seed, 1)).stepHashes
    const f = await fault(sb, step, bench.keep(forged), claim)
    await checkerCase(sb, tally, `checker.header.${field}`, `step ${step}`, f)
  }
  const producerLies = Math.floor(n / 3)
  for (let i = 0; i < n; i++) {
    if (i < producerLies) {
      const pick = r.int(10)
      if (pick < 2) {
        // One of its blobs changed and listed in the commit: tensors (another state) or header only.
        const j = r.int(H)
        const c = structuredClone(sb.honestOut.checkpoints[j])
        const header = pick === 1
        if (header) c.config = r.pick(CONFIG_LIES)[1](c.config)
        else c.tensors[r.int(c.tensors.length)].data[0] += 1e-3
        const checkpoints = honest.checkpoints.map((h, k) => (k === j ? bench.keep(c) : h))
        const kind = `producer.blob.${header ? 'header' : 'tensors'}`
        await producerCase(sb, tally, kind, `checkpoints[${j}]`, { ...honest, checkpoints }, r)
        continue
      }
      if (pick < 4) {
        // A commitment changed, the receipt re-signed: the blobs are the honest run's.
        const lie = plantLie(honest.receipt.body.stepHashes, r, (p) => /^\[\d+\]$/.test(p))
        const commit = await commitOf(bench, PRODUCER, 1, { ...sb.honestOut, stepHashes: lie.value })
        await producerCase(sb, tally, 'producer.receipt.stepHashes', `${lie.path} (${lie.how})`, commit, r)
        continue
      }
      // A lie planted anywhere in the commit message, its signed receipt included (not re-signed). Not in
      // `seq`: it is the sender's own ordering counter, and no value of it says anything about the work
      // (a replay's older seq is bounds.test.ts's).
      const lie = plantLie(honest, r, (p) => p !== 'type' && p !== 'seq')
      const kind = `producer.commit.${lie.path.split(/[.[]/)[0]}`
      await producerCase(sb, tally, kind, `${lie.path} (${lie.how})`, lie.value, r)
      continue
    }
    const f = r.pick(base)
    if (f.before !== null && r.int(8) === 0) {
      // It names a blob of another state (tensors changed) as the producer's state before the step.
      const c = structuredClone(sb.honestOut.checkpoints[f.step - 2])
      c.tensors[r.int(c.tensors.length)].data[0] += 1e-3
      await checkerCase(sb, tally, 'checker.blob.tensors', `step ${f.step}`, { ...f, before: bench.keep(c) })
      continue
    }
    if (r.int(3) === 0) {
      await checkerCase(sb, tally, 'checker.claim', `step ${f.step}`, f)
      continue
    }
    const lie = plantLie(f, r, (p) => !p.startsWith('receipt.signature'))
    await checkerCase(
      sb,
      tally,
      `checker.fault.${lie.path.split(/[.[]/)[0]}`,
      `${lie.path} (${lie.how})`,
      lie.value,
    )
  }
}
