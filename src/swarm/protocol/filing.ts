// Filing what peers send about rounds — commits, verdicts, decisions — once decoded: each is checked and
// stored in the round it is for (RoundStore), held when its round is outside the window, or dropped with
// a reason (and its sender scored down when the reason is its own doing). Where each sender says it is
// goes to Members, for the fork choice.
import type { Members } from './members.ts'
import { MAX_PEERS, type Commit, type Decide, type Verdict } from './messages.ts'
import { leaderKey, type SwarmParams } from './params.ts'
import { LOOKAHEAD, type RoundMessage, type RoundMessages, type RoundStore } from './store.ts'
import { commitProblem } from './verify.ts'

export interface FilingContext {
  readonly params: SwarmParams
  readonly store: RoundStore
  readonly members: Members
  /** This peer's round. */
  round(): number
  /** The first round whose messages are kept: the round being adopted during a sync, else this one. */
  window(): number
  /** Drops a message, counted by reason; `penalty` scores its sender down. */
  drop(from: string, reason: string, penalty?: number): void
  /** Wakes the peer's waits: what they wait for may have arrived. */
  notify(): void
}

/** Files a commit, verdict or decision from `from` (the authenticated sender). */
export async function file(fc: FilingContext, from: string, m: RoundMessage): Promise<void> {
  if (m.type === 'commit') return fileCommit(fc, from, m)
  const { store, members } = fc
  const r = store.at(m.round, fc.window())
  // A late verdict (its sender follows one round behind) still says where its sender is.
  if (!r && m.type === 'verdict' && m.round < fc.round()) members.locate(from, m.round, m.start, m.seq)
  if (!r) return outOfWindow(fc, from, m)
  if (m.type === 'verdict') {
    const why = fileVerdict(fc, from, r, m)
    if (why) return fc.drop(from, why, why === 'verdict flood' ? 1 : 0)
    members.locate(from, m.round, m.start, m.seq)
  } else {
    // One decision per sender and start; one on another start is its new chain's (as for commits),
    // unless it is older than the one held (a replay).
    const had = r.decides.get(from)
    if (had?.start === m.start) return fc.drop(from, 'duplicate', 0)
    if (had && had.seq > m.seq) return fc.drop(from, 'stale', 0)
    if (!store.addDecide(r, from, m, (x, d) => decideRank(fc, r, x, d)))
      return fc.drop(from, 'decide flood', 0)
  }
  fc.notify()
}

async function fileCommit(fc: FilingContext, from: string, m: Commit): Promise<void> {
  const { store } = fc
  const r = store.at(m.round, fc.window())
  const had = r?.commits.get(from)
  // Two commits for one round on one start are equivocation. On another start it is the sender's
  // new chain (a peer that ran alone, then resynced): the newer commit replaces the older.
  // A copy of the same commit may be a replay by anyone (the sender's signature still holds): no penalty.
  if (had && had.start === m.start)
    return had.receipt.receiptHash === m.receipt.receiptHash
      ? fc.drop(from, 'duplicate', 0)
      : fc.drop(from, 'equivocation', 1)
  // Older than the commit it would replace: a replay from a chain the sender has left.
  if (had && had.seq > m.seq) return fc.drop(from, 'stale', 0)
  // Validated whatever its round: a commit from a past or far-future round still says where its
  // sender is, which is how a peer learns it is on a fork (decide.ts).
  if (await commitProblem(fc.params, from, m)) return fc.drop(from, 'invalid commit', 5)
  fc.members.locate(from, m.round, m.start, m.seq)
  const now = store.at(m.round, fc.window())
  if (!now) return outOfWindow(fc, from, m)
  const cur = now.commits.get(from)
  if (cur?.start === m.start || (cur && cur.seq > m.seq)) return
  // A round includes at most MAX_PEERS; the peers averaged last round are always heard.
  if (!cur && now.commits.size >= MAX_PEERS && !fc.members.previous?.includes(from))
    return fc.drop(from, 'commit flood', 0)
  now.commits.set(from, m)
  for (const v of store.takeEarly(from, m.round)) store.addVerdict(now, m.round, from, v)
  fc.notify()
}

/**
 * Stores a verdict if its sender takes part in the round: it committed to it, or it follows it (its
 * hello was answered in that round, or its `joined` named it). Until then the verdict is held (gossip
 * may deliver it before the commit); a sender that never takes part never has its verdicts stored.
 */
function fileVerdict(
  fc: FilingContext,
  from: string,
  r: RoundMessages,
  v: Verdict,
): 'duplicate' | 'verdict flood' | null {
  if (!r.commits.has(from) && fc.members.joining.get(from) !== v.round) {
    fc.store.early(from, v)
    return null
  }
  return fc.store.addVerdict(r, v.round, from, v)
}

/**
 * Which decisions of a round are kept when too many arrive: those of peers averaged last round, then
 * of peers that committed on that start, each by leader order. Followers only ever look at the first.
 */
function decideRank(fc: FilingContext, r: RoundMessages, from: string, d: Decide): string {
  const previous = fc.members.previous?.includes(from) ? 0 : 1
  const member = r.commits.get(from)?.start === d.start ? 0 : 1
  return `${previous}${member}${leaderKey(d.start, from)}`
}

/** Held for a sync that lands on its round (RoundStore.hold); counted when it is ahead of the window. */
function outOfWindow(fc: FilingContext, from: string, m: RoundMessage): void {
  if (m.round > fc.window() + LOOKAHEAD) fc.drop(from, 'future', 0)
  fc.store.hold(from, m)
  fc.notify()
}

/**
 * Files a held message once its round is inside the window (it was checked when it arrived). What
 * arrived since is newer: a held commit or decision never replaces the sender's (it may be from a
 * chain the sender has since left).
 */
export function place(fc: FilingContext, from: string, m: RoundMessage): void {
  const { store } = fc
  const r = store.at(m.round, fc.window())
  if (!r) return
  if (m.type === 'commit' && !r.commits.has(from) && r.commits.size < MAX_PEERS) {
    r.commits.set(from, m)
    for (const v of store.takeEarly(from, m.round)) store.addVerdict(r, m.round, from, v)
  }
  if (m.type === 'verdict') fileVerdict(fc, from, r, m)
  if (m.type === 'decide' && !r.decides.has(from))
    store.addDecide(r, from, m, (x, d) => decideRank(fc, r, x, d))
}

/** Files the verdicts `from` sent for `round` before it showed it takes part (its `joined` arrived). */
export function releaseEarly(fc: FilingContext, from: string, round: number): void {
  const r = fc.store.at(round, fc.window())
  for (const v of r ? fc.store.takeEarly(from, round) : []) fc.store.addVerdict(r!, round, from, v)
}
