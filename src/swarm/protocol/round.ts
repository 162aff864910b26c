// One round, as every peer runs it (docs/swarm.md, "A round"):
//   1. train H steps from the round's start model with this peer's batch seed; sign the receipt; commit;
//   2. check the commits this peer draws by re-execution, and publish verdicts (with evidence on a mismatch);
//   3. close the round (decide.ts): every expected peer committed, this peer's own checks done, every
//      member's verdicts in; the first candidate in leader order decides, everyone else follows the
//      best-ranked decision it can accept under the same inclusion rule (checked, no proven fault);
//   4. everyone fetches the included updates, averages them (aggregate.ts) and checks the model hash.
// It sees the peer only through a RoundContext (context.ts) and says how the round ended; the peer moves
// on to the new model, or resyncs (peer.ts).
import { keccak256, toBytes, type Hex } from 'viem'
import { SwarmProtocolError } from '../../errors/swarm.ts'
import { kernelsHash } from '../../receipts/kernels.ts'
import {
  eip712Domain,
  eip712Types,
  hashJson,
  signTrainingReceipt,
  trainingReceiptBody,
} from '../../receipts/training.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import { averageCheckpoints } from './aggregate.ts'
import type { RoundContext } from './context.ts'
import { agree, close, messages, roster, type RoundView } from './decide.ts'
import type { Commit, Decide } from './messages.ts'
import { batchSeed, draw, roundConfig, runId } from './params.ts'
import { checkCommit } from './verify.ts'

export interface RoundResult {
  round: number
  /** The step count of the new model. */
  step: number
  /** State hash of the averaged model: the same on every honest peer. */
  model: Hex
  /** Content hash of its checkpoint blob (what a newcomer fetches). */
  blob: Hex
  /** Held-out loss of the averaged model. */
  loss: number
  /** This peer's mean training loss over its H steps. */
  trainLoss: number
  leader: string
  /** hashJson of the decision's included list (peer, receipt, update, state each): what was averaged. */
  updates: Hex
  included: string[]
  excluded: { peer: string; reason: string }[]
  /** Bytes this peer moved during the round (gossip payloads and blobs). */
  bytes: { sent: number; received: number }
  ms: number
}

/** Where a round starts: its number and model, and whether this peer commits to it or only follows it. */
export interface RoundStart {
  round: number
  model: Checkpoint
  /** The model's state hash. */
  start: Hex
  /** False in the round a peer synced into: it follows that round and commits from the next one. */
  member: boolean
}

/**
 * How a round ended: agreed, with the new model (`result.blob` is the peer's to fill in once it keeps
 * the model), or `resync` when this peer missed the decision or sits on a fork that loses.
 */
export type RoundOutcome =
  'resync' | { result: Omit<RoundResult, 'blob'>; model: Checkpoint; included: string[]; excluded: string[] }

export async function runRound(ctx: RoundContext, at: RoundStart): Promise<RoundOutcome> {
  const { params: p, stats } = ctx
  const { round } = at
  const t0 = ctx.clock.now()
  const bytes0 = stats.gossipSent + stats.blobsSent
  const bytesIn0 = stats.gossipReceived + stats.blobsReceived
  const v: RoundView = { ctx, ...at, own: new Map(), judged: new Map() }
  const mine = v.member ? await commitOwn(ctx, round, v.start, v.model) : null
  if (mine) {
    messages(v).commits.set(ctx.self, mine.commit)
    await ctx.publish(mine.commit)
  }

  const checking = { done: false }
  const checker = checkLoop(v, checking)
  let decision: { d: Decide; from: string } | 'behind' | 'fork'
  try {
    decision = (await close(v, t0)) ?? (await agree(v))
  } finally {
    checking.done = true
    ctx.notify()
    await checker
  }
  // This peer missed the decision or sits on a minority model: fetch where the swarm is.
  if (decision === 'behind' || decision === 'fork') return 'resync'
  const { d, from } = decision
  const updates: Checkpoint[] = []
  for (const e of d.included) {
    const u = await ctx.fetchCheckpoint(e.update, [e.peer, from])
    if (stateHash(u.step, u.tensors) !== e.state)
      throw new SwarmProtocolError(`The update of ${e.peer} does not hash to the state the decision names.`)
    updates.push(u)
  }
  const next = averageCheckpoints(updates, p.config)
  const hash = stateHash(next.step, next.tensors)
  if (hash !== d.model)
    throw new SwarmProtocolError(`Round ${round}: averaging gave ${hash}, the decision says ${d.model}.`)
  const loss = await ctx.compute.evaluate(next)
  // Not waited for next round: the proven wrong, and anyone who accused an update the swarm accepted
  // (a follower's false accusations are not judged in the decision, but they are just as wrong).
  const accusers = [...messages(v).verdicts.values()]
    .filter(
      ({ v: x }) => x.fault && d.included.some((e) => e.peer === x.target && e.receiptHash === x.receiptHash),
    )
    .map(({ from }) => from)
  const included = d.included.map((e) => e.peer)
  const result = {
    round,
    step: next.step,
    model: hash,
    loss,
    trainLoss: mine?.loss ?? Number.NaN,
    leader: from,
    updates: hashJson(d.included),
    included: [...included], // the peer keeps `included` as last round's: a listener gets its own copy
    excluded: d.excluded.map(({ peer, reason }) => ({ peer, reason })),
    bytes: {
      sent: stats.gossipSent + stats.blobsSent - bytes0,
      received: stats.gossipReceived + stats.blobsReceived - bytesIn0,
    },
    ms: ctx.clock.now() - t0,
  }
  const excluded = d.excluded.filter((e) => e.reason !== 'unavailable').map((e) => e.peer)
  return { result, model: next, included, excluded: [...new Set([...excluded, ...accusers])] }
}

async function commitOwn(ctx: RoundContext, round: number, start: Hex, model: Checkpoint) {
  const { params: p, signer } = ctx
  const H = p.stepsPerRound
  const out = await ctx.compute.train(model, batchSeed(p, round, ctx.self), H)
  const checkpoints = out.checkpoints.map((c) => ctx.store.keep(c, round))
  const body = trainingReceiptBody({
    runId: runId(p, round, ctx.self),
    config: roundConfig(p, round, ctx.self),
    data: { ...p.data, split: 'train' },
    startStep: round * H,
    endStep: round * H + H,
    startStateHash: start,
    stepHashes: out.stepHashes,
    kernelsHash: kernelsHash(),
    producer: signer.address,
  })
  const receipt = await signTrainingReceipt(body, signer, p.target)
  const loss = out.losses.reduce((a, b) => a + b, 0) / H
  const commit: Commit = { type: 'commit', round, start, receipt, checkpoints, loss, seq: ctx.nextSeq() }
  return { commit, loss }
}

/**
 * This peer's secret draw for whom to check: a hash of its own signature over (round, start). The
 * signature is deterministic (RFC 6979) but nobody else can compute it before the verdicts are out.
 */
async function drawSeed(ctx: RoundContext, round: number, start: Hex): Promise<Hex> {
  const receiptHash = keccak256(toBytes(`${ctx.topic}/${round}/${start}`))
  const sig = await ctx.signer.signTypedData({
    domain: eip712Domain(ctx.params.target.chainId, ctx.params.target.verifyingContract),
    types: eip712Types,
    primaryType: 'Receipt',
    message: { kind: 'lockstep/swarm-draw', receiptHash },
  })
  return keccak256(sig)
}

/** Checks the commits this peer draws, as they arrive, until the round is decided. */
async function checkLoop(v: RoundView, state: { done: boolean }): Promise<void> {
  const { ctx, round, start, model } = v
  const seed = await drawSeed(ctx, round, start)
  v.seed = seed
  const done = new Set<string>()
  const m = messages(v)
  const next = () => {
    const drawn = draw(
      seed,
      [...roster(m, start).keys()].filter((x) => x !== ctx.self),
      ctx.params.checkers,
    )
    const x = drawn.find((x) => !done.has(x))
    return x === undefined ? undefined : ([x, m.commits.get(x)!] as const)
  }
  ctx.notify()
  while (!state.done && ctx.running) {
    const target = next()
    if (!target) {
      await ctx.until(() => state.done || next() !== undefined, Infinity)
      continue
    }
    const [who, commit] = target
    done.add(who)
    const result = await checkCommit(ctx, ctx.self, who, commit, model, seed).catch((e) => ({
      ok: false,
      fault: null,
      detail: String(e),
    }))
    ctx.stats.checks++
    if (result.fault) ctx.stats.faultsFound++
    const receiptHash = commit.receipt.receiptHash
    v.own.set(who, { receiptHash, ok: result.ok, fault: result.fault !== null })
    const verdict = {
      type: 'verdict' as const,
      round,
      start,
      target: who,
      receiptHash,
      ok: result.ok,
      fault: result.fault,
      seq: ctx.nextSeq(),
    }
    ctx.store.addVerdict(m, round, ctx.self, verdict)
    await ctx.publish(verdict)
    ctx.notify()
  }
}
