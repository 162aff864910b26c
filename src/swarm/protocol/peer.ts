// A swarm peer: joins the swarm's topic, runs rounds (train H steps → commit → check others → the
// round's leader decides → everyone averages the same updates), answers newcomers, and resyncs
// when it falls off. This file is the peer's life and its inbox; one round is round.ts (which sees the
// peer only as a RoundContext), filing a round's messages filing.ts, answering newcomers and choosing a
// head join.ts, what it knows of the others members.ts. Time is its clock's (clock.ts).
import type { Hex } from 'viem'
import { SwarmProtocolError } from '../../errors/swarm.ts'
import type { signTrainingReceipt } from '../../receipts/training.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { SwarmMessage, SwarmNet } from '../types.ts'
import { realClock, type Clock } from './clock.ts'
import { decodeCheckpoint } from './codec.ts'
import type { SwarmCompute } from './compute.ts'
import { emptyStats, type PeerStats, type RoundContext } from './context.ts'
import { file, place, releaseEarly, type FilingContext } from './filing.ts'
import { BoundedMap } from './bounded.ts'
import { adoptable, Greeter, HEAD_GRACE_MS, MAX_HEADS } from './join.ts'
import { Members } from './members.ts'
import { decodeMessage, encodeMessage, type Head, type Message } from './messages.ts'
import { maxCheckpointBytes, swarmTopic, type SwarmParams } from './params.ts'
import { runRound, type RoundResult } from './round.ts'
import { RoundStore } from './store.ts'
import { Waits } from './wait.ts'

export type { PeerStats }

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
  /** Deadlines, polls and timestamps (the real clock unless given; tests and the simulator run on virtual time). */
  clock?: Clock
}

export interface SwarmPeerEvents {
  round: RoundResult
  /** Adopted the model at the start of `round`; `parent` is the head's report of round − 1's start. */
  sync: { round: number; model: Hex; parent: Hex | null; from: string[] }
  error: Error
}

const BAN_SCORE = -20
/** How long a head whose checkpoint no peer served is left out of syncs. */
const UNSERVABLE_MS = 60_000
/** Longest pause before a resync after an error (decideMs when shorter). */
const RESYNC_BACKOFF_MS = 2000

export class SwarmPeer {
  readonly self: string
  readonly params: SwarmParams
  readonly topic: string
  readonly clock: Clock
  readonly stats: PeerStats = emptyStats()
  readonly store = new RoundStore()
  /** What this peer knows of the others (and which chain it is on). */
  readonly members = new Members()
  round = 0
  model!: Checkpoint
  modelHash!: Hex
  modelBlob!: Hex
  running = false
  readonly #o: SwarmPeerOptions
  /** The round this peer synced into: it follows that round's decision and commits from the next. */
  #followOnly = -1
  #heads = new Map<string, Head>()
  /** Blobs of heads no peer served when asked, until when they are skipped (join.ts adoptable). */
  #unservable = new BoundedMap<Hex, number>(MAX_HEADS)
  /** The head's round while a sync fetches it: its commits and decision must not be dropped meanwhile. */
  #adopting: number | null = null
  #seq = 0
  readonly #waits: Waits
  readonly #greeter: Greeter
  readonly #ctx: RoundContext
  readonly #filing: FilingContext
  #listeners = new Map<string, Set<(e: never) => void>>()
  #unsubscribe?: () => void
  #done?: Promise<void>

  constructor(options: SwarmPeerOptions) {
    this.#o = options
    this.self = options.net.self
    this.params = options.params
    this.topic = swarmTopic(options.params)
    this.clock = options.clock ?? realClock
    this.#waits = new Waits(
      this.clock,
      () => this.running,
      () => this.stats.timeouts++,
    )
    this.#greeter = new Greeter(this.clock, this.store, this.members)
    const running = () => this.running
    this.#ctx = {
      self: this.self,
      topic: this.topic,
      params: this.params,
      clock: this.clock,
      compute: options.compute,
      signer: options.signer,
      store: this.store,
      members: this.members,
      stats: this.stats,
      get running() {
        return running()
      },
      connected: () => options.net.peers(this.topic),
      publish: (m) => this.#publish(m),
      until: (cond, deadline) => this.#waits.until(cond, deadline),
      notify: () => this.#waits.notify(),
      nextSeq: () => (this.#seq = Math.max(this.clock.now(), this.#seq + 1)),
      fetchCheckpoint: (hash, peers) => this.#fetchCheckpoint(hash, peers),
      keep: (c) => this.store.keep(c, this.round),
    }
    this.#filing = {
      params: this.params,
      store: this.store,
      members: this.members,
      round: () => this.round,
      window: () => this.#adopting ?? this.round,
      drop: (from, reason, penalty) => this.#drop(from, reason, penalty),
      notify: () => this.#waits.notify(),
    }
  }

  on<K extends keyof SwarmPeerEvents>(event: K, f: (e: SwarmPeerEvents[K]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set()
    this.#listeners.set(event, set.add(f))
    return () => set.delete(f)
  }

  #emit<K extends keyof SwarmPeerEvents>(event: K, e: SwarmPeerEvents[K]): void {
    for (const f of this.#listeners.get(event) ?? []) (f as (e: SwarmPeerEvents[K]) => void)(e)
  }

  /** Joins the topic and runs rounds until stop() (or `until`). Resolves once the first round has begun. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    const { net } = this.#o
    this.#unsubscribe = net.subscribe(this.topic, (m) => this.#receive(m))
    net.provideBlobs((h) => {
      const b = this.store.blob(h)
      if (b) this.stats.blobsSent += b.length
      return b
    })
    if (this.#o.join) await this.#sync()
    else await this.#setModel(await this.#o.compute.initial(this.params.config), 0)
    this.#done = this.#loop()
  }

  /** Stops after the current step of work; resolves when the peer has left the topic. */
  async stop(): Promise<void> {
    this.running = false
    this.#waits.notify()
    await this.#done
    this.#unsubscribe?.()
  }

  /** Resolves when the peer stops by itself (after `until`) or is stopped. */
  finished(): Promise<void> {
    return this.#done ?? Promise.resolve()
  }

  /** How this peer scores `peer`'s behaviour: at BAN_SCORE and below it is ignored. */
  score(peer: string): number {
    return this.members.score(peer)
  }

  async #loop(): Promise<void> {
    const { until } = this.#o
    while (this.running && (until === undefined || this.round <= until)) {
      try {
        const { round, model, modelHash: start } = this
        const outcome = await runRound(this.#ctx, { round, model, start, member: this.#followOnly !== round })
        if (outcome === 'resync') await this.#sync()
        else {
          await this.#setModel(outcome.model, this.round + 1)
          this.members.closed(outcome.included, outcome.excluded)
          this.#emit('round', { ...outcome.result, blob: this.modelBlob })
        }
      } catch (e) {
        if (!this.running) break
        this.#emit('error', e instanceof Error ? e : new Error(String(e)))
        // Back off before resyncing, so a peer that lost its network does not spin.
        const backoff = Math.min(RESYNC_BACKOFF_MS, this.params.timing.decideMs)
        await this.#waits.until(() => false, this.clock.now() + backoff)
        await this.#sync().catch((err) => this.#emit('error', err))
      }
    }
    this.running = false
    this.#unsubscribe?.()
  }

  /** Sets the model at the start of `round`. */
  async #setModel(model: Checkpoint, round: number): Promise<void> {
    this.model = model
    this.modelHash = stateHash(model.step, model.tensors)
    this.modelBlob = this.store.keep(model, round)
    this.round = round
    this.members.started(round, this.modelHash)
    this.store.prune(round, this.clock.now())
    for (const { from, m } of this.store.release(round)) place(this.#filing, from, m)
  }

  /**
   * Asks the swarm where it is and adopts the head most peers report (by distinct senders): fetches that
   * model by hash and checks it hashes to the claimed state, and follows that round before committing.
   * With no answer, starts at round 0 (or, alone with a model already, carries on with it).
   */
  async #sync(): Promise<void> {
    this.#heads.clear()
    await this.#publish({ type: 'hello' })
    const wanted = () => Math.min(3, this.#ctx.connected().length)
    const deadline = this.clock.now() + this.params.timing.decideMs
    const enough = () => (this.#heads.size >= wanted() && wanted() > 0) || (!!this.model && wanted() === 0)
    await this.#waits.until(() => enough() || this.#heads.size > 0, deadline)
    // More heads make the choice safer against one lying peer, but the swarm runs on meanwhile.
    if (this.#heads.size > 0)
      await this.#waits.until(enough, Math.min(deadline, this.clock.now() + HEAD_GRACE_MS))
    const now = this.clock.now()
    const skipped = { has: (blob: Hex) => (this.#unservable.get(blob) ?? -Infinity) > now }
    const best = adoptable(this.#heads, this.members.distrusted, skipped)
    if (best?.forgive) this.members.distrusted.clear()
    if (!best) {
      if (!this.model) await this.#setModel(await this.#o.compute.initial(this.params.config), 0)
      this.#followOnly = -1
      return
    }
    if (this.model && best.head.round === this.round && best.head.model === this.modelHash) {
      // The swarm is where this peer already is (everyone resynced at once, say): stay a member. Were it
      // to follow, and every peer did the same, nobody would commit this round and the swarm would stall.
      if (this.#followOnly === this.round) this.#followOnly = -1
      return
    }
    // A fast swarm may finish the head's round while the checkpoint is in flight: keep its messages.
    this.#adopting = best.head.round
    let model: Checkpoint
    try {
      model = await this.#fetchCheckpoint(best.head.blob, best.from)
    } catch (e) {
      // Nobody serves it (its peer left): the next sync chooses among the heads that can be fetched.
      this.#unservable.set(best.head.blob, this.clock.now() + UNSERVABLE_MS)
      throw e
    } finally {
      this.#adopting = null
    }
    if (stateHash(model.step, model.tensors) !== best.head.model)
      throw new SwarmProtocolError(`The model served for head ${best.head.model} hashes to another state.`)
    this.members.history.clear() // a new chain: the rounds before it are not this peer's any more
    await this.#setModel({ ...model, config: this.params.config }, best.head.round)
    this.members.previous = null
    this.members.previousExcluded = []
    this.#followOnly = best.head.round
    // The peers that answered wait for this one from the round after the head's, whichever they answered in.
    await this.#publish({ type: 'joined', round: best.head.round, start: best.head.model })
    this.#emit('sync', {
      round: best.head.round,
      model: best.head.model,
      parent: best.head.parent,
      from: best.from,
    })
  }

  /** A checkpoint by blob hash: from this peer's store, else from each of `peers` in turn. */
  async #fetchCheckpoint(hash: Hex, peers: string[]): Promise<Checkpoint> {
    const limit = maxCheckpointBytes(this.params)
    const local = this.store.blob(hash)
    if (local) return decodeCheckpoint(local, limit)
    const tried = new Set<string>()
    const why: string[] = []
    let last: unknown
    for (const peer of [...peers, ...this.#ctx.connected()]) {
      if (peer === this.self || tried.has(peer)) continue
      tried.add(peer)
      try {
        const bytes = await this.#o.net.fetchBlob(peer, hash, limit)
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

  async #publish(m: Message): Promise<void> {
    const data = encodeMessage(m)
    this.stats.gossipSent += data.length
    await this.#o.net.publish(this.topic, data)
  }

  /** Drops a message and scores its sender down; a sender far enough down is ignored. */
  #drop(from: string, reason: string, penalty = 1): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1
    if (penalty > 0) this.members.penalize(from, penalty)
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
      const here = this.model && { round: this.round, model: this.modelHash, blob: this.modelBlob }
      const head = this.#greeter.answer(from, here)
      if (head === 'hello flood') return this.#drop(from, head, 0)
      if (head) await this.#publish(head)
      return
    }
    if (m.type === 'head') {
      if (this.#heads.size < MAX_HEADS) this.#heads.set(from, m)
      return this.#waits.notify()
    }
    if (m.type === 'joined') {
      // Waited for from the round after the one it follows, if that round is on this peer's chain.
      if (this.members.history.get(m.round) !== m.start) this.members.joining.delete(from)
      else {
        this.members.joining.set(from, m.round)
        releaseEarly(this.#filing, from, m.round)
      }
      return this.#waits.notify()
    }
    await file(this.#filing, from, m)
  }
}
