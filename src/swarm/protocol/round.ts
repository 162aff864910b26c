// One round, as every peer runs it (docs/swarm.md, "A round"):
//   1. train H steps from the round's start model with this peer's batch seed; sign the receipt; commit;
//   2. check the commits this peer draws by re-execution, and publish verdicts (with evidence on a mismatch);
//   3. the leader (first in leaderOrder among the commits) closes the round once every expected peer has
//      committed and been checked, or at the deadlines; judges faults by replaying one step; publishes which
//      updates are averaged. If it is silent, the next in order decides after decideMs, and so on;
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
import type { Commit, Decide } from './messages.ts'
import { batchSeed, draw, leaderOrder, roundConfig, runId } from './params.ts'
import type { SwarmPeer } from './peer.ts'
import type { RoundMessages } from './store.ts'
import { checkCommit, judgeFault } from './verify.ts'

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
  included: string[]
  excluded: { peer: string; reason: string }[]
  /** Bytes this peer moved during the round (gossip payloads and blobs). */
  bytes: { sent: number; received: number }
  ms: number
}

export async function runRound(peer: SwarmPeer): Promise<RoundResult | null> {
  const { params: p, o } = peer
  const round = peer.round
  const start = peer.modelHash
  const model = peer.model
  const t0 = Date.now()
  const bytes0 = peer.stats.gossipSent + peer.stats.blobsSent
  const bytesIn0 = peer.stats.gossipReceived + peer.stats.blobsReceived
  const msgs = () => peer.store.at(round, peer.round)!
  const mine = await commitOwn(peer, round, start, model)
  msgs().commits.set(peer.self, mine.commit)
  await peer.publish(mine.commit)

  const faults = new Set<string>()
  const checking = { done: false }
  const checker = checkLoop(peer, round, start, model, faults, checking)
  let decision: { d: Decide; from: string }
  try {
    decision = await decide(peer, round, start, model, t0, faults)
  } finally {
    checking.done = true
    peer.notify()
    await checker
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
  await peer.advance(
    next,
    d.included.map((e) => e.peer),
  )
  return {
    round,
    step: next.step,
    model: hash,
    blob: peer.modelBlob,
    loss,
    trainLoss: mine.loss,
    leader: from,
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
  const commit: Commit = { type: 'commit', round, start, receipt, checkpoints, loss }
  return { commit, loss }
}

/**
 * Peers the leader waits for: those still connected that were averaged last round or took part in it
 * (a newcomer checks others the round it arrives, so it is waited for from the next), and itself.
 * After a sync, when last round is unknown, everyone connected.
 */
function expected(peer: SwarmPeer): string[] {
  const connected = peer.o.net.peers(peer.topic)
  const base = peer.previous
  const wanted = (x: string) => !base || base.includes(x) || (peer.active.get(x) ?? -1) >= peer.round - 1
  return [...new Set([...connected.filter(wanted), peer.self])]
}

/** Commits of this round that build on `start`. */
const roster = (m: RoundMessages, start: Hex) => new Map([...m.commits].filter(([, c]) => c.start === start))

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

async function checkLoop(
  peer: SwarmPeer,
  round: number,
  start: Hex,
  model: Checkpoint,
  faults: Set<string>,
  state: { done: boolean },
): Promise<void> {
  const seed = await drawSeed(peer, round, start)
  const done = new Set<string>()
  const m = peer.store.at(round, peer.round)!
  const next = () => {
    const drawn = draw(
      seed,
      [...roster(m, start).keys()].filter((x) => x !== peer.self),
      peer.params.checkers,
    )
    const x = drawn.find((x) => !done.has(x))
    return x === undefined ? undefined : ([x, m.commits.get(x)!] as const)
  }
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
    if (result.fault) {
      faults.add(who)
      peer.stats.faultsFound++
    }
    const verdict = {
      type: 'verdict' as const,
      round,
      start,
      target: who,
      receiptHash: commit.receipt.receiptHash,
      ok: result.ok,
      fault: result.fault,
    }
    peer.store.addVerdict(m, round, peer.self, verdict)
    await peer.publish(verdict)
    peer.notify()
  }
}

/** Waits for the leader's decision, or makes it when this peer's turn comes (rank × decideMs after the checks). */
async function decide(
  peer: SwarmPeer,
  round: number,
  start: Hex,
  model: Checkpoint,
  t0: number,
  faults: Set<string>,
): Promise<{ d: Decide; from: string }> {
  const { timing, checkers } = peer.params
  const m = peer.store.at(round, peer.round)!
  const allCommitted = () => expected(peer).every((x) => m.commits.get(x)?.start === start)
  await peer.until(() => allCommitted() || best() !== undefined, t0 + timing.commitMs)
  const tClose = Date.now()
  const checked = () => {
    const r = roster(m, start)
    // Every member checks `checkers` others (all, in a small swarm): done when each has spoken that often.
    const want = Math.min(checkers, r.size - 1)
    const count = new Map<string, number>()
    for (const { from, v } of m.verdicts.values())
      if (v.start === start) count.set(from, (count.get(from) ?? 0) + 1)
    return [...r.keys()].every((x) => (count.get(x) ?? 0) >= want)
  }
  await peer.until(() => checked() || best() !== undefined, tClose + timing.verifyMs)
  const tChecked = Date.now()
  function best(): { d: Decide; from: string; rank: number } | undefined {
    const order = leaderOrder(start, [...roster(m, start).keys()])
    return [...m.decides]
      .map(([from, d]) => ({ d, from, rank: order.indexOf(from) }))
      .filter((x) => x.rank >= 0 && x.d.start === start && acceptable(peer, x.d, faults))
      .sort((a, b) => a.rank - b.rank)[0]
  }
  for (;;) {
    const order = leaderOrder(start, [...roster(m, start).keys()])
    const rank = order.indexOf(peer.self)
    const found = best()
    if (found && found.rank < rank) return found
    if (Date.now() >= tChecked + rank * timing.decideMs) {
      const d = await lead(peer, round, start, model)
      await peer.publish(d)
      return { d, from: peer.self }
    }
    if (!peer.running) throw new SwarmProtocolError('Stopped.')
    await peer.until(() => best() !== undefined, tChecked + rank * timing.decideMs)
  }
}

/**
 * Whether this peer can follow a decision: it must not average an update this peer itself found faulty,
 * nor call this peer a false accuser when its re-execution differed (it knows its own work is right).
 */
function acceptable(peer: SwarmPeer, d: Decide, faults: Set<string>): boolean {
  if (d.included.length === 0) return false
  if (d.included.some((e) => faults.has(e.peer))) return false
  if (faults.size && d.excluded.some((e) => e.peer === peer.self && e.reason === 'false-accusation'))
    return false
  const m = peer.store.at(d.round, peer.round)
  return d.included.every((e, i) => {
    const c = m?.commits.get(e.peer)
    const sorted = i === 0 || d.included[i - 1].peer < e.peer
    return sorted && (!c || (c.receipt.receiptHash === e.receiptHash && c.checkpoints.at(-1) === e.update))
  })
}

async function lead(peer: SwarmPeer, round: number, start: Hex, model: Checkpoint): Promise<Decide> {
  const m = peer.store.at(round, peer.round)!
  const members = roster(m, start)
  const excluded: Decide['excluded'] = []
  const out = (x: string) => excluded.some((e) => e.peer === x)
  for (const { from, v } of m.verdicts.values()) {
    const commit = members.get(v.target)
    if (!v.fault || !commit || v.receiptHash !== commit.receipt.receiptHash || out(v.target) || out(from))
      continue
    const wrong = await judgeFault(peer.context(), from, v.target, commit, v.fault, model).catch(
      () => [] as string[],
    )
    const evidence = hashJson(v)
    if (wrong.includes('producer')) excluded.push({ peer: v.target, reason: 'fault', evidence })
    if (wrong.includes('checker')) excluded.push({ peer: from, reason: 'false-accusation', evidence })
  }
  const included: Decide['included'] = []
  const updates: Checkpoint[] = []
  for (const x of [...members.keys()].sort()) {
    if (out(x)) continue
    const c = members.get(x)!
    const update = c.checkpoints.at(-1)!
    const u = await peer.fetchCheckpoint(update, [x]).catch(() => null)
    if (!u || stateHash(u.step, u.tensors) !== c.receipt.body.endStateHash) {
      excluded.push({ peer: x, reason: 'unavailable', evidence: null })
      continue
    }
    included.push({ peer: x, receiptHash: c.receipt.receiptHash, update, state: c.receipt.body.endStateHash })
    updates.push(u)
  }
  const next = averageCheckpoints(updates, peer.params.config)
  return {
    type: 'decide',
    round,
    start,
    included,
    excluded,
    model: stateHash(next.step, next.tensors),
    blob: peer.store.keep(next, round + 1),
  }
}
