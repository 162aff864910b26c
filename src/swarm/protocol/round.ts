// One round, as every peer runs it (docs/swarm.md, "A round"):
//   1. train H steps from the round's start model with this peer's batch seed; sign the receipt; commit;
//   2. check the commits this peer draws by re-execution, and publish verdicts (with evidence on a mismatch);
//   3. close the round (decide.ts): every expected peer committed, this peer's own checks done, every
//      member's verdicts in; the first candidate in leader order decides, everyone else follows the
//      best-ranked decision it can accept under the same inclusion rule (checked, no proven fault);
//   4. everyone fetches the included updates, averages them (aggregate.ts) and checks the model hash.
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
import { agree, close, messages, roster, type RoundView } from './decide.ts'
import type { Commit, Decide } from './messages.ts'
import { batchSeed, draw, roundConfig, runId } from './params.ts'
import type { SwarmPeer } from './peer.ts'
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

export async function runRound(peer: SwarmPeer): Promise<RoundResult | null> {
  const { params: p, o } = peer
  const round = peer.round
  const t0 = Date.now()
  const bytes0 = peer.stats.gossipSent + peer.stats.blobsSent
  const bytesIn0 = peer.stats.gossipReceived + peer.stats.blobsReceived
  const v: RoundView = {
    peer,
    round,
    start: peer.modelHash,
    model: peer.model,
    // A peer that synced into this round follows it; it commits from the next one.
    member: peer.followOnly !== round,
    own: new Map(),
    judged: new Map(),
  }
  const mine = v.member ? await commitOwn(peer, round, v.start, v.model) : null
  if (mine) {
    messages(v).commits.set(peer.self, mine.commit)
    await peer.publish(mine.commit)
  }

  const checking = { done: false }
  const checker = checkLoop(v, checking)
  let decision: { d: Decide; from: string } | 'behind' | 'fork'
  try {
    decision = (await close(v, t0)) ?? (await agree(v))
  } finally {
    checking.done = true
    peer.notify()
    await checker
  }
  if (decision === 'behind' || decision === 'fork') {
    // This peer missed the decision or sits on a minority model: fetch where the swarm is.
    await peer.sync()
    return null
  }
  const { d, from } = decision
  const updates: Checkpoint[] = []
  for (const e of d.included) {
    const u = await peer.fetchCheckpoint(e.update, [e.peer, from])
    if (stateHash(u.step, u.tensors) !== e.state)
      throw new SwarmProtocolError(`The update of ${e.peer} does not hash to the state the decision names.`)
    updates.push(u)
  }
  const next = averageCheckpoints(updates, p.config)
  const hash = stateHash(next.step, next.tensors)
  if (hash !== d.model)
    throw new SwarmProtocolError(`Round ${round}: averaging gave ${hash}, the decision says ${d.model}.`)
  const loss = await o.compute.evaluate(next)
  // Not waited for next round: the proven wrong, and anyone who accused an update the swarm accepted
  // (a follower's false accusations are not judged in the decision, but they are just as wrong).
  const accusers = [...messages(v).verdicts.values()]
    .filter(
      ({ v: x }) => x.fault && d.included.some((e) => e.peer === x.target && e.receiptHash === x.receiptHash),
    )
    .map(({ from }) => from)
  await peer.advance(
    next,
    d.included.map((e) => e.peer),
    [...new Set([...d.excluded.filter((e) => e.reason !== 'unavailable').map((e) => e.peer), ...accusers])],
  )
  return {
    round,
    step: next.step,
    model: hash,
    blob: peer.modelBlob,
    loss,
    trainLoss: mine?.loss ?? Number.NaN,
    leader: from,
    updates: hashJson(d.included),
    included: d.included.map((e) => e.peer),
    excluded: d.excluded.map(({ peer, reason }) => ({ peer, reason })),
    bytes: {
      sent: peer.stats.gossipSent + peer.stats.blobsSent - bytes0,
      received: peer.stats.gossipReceived + peer.stats.blobsReceived - bytesIn0,
    },
    ms: Date.now() - t0,
  }
}

async function commitOwn(peer: SwarmPeer, round: number, start: Hex, model: Checkpoint) {
  const { params: p, o } = peer
  const H = p.stepsPerRound
  const out = await o.compute.train(model, batchSeed(p, round, peer.self), H)
  const checkpoints = out.checkpoints.map((c) => peer.store.keep(c, round))
  const body = trainingReceiptBody({
    runId: runId(p, round, peer.self),
    config: roundConfig(p, round, peer.self),
    data: { ...p.data, split: 'train' },
    startStep: round * H,
    endStep: round * H + H,
    startStateHash: start,
    stepHashes: out.stepHashes,
    kernelsHash: kernelsHash(),
    producer: o.signer.address,
  })
  const receipt = await signTrainingReceipt(body, o.signer, p.target)
  const loss = out.losses.reduce((a, b) => a + b, 0) / H
  const commit: Commit = { type: 'commit', round, start, receipt, checkpoints, loss, seq: peer.nextSeq() }
  return { commit, loss }
}

/**
 * This peer's secret draw for whom to check: a hash of its own signature over (round, start). The
 * signature is deterministic (RFC 6979) but nobody else can compute it before the verdicts are out.
 */
async function drawSeed(peer: SwarmPeer, round: number, start: Hex): Promise<Hex> {
  const receiptHash = keccak256(toBytes(`${peer.topic}/${round}/${start}`))
  const sig = await peer.o.signer.signTypedData({
    domain: eip712Domain(peer.params.target.chainId, peer.params.target.verifyingContract),
    types: eip712Types,
    primaryType: 'Receipt',
    message: { kind: 'lockstep/swarm-draw', receiptHash },
  })
  return keccak256(sig)
}

/** Checks the commits this peer draws, as they arrive, until the round is decided. */
async function checkLoop(v: RoundView, state: { done: boolean }): Promise<void> {
  const { peer, round, start, model } = v
  const seed = await drawSeed(peer, round, start)
  v.seed = seed
  const done = new Set<string>()
  const m = messages(v)
  const next = () => {
    const drawn = draw(
      seed,
      [...roster(m, start).keys()].filter((x) => x !== peer.self),
      peer.params.checkers,
    )
    const x = drawn.find((x) => !done.has(x))
    return x === undefined ? undefined : ([x, m.commits.get(x)!] as const)
  }
  peer.notify()
  while (!state.done && peer.running) {
    const target = next()
    if (!target) {
      await peer.until(() => state.done || next() !== undefined, Infinity)
      continue
    }
    const [who, commit] = target
    done.add(who)
    const result = await checkCommit(peer.context(), peer.self, who, commit, model, seed).catch((e) => ({
      ok: false,
      fault: null,
      detail: String(e),
    }))
    peer.stats.checks++
    if (result.fault) peer.stats.faultsFound++
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
      seq: peer.nextSeq(),
    }
    peer.store.addVerdict(m, round, peer.self, verdict)
    await peer.publish(verdict)
    peer.notify()
  }
}
