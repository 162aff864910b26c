// Closing a round and agreeing on its decision (docs/swarm.md, "Closing a round" and "Safety"). The rule
// that keeps honest peers safe does not depend on the clock: an update is averaged only when it has been
// checked (an equal re-execution by a member other than its producer, or by the deciding peer itself) and
// no fault held against it is proven by replaying its step; every honest peer re-applies that rule to the
// decision it follows. Deadlines only decide how long a peer waits (liveness), never what is accepted.
import type { Hex } from 'viem'
import { hashJson } from '../../receipts/training.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import { averageCheckpoints } from './aggregate.ts'
import type { Commit, Decide, Verdict } from './messages.ts'
import { batchSeed, draw, leaderOrder } from './params.ts'
import type { RoundContext } from './context.ts'
import type { RoundMessages } from './store.ts'
import { judgeFault } from './verify.ts'
import { SwarmProtocolError } from '../../errors/swarm.ts'

/** One peer's view of one round, shared by its check loop and its decision. */
export interface RoundView {
  ctx: RoundContext
  round: number
  start: Hex
  model: Checkpoint
  /** Whether this peer committed this round (a peer that just synced only follows). */
  member: boolean
  /** This peer's own check results, by producer. */
  own: Map<string, { receiptHash: Hex; ok: boolean; fault: boolean }>
  /** This peer's secret check draw seed, once known. */
  seed?: Hex
  /** Who may lead: the commits held when this peer closed the round, in leader order. */
  candidates?: string[]
  judged: Map<Hex, Promise<('producer' | 'checker')[] | null>>
}

export const messages = (v: RoundView): RoundMessages => v.ctx.store.at(v.round, v.round)!

/** Commits of this round that build on `start`. */
export const roster = (m: RoundMessages, start: Hex) =>
  new Map([...m.commits].filter(([, c]) => c.start === start))

const connected = (ctx: RoundContext) => new Set(ctx.connected())

/**
 * Peers whose commit is waited for: connected peers that were averaged last round, or that took part in
 * it (a newcomer checks others the round it arrives and is waited for from the next), or a newcomer this
 * peer answered last round or whose `joined` named last round — not those last round excluded for a proven fault or false accusation, nor
 * senders of invalid messages, nor a newcomer this peer answered this round (it follows this round).
 * After a sync, when last round is unknown, everyone connected. The answered newcomer is waited for even
 * if none of its messages arrived in time: a peer alone runs a tiny model's rounds in milliseconds, and
 * would otherwise be rounds ahead before a newcomer has fetched its checkpoint, for ever.
 */
export function expected(ctx: RoundContext, round: number): string[] {
  const m = ctx.members
  const base = m.previous
  const wanted = (x: string) =>
    m.score(x) >= 0 &&
    !m.elsewhere(x, round) &&
    !m.previousExcluded.includes(x) &&
    m.joining.get(x) !== round &&
    (!base || base.includes(x) || (m.active.get(x) ?? -1) >= round - 1 || m.joining.get(x) === round - 1)
  return ctx.connected().filter(wanted)
}

/** This peer's verdicts count, and whether each roster member has given as many as it owes. */
function verdictCounts(v: RoundView) {
  const m = messages(v)
  const r = roster(m, v.start)
  const want = Math.min(v.ctx.params.checkers, r.size - 1)
  const count = new Map<string, number>()
  for (const { from, v: x } of m.verdicts.values())
    if (x.start === v.start && r.has(x.target)) count.set(from, (count.get(from) ?? 0) + 1)
  return { r, want, count }
}

/** The peers this peer itself checks among `xs` (its draw over the roster it holds). */
function drawn(v: RoundView, xs: string[]): string[] {
  if (!v.seed) return []
  const others = [...roster(messages(v), v.start).keys()].filter((x) => x !== v.ctx.self)
  const mine = new Set(draw(v.seed, others, v.ctx.params.checkers))
  return xs.filter((x) => mine.has(x))
}

/** A majority of the connected peers already committed to the next round: this peer missed a decision. */
export function behind(v: RoundView): boolean {
  const next = v.ctx.store.at(v.round + 1, v.round)
  const peers = connected(v.ctx)
  const ahead = [...(next?.commits.keys() ?? [])].filter((x) => peers.has(x)).length
  return ahead > 0 && ahead * 2 > peers.size
}

/**
 * Fork choice: this peer is on a fork when more connected peers are on another chain than on its own.
 * A peer's position is the round and start of its newest commit or verdict; it is on this peer's chain
 * when that was this peer's start for that round too. Peers ahead of this one are left to `behind`, and
 * peers behind the rounds this peer remembers are not counted. An even split on the same round goes to
 * the smaller start hash, so both sides choose the same winner from the same messages and the loser
 * resyncs onto it; without that rule two halves would each wait for the other forever.
 *
 * `wait`: an even split whose other side is one round behind (it has not committed to this round yet).
 * Judged now, this side would see it a round back and keep its chain while the other side, a moment later,
 * sees this one on the same round and keeps its own when its start is smaller: neither yields, and on a
 * loaded machine that went on for rounds. So this side waits for their commits to this round and both
 * compare the same two starts. A rival that resyncs meanwhile (its hello was answered this round) is not
 * waited for.
 */
export function forkChoice(v: RoundView): 'fork' | 'stay' | 'wait' {
  const { members } = v.ctx
  let mine = 1
  let theirs = 0
  let older = false
  let lagging = false
  const rivals = new Set<string>()
  for (const x of connected(v.ctx)) {
    const at = members.positions.get(x)
    if (!at || at.round > v.round) continue
    const ours = members.history.get(at.round)
    if (ours === undefined) continue
    if (ours === at.start) mine++
    else {
      theirs++
      if (at.round === v.round) rivals.add(at.start)
      else older = true
      if (at.round === v.round - 1 && members.joining.get(x) !== v.round) lagging = true
    }
  }
  if (theirs !== mine) return theirs > mine ? 'fork' : 'stay'
  if (lagging) return 'wait'
  const [rival] = rivals
  return !older && rivals.size === 1 && rival < v.start ? 'fork' : 'stay'
}

const decided = (v: RoundView) => [...messages(v).decides.values()].some((d) => d.start === v.start)

/**
 * Waits until the round can be decided: every expected peer has committed (or commitMs, counted from the
 * round's start), this peer has made all its own checks (no deadline: it is local work), then every
 * connected member has sent its verdicts (or verifyMs, counted from the end of this peer's own checks).
 * A decision that arrives meanwhile ends the last wait: the follower then judges it on what it holds.
 */
export async function close(v: RoundView, t0: number): Promise<'behind' | 'fork' | undefined> {
  const { ctx, start } = v
  const { commitMs, verifyMs } = ctx.params.timing
  const m = messages(v)
  const allCommitted = () => expected(ctx, v.round).every((x) => m.commits.has(x))
  await ctx.until(() => allCommitted() || decided(v) || behind(v), t0 + commitMs)
  if (forkChoice(v) === 'wait')
    await ctx.until(() => forkChoice(v) !== 'wait' || decided(v) || behind(v), t0 + commitMs)
  if (behind(v) && !decided(v)) return 'behind'
  if (forkChoice(v) === 'fork') return 'fork'
  const ownDone = () => {
    if (!v.member) return true
    const { want, count } = verdictCounts(v)
    return (count.get(ctx.self) ?? 0) >= want
  }
  await ctx.until(ownDone, Infinity)
  const everyone = () => {
    const { r, want, count } = verdictCounts(v)
    const peers = connected(ctx)
    return [...r.keys()].every((x) => (x !== ctx.self && !peers.has(x)) || (count.get(x) ?? 0) >= want)
  }
  await ctx.until(() => everyone() || decided(v) || behind(v), ctx.clock.now() + verifyMs)
  v.candidates = leaderOrder(start, [...roster(m, start).keys()])
  const previous = ctx.members.previous?.filter((x) => v.candidates!.includes(x))
  // A peer averaged last round is waited for by everyone, so every honest peer holds its commit: the
  // candidates are the same everywhere. A newcomer does not lead the first round it commits.
  if (previous?.length) v.candidates = v.candidates.filter((x) => previous.includes(x))
  return undefined
}

/**
 * Follows the best-ranked decision this peer can accept, or makes it when its turn comes. A candidate is
 * skipped when it has left, when its decision is refused, or — for liveness only — when it stays silent
 * past (rank + 1) × decideMs after this peer closed the round.
 */
export async function agree(v: RoundView): Promise<{ d: Decide; from: string } | 'behind'> {
  const { ctx, start } = v
  const { decideMs } = ctx.params.timing
  const m = messages(v)
  const tClosed = ctx.clock.now()
  const verdicts = new Map<string, Promise<boolean>>()
  for (;;) {
    if (!ctx.running) throw new SwarmProtocolError('Stopped.')
    const peers = connected(ctx)
    // A peer that only follows holds too little to rank by commits: any decision on its start is a
    // candidate, and it re-executes whatever it has not seen checked.
    const senders = [...m.decides].filter(([, d]) => d.start === start).map(([x]) => x)
    const candidates = v.member
      ? (v.candidates ?? [])
      : leaderOrder(start, [...new Set([...(v.candidates ?? []), ...senders])])
    let waitFor: { x: string; deadline: number } | undefined
    for (const [i, x] of candidates.entries()) {
      const d = m.decides.get(x)
      if (d && d.start === start) {
        if (!verdicts.has(x)) verdicts.set(x, accept(v, d))
        if (await verdicts.get(x)) return { d, from: x }
        continue
      }
      if (x === ctx.self) {
        const d = await lead(v)
        await ctx.publish(d)
        return { d, from: ctx.self }
      }
      const deadline = tClosed + (i + 1) * decideMs
      if (!peers.has(x) || ctx.clock.now() >= deadline) continue
      waitFor = { x, deadline }
      break
    }
    if (behind(v) || (!waitFor && peers.size === 0)) return 'behind'
    // Nobody left to wait for: wait for any new decision a while, then resync.
    const { x, deadline } = waitFor ?? { x: '', deadline: tClosed + (candidates.length + 1) * decideMs }
    if (!waitFor && ctx.clock.now() >= deadline) return 'behind'
    // A new decision, or one that replaced its sender's (from a chain the sender has since left).
    const seen = new Map(m.decides)
    const changed = () => m.decides.size !== seen.size || [...m.decides].some(([k, d]) => seen.get(k) !== d)
    await ctx.until(() => changed() || (x !== '' && !ctx.connected().includes(x)) || behind(v), deadline)
  }
}

/** Judges a fault verdict once per round by replaying its step; null when its evidence proves nothing. */
function judge(v: RoundView, from: string, x: Verdict, c: Commit) {
  const key = hashJson(x)
  if (!v.judged.has(key))
    v.judged.set(
      key,
      judgeFault(v.ctx, from, x.target, c, x.fault!, v.model).catch(() => null),
    )
  return v.judged.get(key)!
}

/** Fault verdicts from members against this commit, in a fixed order (by checker). */
function faultsAgainst(v: RoundView, c: Commit, target: string) {
  const m = messages(v)
  const r = roster(m, v.start)
  return [...m.verdicts.values()]
    .filter(
      ({ from, v: x }) =>
        x.target === target &&
        x.fault &&
        x.receiptHash === c.receipt.receiptHash &&
        r.has(from) &&
        from !== target,
    )
    .sort((a, b) => (a.from < b.from ? -1 : 1))
}

/** Equal checks by others it takes to spare this peer re-executing an update it did not check itself. */
const VOUCHERS = 2

/**
 * Whether this update was checked: this peer re-executed it equal itself, or VOUCHERS members other than
 * its producer did (distinct senders). One vouch is not enough: a single colluding member would let a
 * faulty update in unchecked whenever no honest peer drew it.
 */
function supported(v: RoundView, target: string, receiptHash: Hex): boolean {
  const mine = v.own.get(target)
  if (mine?.ok && mine.receiptHash === receiptHash) return true
  const r = roster(messages(v), v.start)
  const vouchers = new Set<string>()
  for (const { from, v: x } of messages(v).verdicts.values())
    if (x.ok && x.target === target && x.receiptHash === receiptHash && from !== target && r.has(from))
      vouchers.add(from)
  return vouchers.size >= VOUCHERS
}

/** Re-executes `target`'s H steps from the round's start: whether they end on `state`. */
async function reexecute(v: RoundView, target: string, state: Hex): Promise<boolean> {
  const p = v.ctx.params
  const out = await v.ctx.compute.train(v.model, batchSeed(p, v.round, target), p.stepsPerRound)
  return out.stepHashes.at(-1) === state
}

/**
 * Whether a decision's exclusion is one this peer knows to be false: an update it re-executed equal called
 * a fault, a peer called a false accuser for a fault this peer found too, this peer itself left out
 * without a proof that holds (the evidence names a verdict; replaying its step must prove this peer
 * wrong), or an update called `unavailable` whose blob this peer holds (an honest leader asks every
 * connected peer for it before giving up). Only a lying leader excludes so (an honest one excludes on
 * replays, which come out the same everywhere); following it would drop honest work and count honest
 * peers as proven wrong.
 */
async function wronged(v: RoundView, e: Decide['excluded'][number]): Promise<boolean> {
  const { ctx } = v
  const m = messages(v)
  if (e.reason === 'unavailable') {
    const c = m.commits.get(e.peer)
    return c?.start === v.start && ctx.store.blob(c.checkpoints.at(-1)!) !== undefined
  }
  const evidence = [...m.verdicts.values()].find(({ v: x }) => x.fault && hashJson(x) === e.evidence)
  if (e.peer === ctx.self) {
    if (!evidence) return true
    const c = m.commits.get(evidence.v.target)
    const proven = c && (await judge(v, evidence.from, evidence.v, c))
    const role = e.reason === 'fault' ? 'producer' : 'checker'
    const about = e.reason === 'fault' ? evidence.v.target : evidence.from
    return about !== ctx.self || !proven?.includes(role)
  }
  if (e.reason === 'fault') {
    const own = v.own.get(e.peer)
    return !!own?.ok && own.receiptHash === m.commits.get(e.peer)?.receipt.receiptHash
  }
  if (!evidence || evidence.from !== e.peer) return false
  const own = v.own.get(evidence.v.target)
  return !!own?.fault && own.receiptHash === evidence.v.receiptHash
}

/**
 * Whether this peer can follow a decision: it is well formed; it excludes no one this peer knows to be
 * right (`wronged`); and every included update is right as far as this peer can tell — it did not find
 * it faulty itself, no fault verdict it holds is proven by replaying the step, and it was checked by a
 * member other than its producer or, failing that, this peer re-executes it.
 */
async function accept(v: RoundView, d: Decide): Promise<boolean> {
  const { ctx } = v
  const m = messages(v)
  if (d.included.length === 0) return false
  const held = d.included.every((e, i) => {
    const c = m.commits.get(e.peer)
    const sorted = i === 0 || d.included[i - 1].peer < e.peer
    return sorted && (!c || (c.receipt.receiptHash === e.receiptHash && c.checkpoints.at(-1) === e.update))
  })
  if (!held) return false
  const others = d.included.filter((e) => e.peer !== ctx.self)
  // This peer's own drawn checks of the updates named come first (all of them, in a small swarm).
  await ctx.until(() => v.seed !== undefined, Infinity)
  const named = [...others, ...d.excluded].map((e) => e.peer)
  const mine = drawn(
    v,
    named.filter((x) => m.commits.get(x)?.start === v.start),
  )
  await ctx.until(() => mine.every((x) => v.own.has(x)), Infinity)
  for (const e of d.excluded) if (await wronged(v, e)) return false
  await ctx.until(
    () => others.every((e) => !m.commits.has(e.peer) || supported(v, e.peer, e.receiptHash)),
    ctx.clock.now() + ctx.params.timing.verifyMs,
  )
  for (const e of d.included) {
    if (e.peer === ctx.self) {
      if (m.commits.get(ctx.self)?.receipt.receiptHash !== e.receiptHash) return false
      continue
    }
    const own = v.own.get(e.peer)
    if (own?.fault && own.receiptHash === e.receiptHash) return false
    const c = m.commits.get(e.peer)
    if (c) {
      for (const { from, v: x } of faultsAgainst(v, c, e.peer))
        if ((await judge(v, from, x, c))?.includes('producer')) return false
      if (supported(v, e.peer, e.receiptHash)) continue
    }
    if (!(await reexecute(v, e.peer, e.state))) return false
  }
  return true
}

/**
 * The decision: every fault verdict among the members is judged by replaying its step (a proven-wrong
 * producer is excluded as `fault`, a proven-wrong checker as `false-accusation`); an update nobody else
 * checked is re-executed here; the rest are fetched and must hash to their receipt's end state.
 */
async function lead(v: RoundView): Promise<Decide> {
  const { ctx, round, start } = v
  const m = messages(v)
  const members = roster(m, start)
  const faulty = new Map<string, Hex>()
  const accusers = new Map<string, Hex>()
  for (const [x, c] of [...members].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const { from, v: verdict } of faultsAgainst(v, c, x)) {
      const wrong = await judge(v, from, verdict, c)
      if (wrong?.includes('producer') && !faulty.has(x)) faulty.set(x, hashJson(verdict))
      if (wrong?.includes('checker') && !accusers.has(from)) accusers.set(from, hashJson(verdict))
    }
  }
  const excluded: Decide['excluded'] = []
  const included: Decide['included'] = []
  const updates: Checkpoint[] = []
  for (const x of [...members.keys()].sort()) {
    const c = members.get(x)!
    const state = c.receipt.body.endStateHash
    if (faulty.has(x)) {
      excluded.push({ peer: x, reason: 'fault', evidence: faulty.get(x)! })
      continue
    }
    if (accusers.has(x)) {
      excluded.push({ peer: x, reason: 'false-accusation', evidence: accusers.get(x)! })
      continue
    }
    const own = v.own.get(x)
    if (x !== ctx.self && own?.fault) {
      excluded.push({ peer: x, reason: 'fault', evidence: null })
      continue
    }
    if (x !== ctx.self && !supported(v, x, c.receipt.receiptHash) && !(await reexecute(v, x, state))) {
      excluded.push({ peer: x, reason: 'fault', evidence: null })
      continue
    }
    const update = c.checkpoints.at(-1)!
    const u = await ctx.fetchCheckpoint(update, [x]).catch(() => null)
    if (!u || stateHash(u.step, u.tensors) !== state) {
      excluded.push({ peer: x, reason: 'unavailable', evidence: null })
      continue
    }
    included.push({ peer: x, receiptHash: c.receipt.receiptHash, update, state })
    updates.push(u)
  }
  const next = averageCheckpoints(updates, ctx.params.config)
  return {
    type: 'decide',
    round,
    start,
    included,
    excluded,
    model: stateHash(next.step, next.tensors),
    blob: ctx.store.keep(next, round + 1),
    seq: ctx.nextSeq(),
  }
}
