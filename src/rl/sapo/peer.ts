// An RL swarm peer (SAPO, docs/rl.md): each round it answers its own questions with its own model,
// publishes the completions, collects everyone else's until every peer it expects sent or a deadline,
// recomputes every reward itself, regenerates a sample of what it will train on, trains GRPO on its own
// and E chosen external groups, and reports. Peers keep their own models; only tokens travel, plus a
// checkpoint blob to a peer that spot-checks. Time is its clock's (swarm/protocol/clock.ts).
import type { Hex } from 'viem'
import { realClock, type Clock } from '../../swarm/protocol/clock.ts'
import { BoundedMap } from '../../swarm/protocol/bounded.ts'
import { RoundStore } from '../../swarm/protocol/store.ts'
import { Waits } from '../../swarm/protocol/wait.ts'
import type { SwarmMessage, SwarmNet } from '../../swarm/types.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import type { RlCompute, RoundReport } from '../types.ts'
import { acceptRollouts, type Accepted } from './accept.ts'
import { forgeGroups } from './cheat.ts'
import type { TaskBook } from './book.ts'
import { chooseExternal, type Accusation, type ChooseContext } from './choose.ts'
import { decodeSapoMessage, encodeSapoMessage, type Rollouts, type SapoMessage } from './messages.ts'
import { checkSapoParams, LIMITS, sapoTopic, type SapoParams, type SapoPeerParams } from './params.ts'
import { LOOKAHEAD, RoundPool } from './pool.ts'
import { accuracy, median, sampleOf } from './report.ts'
import { Standings } from './scores.ts'

export interface RlPeerOptions {
  net: SwarmNet
  compute: RlCompute
  book: TaskBook
  params: SapoParams
  mine: SapoPeerParams
  /** The model it starts from (the swarm's warm start). */
  model: Checkpoint
  clock?: Clock
  /** Seeds this peer's spot-check draws; keep it private (a random one unless given). */
  secret?: Hex
  /**
   * The first round and how many to run (all until the signal aborts, unless given). A peer that hears
   * the swarm at later rounds catches up (skips to them), so `rounds` counts rounds run, not a last one.
   */
  firstRound?: number
  /**
   * Join a running swarm: before its first round the peer listens up to 2 collectMs and starts at the
   * median of the rounds it heard (one vote per sender, so one liar cannot throw it off), the round the
   * others are collecting, whose messages it has kept; at firstRound when it heard nobody.
   */
  join?: boolean
  /** How long (clock ms) a joining peer listens before it starts alone; 2 collectMs unless given. */
  joinMs?: number
  rounds?: number
  /**
   * Asked with each round's number before it publishes: while true it publishes forged completions
   * (cheat.ts), the page's cheat switch.
   */
  forging?: (round: number) => boolean
  /** Longest wait for one spot-check blob (clock ms); collectMs unless given. */
  fetchMs?: number
  /**
   * More bytes to serve by hash, asked after this round's and the last round's checkpoints: a reward
   * claim's rollouts and model, kept past those rounds for its attesters (rewards.ts).
   */
  serve?: (hash: Hex) => Uint8Array | undefined
}

export interface RlPeerEvents {
  round: RoundReport
  error: Error
  /** Its rollouts for `round` went out: the exact bytes, and the checkpoint bytes they name by `blob`. */
  published: { round: number; message: Uint8Array; blob: Hex; checkpoint: Uint8Array }
  /** The round's collection ended: every connected peer sent (`full`) or the deadline passed; `ms` from its start. */
  collected: { round: number; ms: number; full: boolean; senders: number }
}

/** Accusations held for checking: the newest win (each costs a fetch and a regeneration). */
const MAX_ACCUSATIONS = 8

export class RlPeer {
  readonly self: string
  readonly topic: string
  readonly clock: Clock
  readonly standings = new Standings()
  readonly pool = new RoundPool()
  round: number
  #model: Checkpoint
  running = false
  readonly #o: RlPeerOptions
  /** Serves this peer's checkpoints of this round and the one before (swarm/protocol/store.ts). */
  readonly #blobs = new RoundStore()
  readonly #waits: Waits
  readonly #secret: Hex
  #accusations: Accusation[] = []
  #trainedOn: Rollouts['trainedOn'] = []
  /** While joining: the round each sender's latest ROLLOUTS named. */
  #heard: BoundedMap<string, number> | null = null
  /** The latest round each sender's valid ROLLOUTS named, and when (clock ms) it was last heard. */
  readonly #latest = new BoundedMap<string, { round: number; at: number }>(LIMITS.peers)
  /** The state hash of `model`, once computed. */
  #state: Hex | null = null
  #bytes = { sent: 0, received: 0 }
  #listeners = new Map<string, Set<(e: never) => void>>()

  constructor(o: RlPeerOptions) {
    checkSapoParams(o.params, o.mine)
    this.#o = o
    this.self = o.net.self
    this.topic = sapoTopic(o.params)
    this.clock = o.clock ?? realClock
    this.#model = o.model
    this.round = o.firstRound ?? 0
    this.#waits = new Waits(
      this.clock,
      () => this.running,
      () => {},
    )
    this.#secret = o.secret ?? randomSecret()
  }

  /** The model this peer has now (after its last round's update). */
  get model(): Checkpoint {
    return this.#model
  }

  on<K extends keyof RlPeerEvents>(event: K, f: (e: RlPeerEvents[K]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set()
    this.#listeners.set(event, set.add(f))
    return () => set.delete(f)
  }

  #emit<K extends keyof RlPeerEvents>(event: K, e: RlPeerEvents[K]): void {
    for (const f of this.#listeners.get(event) ?? []) (f as (e: RlPeerEvents[K]) => void)(e)
  }

  /** Joins the topic and runs rounds until `rounds` are done or `signal` aborts; resolves when it has left. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.running) return
    this.running = true
    const { net, rounds } = this.#o
    const stop = () => {
      this.running = false
      this.#waits.notify()
    }
    signal?.addEventListener('abort', stop, { once: true })
    const unsubscribe = net.subscribe(this.topic, (m) => this.#receive(m))
    net.provideBlobs((h) => {
      const b = this.#blobs.blob(h) ?? this.#o.serve?.(h)
      if (b) this.#bytes.sent += b.length
      return b
    })
    try {
      if (this.#o.join) await this.#join()
      for (let run = 0; this.running && run < (rounds ?? Infinity); run++) {
        this.round = Math.max(this.round, this.#swarmRound())
        try {
          const report = await this.#runRound(this.round, signal)
          if (!report) break
          this.#emit('round', report)
        } catch (e) {
          if (!this.running) break
          this.#emit('error', e instanceof Error ? e : new Error(String(e)))
          // A failing round (compute, network) is not retried at once: a pause, then the next round.
          await this.clock.sleep(this.#o.mine.collectMs, signal).catch(() => {})
        }
        this.round++
      }
    } finally {
      this.running = false
      signal?.removeEventListener('abort', stop)
      unsubscribe()
    }
  }

  async #join(): Promise<void> {
    this.#heard = new BoundedMap(LIMITS.peers)
    const heard = this.#heard
    // Peers that are collecting wait for this one too (it is connected) and publish again at their
    // deadline, so two deadlines are enough to hear everyone.
    const deadline = this.clock.now() + (this.#o.joinMs ?? 2 * this.#o.mine.collectMs)
    await this.#waits.until(() => heard.size > 0 && this.#everyoneHeard(), deadline)
    if (heard.size) this.round = Math.floor(median([...heard.values()]))
    this.#heard = null
  }

  #everyoneHeard(): boolean {
    return this.#o.net.peers(this.topic).every((p) => p === this.self || this.#heard?.has(p))
  }

  /** One round; null when the peer was stopped during it. */
  async #runRound(r: number, signal?: AbortSignal): Promise<RoundReport | null> {
    const { compute, book, params, mine } = this.#o
    this.pool.prune(r)
    // Blobs stay served for LOOKAHEAD + 1 rounds after: an accusation about round r can reach a peer that
    // is LOOKAHEAD rounds behind this one, in its round r + 1.
    this.#blobs.prune(r - LOOKAHEAD, this.clock.now())
    this.#bytes = { sent: 0, received: 0 }
    const start = this.clock.now()
    const tasks = book.tasksFor(params.seed, r, this.self, params.local)
    const state = (this.#state ??= await compute.stateHash(this.#model))
    const blob = this.#blobs.keep(this.#model, r)
    const honest = await compute.rollouts(this.#model, tasks, params.G, params.rule)
    const made = this.#o.forging?.(r) ? forgeGroups(honest, tasks, params.rule) : honest
    await this.#breathe()
    const message: Rollouts = {
      type: 'rollouts',
      round: r,
      state,
      blob,
      groups: made.map((g) => ({ taskId: g.taskId, completions: g.completions })),
      trainedOn: this.#trainedOn,
    }
    // Its own rollouts go through the same rules as anyone's: the rewards it trains on are the ones
    // every other peer computes for them.
    const own = acceptRollouts(message, this.self, params, book)
    if (await this.#publish(message))
      this.#emit('published', {
        round: r,
        message: encodeSapoMessage(message),
        blob,
        checkpoint: this.#blobs.blob(blob)!,
      })
    const full = await this.#waits.until(() => this.#everyoneIn(r), this.clock.now() + mine.collectMs)
    if (!this.running) return null
    this.#emit('collected', { round: r, ms: this.clock.now() - start, full, senders: this.pool.at(r).size })
    const chosen = await chooseExternal(this.#chooseContext(signal), r, this.#takeAccusations())
    await this.#breathe()
    const { checkpoint } = await compute.update(
      this.#model,
      [...own.groups, ...chosen.map((c) => c.group)],
      mine.grpo,
    )
    this.#model = checkpoint
    this.#state = await compute.stateHash(checkpoint)
    await this.#breathe()
    this.#trainedOn = chosen.map((c) => ({ peer: c.from, taskId: c.group.taskId }))
    const heard = [...this.pool.at(r).values()].filter((a) => !this.standings.dropped(a.from))
    return {
      round: r,
      peer: this.self,
      state: this.#state,
      meanReward: own.meanReward,
      swarmMedian: median([own.meanReward, ...heard.map((a) => a.meanReward)]),
      accuracy: accuracy(tasks, own.groups),
      sample: sampleOf(tasks, own.groups),
      groupsSent: own.groups.length,
      groupsReceived: heard.reduce((n, a) => n + a.groups.length, 0),
      bytesSent: this.#bytes.sent,
      bytesReceived: this.#bytes.received,
      peers: this.standings.standings((p) => this.pool.at(r).get(p)?.meanReward ?? null),
    }
  }

  /**
   * Every peer expected for `r` that is not dropped has sent its rollouts for it, or is past `r` already
   * (waiting for it is waiting for nothing). Expected: the connected subscribers, whoever sent for
   * `r - 1`, and whoever was heard within the last collectMs at any round — a Node peer reaches others
   * through the relay's gossip alone (src/swarm/net/nodeNet.ts), so no one counts it as connected, and a
   * peer behind sends for `r` only once it has caught up (#swarmRound). A peer that left costs one or
   * two deadlines (collectMs), then it is no longer expected.
   */
  #everyoneIn(r: number): boolean {
    const got = this.pool.at(r)
    const expected = new Set([
      ...this.#o.net.peers(this.topic),
      ...this.pool.at(r - 1).keys(),
      ...this.#recent(this.#o.mine.collectMs).keys(),
    ])
    const past = (p: string) => (this.#latest.get(p)?.round ?? -Infinity) > r
    return [...expected].every((p) => p === this.self || got.has(p) || past(p) || this.standings.dropped(p))
  }

  /** Senders heard within the last `ms` (clock) that are not dropped, with the latest round each named. */
  #recent(ms: number): Map<string, number> {
    const since = this.clock.now() - ms
    const out = new Map<string, number>()
    for (const [p, { round, at }] of this.#latest)
      if (at >= since && p !== this.self && !this.standings.dropped(p)) out.set(p, round)
    return out
  }

  /**
   * The round the swarm is at: the median of the latest rounds that the peers heard within two
   * collection windows named (one vote per sender, as in the join, so one liar among honest peers cannot
   * move it); -Infinity when none. A peer behind it jumps there: it would otherwise publish for rounds
   * the others have left, and wait for rounds they already published.
   */
  #swarmRound(): number {
    const rounds = [...this.#recent(2 * this.#o.mine.collectMs).values()]
    return rounds.length ? Math.floor(median(rounds)) : -Infinity
  }

  /**
   * Lets the event loop run. Compute on the CPU reference is one chain of microtasks (seconds of it a
   * round), and a round whose wait ends at once (nobody expected, everyone in) never reaches a timer: on
   * a real network nothing arrives or leaves meanwhile — no gossip is read, no blob served, no ping
   * answered, and a relay drops a peer that misses pings for 5 s (libp2p's connection monitor), taking
   * its circuit reservation with it, so every fetch of its blob fails. A zero wait on the peer's clock
   * (on virtual time it costs nothing) between phases keeps the peer on the network.
   */
  #breathe(): Promise<void> {
    return this.clock.sleep(0)
  }

  #chooseContext(signal?: AbortSignal): ChooseContext {
    const { net, compute, params, mine } = this.#o
    return {
      self: this.self,
      params,
      mine,
      secret: this.#secret,
      pool: this.pool,
      standings: this.standings,
      check: {
        net,
        compute,
        params,
        clock: this.clock,
        fetchMs: this.#o.fetchMs ?? mine.collectMs,
        fetched: (n) => (this.#bytes.received += n),
        signal,
      },
      accuse: async (round, peer, taskId) =>
        void (await this.#publish({ type: 'fault', round, peer, taskId })),
    }
  }

  #takeAccusations(): Accusation[] {
    const out = this.#accusations
    this.#accusations = []
    return out
  }

  /** Whether the message went out. */
  async #publish(m: SapoMessage): Promise<boolean> {
    const data = encodeSapoMessage(m)
    try {
      await this.#o.net.publish(this.topic, data)
      this.#bytes.sent += data.length
      return true
    } catch (e) {
      // Alone on the topic, or the network is down: the round goes on with its own rollouts.
      this.#emit('error', e instanceof Error ? e : new Error(String(e)))
      return false
    }
  }

  #receive({ from, data }: SwarmMessage): void {
    this.#bytes.received += data.length
    if (from === this.self || this.standings.dropped(from)) return
    let m: SapoMessage
    try {
      m = decodeSapoMessage(data)
    } catch {
      return this.standings.penalize(from, 'invalid')
    }
    // While joining every round is in the window: the peer does not know its round yet.
    const current = this.#heard ? m.round : this.round
    const inWindow = RoundPool.inWindow(m.round, current)
    if (m.type === 'fault') return inWindow ? this.#accused(from, m) : undefined
    if (inWindow && this.pool.at(m.round).has(from)) return
    let accepted: Accepted
    try {
      accepted = acceptRollouts(m, from, this.#o.params, this.#o.book)
    } catch {
      return this.standings.penalize(from, 'invalid')
    }
    this.standings.heard(from)
    // A message for a round outside the window is weather, not a fault: it is not kept, but it says
    // which round its sender is at (pacing and catch-up, #everyoneIn and #swarmRound).
    const round = Math.max(m.round, this.#latest.get(from)?.round ?? -Infinity)
    this.#latest.set(from, { round, at: this.clock.now() })
    this.#heard?.set(from, m.round)
    if (inWindow) this.pool.add(accepted, current)
    this.#waits.notify()
  }

  /** Holds an accusation to check at the next choice; peers that lost score have lost this right. */
  #accused(from: string, m: Extract<SapoMessage, { type: 'fault' }>): void {
    if (this.standings.score(from) < 0 || this.standings.dropped(m.peer) || m.peer === this.self) return
    const same = (a: Accusation) => a.from === from && a.round === m.round
    if (this.#accusations.some(same)) return
    this.#accusations.push({ from, round: m.round, peer: m.peer, taskId: m.taskId })
    if (this.#accusations.length > MAX_ACCUSATIONS) this.#accusations.shift()
  }
}

function randomSecret(): Hex {
  const b = crypto.getRandomValues(new Uint8Array(32))
  return `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`
}
