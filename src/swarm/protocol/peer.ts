// A swarm peer: joins the swarm's topic, runs rounds (train H steps → commit → check others → the
// round's leader decides → everyone averages the same updates), answers newcomers, and resyncs
// when it falls off. The flow of one round is in round.ts; this file is the peer's life and its inbox.
import type { Hex } from 'viem'
import { SwarmProtocolError } from '../../errors/swarm.ts'
import type { signTrainingReceipt } from '../../receipts/training.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { SwarmMessage, SwarmNet } from '../types.ts'
import { decodeCheckpoint } from './codec.ts'
import type { SwarmCompute } from './compute.ts'
import { BoundedMap } from './bounded.ts'
import {
  decodeMessage,
  encodeMessage,
  MAX_PEERS,
  type Decide,
  type Head,
  type Message,
  type Verdict,
} from './messages.ts'
import { leaderKey, maxCheckpointBytes, swarmTopic, type SwarmParams } from './params.ts'
import { runRound, type RoundResult } from './round.ts'
import { LOOKAHEAD, RoundStore, type RoundMessage, type RoundMessages } from './store.ts'
import { commitProblem, type VerifyContext } from './verify.ts'

export interface SwarmPeerOptions {
  net: SwarmNet
  compute: SwarmCompute
  /** Signs this peer's receipts and fault evidence (the dev key, or a wallet). */
  signer: Parameters<typeof signTrainingReceipt>[1]
  params: SwarmParams
  /** Fetch the current model from peers first (a late joiner, a reloaded tab) instead of starting at round 0. */
  join?: boolean
  /** Stop after finishing this round number (tests, the simulator). */
  until?: number
}

export interface PeerStats {
  gossipSent: number
  gossipReceived: number
  blobsSent: number
  blobsReceived: number
  /** Checks this peer made, and how many of them found a fault. */
  checks: number
  faultsFound: number
  /** Messages dropped, by reason (schema, invalid commit, banned sender, …). */
  dropped: Record<string, number>
  /** Waits that ended on their deadline (a connected peer stayed silent): each cost the round time. */
  timeouts: number
}

export interface SwarmPeerEvents {
  round: RoundResult
  sync: { round: number; model: Hex; from: string[] }
  error: Error
}

const BAN_SCORE = -20
/** Longest pause before a resync after an error (decideMs when shorter). */
const RESYNC_BACKOFF_MS = 2000
/** How many past rounds' start models a peer remembers to tell its chain from another. */
const HISTORY = 64
/**
 * How many peers' positions and scores a peer tracks: bounds what a flood of new senders can make it hold.
 * The least recently heard is forgotten first; peers of the live swarm speak every round.
 */
const MAX_TRACKED = 4096
/** Newcomers a peer remembers answering (and waits for), and peers it distrusts: the newest are kept. */
const MAX_JOINING = 1024
/** Distinct senders whose hellos a peer answers per second, all together: each answer is a publish. */
const MAX_HELLOS = 256
/** How long a peer keeps serving a head it announced; a newcomer fetches it within seconds. */
const HEAD_PIN_MS = 60_000
/** How long a sync waits for more heads after the first: the swarm moves on while it waits. */
const HEAD_GRACE_MS = 1_000
/** How often waits re-check their condition without a message (a peer leaving sends none). */
const POLL_MS = 200

export class SwarmPeer {
  readonly self: string
  readonly params: SwarmParams
  readonly stats: PeerStats = {
    gossipSent: 0,
    gossipReceived: 0,
    blobsSent: 0,
    blobsReceived: 0,
    checks: 0,
    faultsFound: 0,
    dropped: {},
    timeouts: 0,
  }
  /** @internal state shared with round.ts */
  readonly o: SwarmPeerOptions
  readonly store = new RoundStore()
  readonly topic: string
  round = 0
  model!: Checkpoint
  modelHash!: Hex
  modelBlob!: Hex
  /** Who was averaged last round (null after a sync): whom the leader waits for. */
  previous: string[] | null = null
  /** Who last round excluded for a proven fault or false accusation: not waited for. */
  previousExcluded: string[] = []
  /** Peers a round this peer followed excluded as proven wrong: a sync never adopts a head from them. */
  readonly distrusted = new BoundedMap<string, true>(MAX_JOINING)
  /** The round this peer synced into: it follows that round's decision and commits from the next. */
  followOnly = -1
  running = false
  /** The last round each peer sent a valid commit or verdict for: newcomers become expected this way. */
  readonly active = new BoundedMap<string, number>(MAX_TRACKED)
  /** The round in which this peer answered each newcomer's hello: that newcomer only follows it. */
  readonly joining = new BoundedMap<string, number>(MAX_JOINING)
  /**
   * Where each peer last said it is: the round and start of its newest valid commit or verdict (fork
   * choice), newest by the sender's own counter, so a replayed old message cannot move it back.
   */
  readonly positions = new BoundedMap<string, { round: number; start: Hex; seq: number }>(MAX_TRACKED)
  /** The start model of each round this peer ran since it last synced: which chain it is on. */
  readonly history = new Map<number, Hex>()
  #heads = new Map<string, Head>()
  /** The head's round while a sync fetches it: its commits and decision must not be dropped meanwhile. */
  #adopting: number | null = null
  #helloAt = new BoundedMap<string, number>(MAX_HELLOS)
  #scores = new BoundedMap<string, number>(MAX_TRACKED)
  #seq = 0
  #waiters = new Set<() => void>()
  #listeners = new Map<string, Set<(e: never) => void>>()
  #unsubscribe?: () => void
  #done?: Promise<void>

  constructor(options: SwarmPeerOptions) {
    this.o = options
    this.self = options.net.self
    this.params = options.params
    this.topic = swarmTopic(options.params)
  }

  on<K extends keyof SwarmPeerEvents>(event: K, f: (e: SwarmPeerEvents[K]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set()
    this.#listeners.set(event, set.add(f))
    return () => set.delete(f)
  }

  /** @internal */
  emit<K extends keyof SwarmPeerEvents>(event: K, e: SwarmPeerEvents[K]): void {
    for (const f of this.#listeners.get(event) ?? []) (f as (e: SwarmPeerEvents[K]) => void)(e)
  }

  /** Joins the topic and runs rounds until stop() (or `until`). Resolves once the first round has begun. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    const { net } = this.o
    this.#unsubscribe = net.subscribe(this.topic, (m) => this.#receive(m))
    net.provideBlobs((h) => {
      const b = this.store.blob(h)
      if (b) this.stats.blobsSent += b.length
      return b
    })
    if (this.o.join) await this.sync()
    else await this.#setModel(await this.o.compute.initial(this.params.config), 0)
    this.#done = this.#loop()
  }

  /** Stops after the current step of work; resolves when the peer has left the topic. */
  async stop(): Promise<void> {
    this.running = false
    this.notify()
    await this.#done
    this.#unsubscribe?.()
  }

  /** Resolves when the peer stops by itself (after `until`) or is stopped. */
  finished(): Promise<void> {
    return this.#done ?? Promise.resolve()
  }

  async #loop(): Promise<void> {
    while (this.running && (this.o.until === undefined || this.round <= this.o.until)) {
      try {
        const result = await runRound(this)
        if (result) this.emit('round', result)
      } catch (e) {
        if (!this.running) break
        this.emit('error', e instanceof Error ? e : new Error(String(e)))
        // Back off before resyncing, so a peer that lost its network does not spin.
        await this.until(() => false, Date.now() + Math.min(RESYNC_BACKOFF_MS, this.params.timing.decideMs))
        await this.sync().catch((err) => this.emit('error', err))
      }
    }
    this.running = false
    this.#unsubscribe?.()
  }

  /** @internal Sets the model at the start of `round`. */
  async #setModel(model: Checkpoint, round: number): Promise<void> {
    this.model = model
    this.modelHash = stateHash(model.step, model.tensors)
    this.modelBlob = this.store.keep(model, round)
    this.round = round
    this.history.set(round, this.modelHash)
    this.history.delete(round - HISTORY)
    this.store.prune(round)
    for (const { from, m } of this.store.release(round)) this.#place(from, m)
  }

  /** @internal */
  async advance(model: Checkpoint, included: string[], excluded: string[] = []): Promise<void> {
    await this.#setModel(model, this.round + 1)
    this.previous = included
    this.previousExcluded = excluded
    for (const x of excluded) this.distrusted.set(x, true)
  }

  /**
   * Asks the swarm where it is and adopts the head most peers report (by distinct senders): fetches that
   * model by hash and checks it hashes to the claimed state, and follows that round before committing.
   * With no answer, starts at round 0 (or, alone with a model already, carries on with it).
   */
  async sync(): Promise<void> {
    this.#heads.clear()
    await this.publish({ type: 'hello' })
    const wanted = () => Math.min(3, this.o.net.peers(this.topic).length)
    const deadline = Date.now() + this.params.timing.decideMs
    const enough = () => (this.#heads.size >= wanted() && wanted() > 0) || (!!this.model && wanted() === 0)
    await this.until(() => enough() || this.#heads.size > 0, deadline)
    // More heads make the choice safer against one lying peer, but the swarm runs on meanwhile.
    if (this.#heads.size > 0) await this.until(enough, Math.min(deadline, Date.now() + HEAD_GRACE_MS))
    // A peer proven to lie runs on alone on its own chain, fast: never adopt its model. Unless every head
    // is from such peers and two or more agree: then this peer's chain is the odd one (it lied itself, or
    // followed a leader that did), and it rejoins them with a clean slate.
    let best = chooseHead(new Map([...this.#heads].filter(([x]) => !this.distrusted.has(x))))
    const outvoted = !best && chooseHead(this.#heads)
    if (outvoted && outvoted.support >= 2) {
      best = outvoted
      this.distrusted.clear()
    }
    if (!best) {
      if (!this.model) await this.#setModel(await this.o.compute.initial(this.params.config), 0)
      this.followOnly = -1
      return
    }
    if (this.model && best.head.round === this.round && best.head.model === this.modelHash) {
      // The swarm is where this peer already is (everyone resynced at once, say): stay a member. Were it
      // to follow, and every peer did the same, nobody would commit this round and the swarm would stall.
      if (this.followOnly === this.round) this.followOnly = -1
      return
    }
    // A fast swarm may finish the head's round while the checkpoint is in flight: keep its messages.
    this.#adopting = best.head.round
    let model: Checkpoint
    try {
      model = await this.fetchCheckpoint(best.head.blob, best.from)
    } finally {
      this.#adopting = null
    }
    if (stateHash(model.step, model.tensors) !== best.head.model)
      throw new SwarmProtocolError(`The model served for head ${best.head.model} hashes to another state.`)
    this.history.clear() // a new chain: the rounds before it are not this peer's any more
    await this.#setModel({ ...model, config: this.params.config }, best.head.round)
    this.previous = null
    this.previousExcluded = []
    this.followOnly = best.head.round
    // The peers that answered wait for this one from the round after the head's, whichever they answered in.
    await this.publish({ type: 'joined', round: best.head.round, start: best.head.model })
    this.emit('sync', { round: best.head.round, model: best.head.model, from: best.from })
  }

  /** @internal A checkpoint by blob hash: from this peer's store, else from each of `peers` in turn. */
  async fetchCheckpoint(hash: Hex, peers: string[]): Promise<Checkpoint> {
    const limit = maxCheckpointBytes(this.params)
    const local = this.store.blob(hash)
    if (local) return decodeCheckpoint(local, limit)
    const tried = new Set<string>()
    const why: string[] = []
    let last: unknown
    for (const peer of [...peers, ...this.o.net.peers(this.topic)]) {
      if (peer === this.self || tried.has(peer)) continue
      tried.add(peer)
      try {
        const bytes = await this.o.net.fetchBlob(peer, hash, limit)
        this.stats.blobsReceived += bytes.length
        const c = decodeCheckpoint(bytes, limit)
        this.store.keepBytes(bytes, this.round)
        return c
      } catch (e) {
        last = e
        why.push(`…${peer.slice(-8)}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
    // Each peer's answer: "not found" from all says the swarm moved on, a timeout says the network.
    const answers = why.length ? ` (${why.join('; ')})` : ' (no peer to ask)'
    throw new SwarmProtocolError(`No peer served checkpoint ${hash}${answers}.`, { cause: last })
  }

  /** @internal */
  context(): VerifyContext {
    return {
      params: this.params,
      compute: this.o.compute,
      signer: this.o.signer,
      fetchCheckpoint: (h, peers) => this.fetchCheckpoint(h, peers),
      keep: (c) => this.store.keep(c, this.round),
    }
  }

  /** @internal The counter this peer stamps on its next commit, verdict or decision: always increasing. */
  nextSeq(): number {
    this.#seq = Math.max(Date.now(), this.#seq + 1)
    return this.#seq
  }

  /** @internal */
  async publish(m: Message): Promise<void> {
    const data = encodeMessage(m)
    this.stats.gossipSent += data.length
    await this.o.net.publish(this.topic, data)
  }

  /** @internal Resolves true once `cond()` holds (re-checked on every message), false at `deadline` or stop. */
  until(cond: () => boolean, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (cond()) return finish(true)
        if (!this.running) return finish(false)
        if (Date.now() >= deadline) {
          this.stats.timeouts++
          return finish(false)
        }
      }
      const finish = (v: boolean) => {
        this.#waiters.delete(check)
        clearTimeout(timer)
        clearInterval(poll)
        resolve(v)
      }
      // A deadline of Infinity waits on messages alone (setTimeout would clamp it to 1 ms).
      const timer = Number.isFinite(deadline)
        ? setTimeout(check, Math.max(0, deadline - Date.now()))
        : undefined
      const poll = setInterval(check, POLL_MS)
      this.#waiters.add(check)
      check()
    })
  }

  /** @internal */
  notify(): void {
    for (const w of [...this.#waiters]) w()
  }

  /** Drops a message and scores its sender down; a sender far enough down is ignored. */
  #drop(from: string, reason: string, penalty = 1): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1
    if (penalty > 0) this.#scores.set(from, this.score(from) - penalty)
  }

  score(peer: string): number {
    return this.#scores.get(peer) ?? 0
  }

  #receive(msg: SwarmMessage): void {
    try {
      this.stats.gossipReceived += msg.data?.length ?? 0
      if (typeof msg.from !== 'string' || msg.from === this.self)
        return this.#drop(String(msg.from), 'sender', 0)
      if (this.score(msg.from) <= BAN_SCORE) return this.#drop(msg.from, 'banned', 0)
      let m: Message
      try {
        m = decodeMessage(msg.data)
      } catch {
        return this.#drop(msg.from, 'schema')
      }
      void this.#handle(msg.from, m).catch(() => this.#drop(msg.from, 'handler'))
    } catch {
      this.#drop(String(msg?.from), 'handler')
    }
  }

  async #handle(from: string, m: Message): Promise<void> {
    if (m.type === 'hello') {
      const now = Date.now()
      if (!this.model || (this.#helloAt.get(from) ?? -Infinity) > now - 1000) return
      // MAX_HELLOS answered in the last second already: a flood of new ids waits like everyone else.
      const oldest = this.#helloAt.oldest()
      if (!this.#helloAt.has(from) && this.#helloAt.size >= MAX_HELLOS && oldest && oldest[1] > now - 1000)
        return this.#drop(from, 'hello flood', 0)
      this.#helloAt.set(from, now)
      // A newcomer follows this round, so it is not waited for; a member that merely resynced (it spoke
      // from this chain last round) stays a member when it finds the swarm where it is, and is waited for.
      const at = this.positions.get(from)
      const member = !!at && at.round >= this.round - 1 && this.history.get(at.round) === at.start
      if (!member) this.joining.set(from, this.round)
      this.store.pin(this.modelBlob, Date.now() + HEAD_PIN_MS)
      return this.publish({
        type: 'head',
        round: this.round,
        model: this.modelHash,
        blob: this.modelBlob,
        parent: this.history.get(this.round - 1) ?? null,
      })
    }
    if (m.type === 'head') {
      if (this.#heads.size < 64) this.#heads.set(from, m)
      return this.notify()
    }
    if (m.type === 'joined') {
      // Waited for from the round after the one it follows, if that round is on this peer's chain.
      if (this.history.get(m.round) !== m.start) this.joining.delete(from)
      else {
        this.joining.set(from, m.round)
        const r = this.store.at(m.round, this.#window())
        for (const v of r ? this.store.takeEarly(from, m.round) : [])
          this.store.addVerdict(r!, m.round, from, v)
      }
      return this.notify()
    }
    if (m.type === 'commit') {
      const r = this.store.at(m.round, this.#window())
      const had = r?.commits.get(from)
      // Two commits for one round on one start are equivocation. On another start it is the sender's
      // new chain (a peer that ran alone, then resynced): the newer commit replaces the older.
      // A copy of the same commit may be a replay by anyone (the sender's signature still holds): no penalty.
      if (had && had.start === m.start)
        return had.receipt.receiptHash === m.receipt.receiptHash
          ? this.#drop(from, 'duplicate', 0)
          : this.#drop(from, 'equivocation', 1)
      // Older than the commit it would replace: a replay from a chain the sender has left.
      if (had && had.seq > m.seq) return this.#drop(from, 'stale', 0)
      // Validated whatever its round: a commit from a past or far-future round still says where its
      // sender is, which is how a peer learns it is on a fork (decide.ts).
      if (await commitProblem(this.params, from, m)) return this.#drop(from, 'invalid commit', 5)
      this.#locate(from, m.round, m.start, m.seq)
      const now = this.store.at(m.round, this.#window())
      if (!now) return this.#outOfWindow(from, m)
      const cur = now.commits.get(from)
      if (cur?.start === m.start || (cur && cur.seq > m.seq)) return
      // A round includes at most MAX_PEERS; the peers averaged last round are always heard.
      if (!cur && now.commits.size >= MAX_PEERS && !this.previous?.includes(from))
        return this.#drop(from, 'commit flood', 0)
      now.commits.set(from, m)
      for (const v of this.store.takeEarly(from, m.round)) this.store.addVerdict(now, m.round, from, v)
    } else {
      const r = this.store.at(m.round, this.#window())
      // A late verdict (its sender follows one round behind) still says where its sender is.
      if (!r && m.type === 'verdict' && m.round < this.round) this.#locate(from, m.round, m.start, m.seq)
      if (!r) return this.#outOfWindow(from, m)
      if (m.type === 'verdict') {
        const why = this.#file(from, r, m)
        if (why) return this.#drop(from, why, why === 'verdict flood' ? 1 : 0)
        this.#locate(from, m.round, m.start, m.seq)
      } else {
        // One decision per sender and start; one on another start is its new chain's (as for commits),
        // unless it is older than the one held (a replay).
        const had = r.decides.get(from)
        if (had?.start === m.start) return this.#drop(from, 'duplicate', 0)
        if (had && had.seq > m.seq) return this.#drop(from, 'stale', 0)
        if (!this.store.addDecide(r, from, m, (x, d) => this.#decideRank(r, x, d)))
          return this.#drop(from, 'decide flood', 0)
      }
    }
    this.notify()
  }

  /**
   * Records where a peer is from its valid commit or verdict, whichever round it is for: a commit that
   * arrives after this peer moved on still makes its sender expected next round, so a peer running one
   * round behind is waited for instead of staying one round behind for ever. The position is the newest
   * message to arrive, not the highest round: a peer that ran ahead alone and then resynced speaks from
   * an earlier round of another chain (a late message from one round back on the same chain tells the
   * same story as the one before it).
   */
  #locate(from: string, round: number, start: Hex, seq: number): void {
    const at = this.positions.get(from)
    if (at && at.seq > seq) return
    this.positions.set(from, { round, start, seq })
    this.active.set(from, Math.max(round, this.active.get(from) ?? 0))
  }

  /**
   * Stores a verdict if its sender takes part in the round: it committed to it, or it follows it (its
   * hello was answered in that round, or its `joined` named it). Until then the verdict is held (gossip
   * may deliver it before the commit); a sender that never takes part never has its verdicts stored.
   */
  #file(from: string, r: RoundMessages, v: Verdict): 'duplicate' | 'verdict flood' | null {
    if (!r.commits.has(from) && this.joining.get(from) !== v.round) {
      this.store.early(from, v)
      return null
    }
    return this.store.addVerdict(r, v.round, from, v)
  }

  /**
   * Which decisions of a round are kept when too many arrive: those of peers averaged last round, then
   * of peers that committed on that start, each by leader order. Followers only ever look at the first.
   */
  #decideRank(r: RoundMessages, from: string, d: Decide): string {
    const previous = this.previous?.includes(from) ? 0 : 1
    const member = r.commits.get(from)?.start === d.start ? 0 : 1
    return `${previous}${member}${leaderKey(d.start, from)}`
  }

  /** The first round whose messages are kept: the round being adopted during a sync, else this one. */
  #window(): number {
    return this.#adopting ?? this.round
  }

  /** Held for a sync that lands on its round (RoundStore.hold); counted when it is ahead of the window. */
  #outOfWindow(from: string, m: RoundMessage): void {
    if (m.round > this.#window() + LOOKAHEAD) this.#drop(from, 'future', 0)
    this.store.hold(from, m)
    this.notify()
  }

  /**
   * Files a held message once its round is inside the window (it was checked when it arrived). What
   * arrived since is newer: a held commit or decision never replaces the sender's (it may be from a
   * chain the sender has since left).
   */
  #place(from: string, m: RoundMessage): void {
    const r = this.store.at(m.round, this.#window())
    if (!r) return
    if (m.type === 'commit' && !r.commits.has(from) && r.commits.size < MAX_PEERS) {
      r.commits.set(from, m)
      for (const v of this.store.takeEarly(from, m.round)) this.store.addVerdict(r, m.round, from, v)
    }
    if (m.type === 'verdict') this.#file(from, r, m)
    if (m.type === 'decide' && !r.decides.has(from))
      this.store.addDecide(r, from, m, (x, d) => this.#decideRank(r, x, d))
  }
}

/**
 * The head a syncing peer adopts: the one with the most distinct senders on its chain — those that
 * report it, its parent or its child (peers one round apart on the same chain, which is what a swarm
 * mid-round looks like) — and among those the newest. A lone peer far ahead on a chain of its own (a
 * cheater whose model the swarm refused) has one supporter, so it cannot pull newcomers onto its chain
 * by being fastest.
 */
export function chooseHead(
  heads: Map<string, Head>,
): { head: Head; from: string[]; support: number } | undefined {
  const all = [...heads]
  const related = (a: Head, b: Head) =>
    (a.round === b.round && a.model === b.model) ||
    (b.round === a.round + 1 && b.parent === a.model) ||
    (a.round === b.round + 1 && a.parent === b.model)
  const ranked = all.map(([, head]) => ({
    head,
    support: all.filter(([, other]) => related(head, other)).length,
    from: all.filter(([, other]) => other.round === head.round && other.model === head.model).map(([x]) => x),
  }))
  ranked.sort((a, b) => b.support - a.support || b.head.round - a.head.round || b.from.length - a.from.length)
  return ranked[0]
}
