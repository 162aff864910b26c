// One tab's membership in the swarm: the libp2p node (on the page), the round protocol's peer (on the
// page: bookkeeping and messages) and its compute (in swarm.worker.ts). The Join panel reads this.
import type { Hex } from 'viem'
import { joinSwarmNet, type BrowserSwarmNet, type RelayNote } from '../swarm/net/index.ts'
import { resolveRelays } from './relays.ts'
import { keptOnSync, type Adopted } from './swarmHistory.ts'
import {
  SwarmPeer,
  byzantineCompute,
  swarmTopic,
  type RoundResult,
  type SwarmCompute,
} from '../swarm/protocol/index.ts'
import { devAccount } from '../receipts/devkey.ts'
import type { PeerSigner } from '../chain/peerProof.ts'
import { DEFAULT_SWARM_NAME, SWARM_NAME, pageSwarmParams, swarmUrlParams } from './swarmParams.ts'
import { corpusUrl, startSwarmWorker } from './workers.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { SwarmNameError } from '../errors/network.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'

export interface SwarmEvent {
  id: number
  round: number
  kind: 'excluded' | 'fault-found' | 'resync'
  peer?: string
  text: string
}

export interface SwarmPeerView {
  id: string
  /** `webrtc` once a direct link is up, `circuit` while only the relay connects us. */
  transport: 'webrtc' | 'circuit'
}

/** How long a tab waits for its relay before starting alone (it keeps redialling in the background). */
const RELAY_WAIT_MS = 10_000
/** How long a tab looks for swarm peers before it concludes it is the first one. */
const JOIN_GRACE_MS = 6_000
/** Events kept for the dashboard. */
const MAX_EVENTS = 50
/** How often the dashboard's sample text is refreshed (each sample costs the worker a few forward passes). */
const SAMPLE_EVERY_MS = 8_000
const SAMPLE_PROMPT = 'And God said'
/** Rounds kept in the history (a long session runs thousands). */
const MAX_ROUNDS = 500
/** Attempts at the first sync before the tab reports that it could not join. */
const START_TRIES = 4

export class SwarmSession {
  status = $state<'idle' | 'joining' | 'waiting' | 'running' | 'leaving' | 'failed'>('idle')
  self = $state('')
  /** Proves `self` for an on-chain registration; null until the node runs. */
  peer = $state.raw<PeerSigner | null>(null)
  relay = $state<'connecting' | 'connected' | 'unreachable'>('connecting')
  /** Which relay the tab holds, where its address came from, and the listed relays it skipped. */
  relayInfo = $state.raw<{ addr: string | null; source: string; notes: RelayNote[] } | null>(null)
  peers = $state<SwarmPeerView[]>([])
  /** The round in progress (the model's round number). */
  round = $state(0)
  modelHash = $state<Hex | ''>('')
  loss = $state<number | null>(null)
  /** Bytes this tab moved in the last finished round. */
  bytes = $state<{ sent: number; received: number } | null>(null)
  rounds = $state.raw<RoundResult[]>([])
  /** Set when the tab adopted the swarm's model instead of starting from round 0. */
  synced = $state<{ round: number; from: number } | null>(null)
  /** Rounds this tab finished on a chain it later left for the swarm's (a merged fork). */
  abandoned = $state(0)
  backend = $state('')
  error = $state<ErrorInfo | null>(null)
  /**
   * "Make this peer cheat": from the next run it trains or checks, this tab nudges its update and signs
   * the lie. The others re-execute it, catch it and exclude it; the panel shows that happening.
   */
  cheat = $state(false)
  /** The swarm's name (`?swarmName=`, or typed in the panel before joining): tabs with one name meet. */
  name = $state('')
  /** The first round this tab lied in since the switch went on (null while honest). */
  liedFrom = $state<number | null>(null)
  /** Re-executions of others' updates this tab made, and how many of them found a fault. */
  checks = $state({ made: 0, faults: 0 })
  /** Exclusions, resyncs and faults this tab found, newest last (the dashboard's verification list). */
  events = $state.raw<SwarmEvent[]>([])
  /** Text sampled from the agreed model, refreshed every few seconds. */
  sample = $state<{ round: number; text: string } | null>(null)
  /** Milliseconds since the last round ended (drives the progress bar). */
  elapsed = $state(0)
  /** Tokens one tab trains per round: H steps of batch × context. */
  tokensPerRound = $state(0)
  #roundEnded = 0
  #sampledAt = 0
  #eventId = 0
  #sampleModel: ((round: number) => Promise<void>) | null = null
  #net: BrowserSwarmNet | null = null
  #peer: SwarmPeer | null = null
  #worker: Worker | null = null
  #timer: ReturnType<typeof setInterval> | undefined

  async join(search = location.search): Promise<void> {
    if (this.status !== 'idle' && this.status !== 'failed') return
    this.status = 'joining'
    this.error = null
    this.relayInfo = null
    this.rounds = []
    this.abandoned = 0
    this.events = []
    this.sample = null
    this.#roundEnded = 0
    try {
      const url = swarmUrlParams(search)
      if (this.name && !SWARM_NAME.test(this.name))
        throw new SwarmNameError('A swarm name is 1 to 40 letters, digits, "-" or "_".')
      const { worker, api } = startSwarmWorker()
      this.#worker = worker
      const init = await api.init({
        corpus: KJV_PENTATEUCH,
        corpusUrl: corpusUrl(KJV_PENTATEUCH),
        backend: url.backend,
      })
      this.backend = init.backend
      this.#net = await joinSwarmNet(await resolveRelays(search, this.name || url.name), (err) =>
        console.warn(err),
      )
      this.self = this.#net.net.self
      this.peer = this.#net.peer
      this.#timer = setInterval(() => this.#poll(), 500)
      await this.#untilRelay()
      if (url.cheat) this.cheat = true
      const honest: SwarmCompute = {
        train: (start, seed, steps) => api.train(start, seed, steps),
        initial: (config) => api.initial(config),
        evaluate: (model) => api.evaluate(model),
      }
      const compute = byzantineCompute(honest, (start) => {
        // Every run starts from a round's model (training and checks alike): its step names the round.
        if (this.cheat && this.liedFrom === null) this.liedFrom = start.step / params.stepsPerRound
        if (!this.cheat) this.liedFrom = null
        return this.cheat
      })
      const params = pageSwarmParams(KJV_PENTATEUCH, url.stepsPerRound, this.name || url.name)
      this.name = params.name ?? DEFAULT_SWARM_NAME
      const c = params.config
      this.tokensPerRound = params.stepsPerRound * c.batch * c.model.seqLen
      this.#sampleModel = async (round) => {
        const model = this.#peer?.model
        if (!model) return
        const text = await api.sample(model, SAMPLE_PROMPT, 48)
        this.sample = { round, text: SAMPLE_PROMPT + text }
      }
      // Announce ourselves on the swarm's topic and wait for the quorum ?swarmMin asks for: tabs that
      // start together then begin round 0 together instead of each racing ahead alone. The quorum holds
      // back only the start of a swarm: once anything is heard on the topic a swarm is already running
      // (waiting tabs only listen), and a reloaded tab or a latecomer joins it at once.
      const net = this.#net.net
      let running = false
      const present = net.subscribe(swarmTopic(params), () => (running = true))
      this.status = 'waiting'
      while (this.#net && !running && net.peers(swarmTopic(params)).length + 1 < url.minPeers)
        await new Promise((r) => setTimeout(r, 200))
      // Give discovery a moment to show us the swarm even without a quorum: the sync's `hello` reaches
      // only subscribers we already know, and a tab that hears no head starts a swarm of its own.
      const graceEnd = Date.now() + JOIN_GRACE_MS
      while (this.#net && net.peers(swarmTopic(params)).length === 0 && Date.now() < graceEnd)
        await new Promise((r) => setTimeout(r, 200))
      if (!this.#net) return present()
      // The first sync can fail when the head it picked is gone by the time it asks (the swarm moved
      // on): a fresh peer asks again, a few times, before the tab gives up.
      for (let attempt = 1; ; attempt++) {
        const peer = this.#newPeer(net, compute, params)
        try {
          await peer.start()
          break
        } catch (e) {
          await peer.stop().catch(() => {})
          if (attempt >= START_TRIES || !this.#net) throw e
          console.warn(`joining the swarm, try ${attempt}: ${withCauses(e)}`)
          await new Promise((r) => setTimeout(r, 1000 * attempt))
        }
      }
      present()
      this.status = 'running'
      this.#poll()
    } catch (e) {
      this.error = errorInfo(e)
      this.status = 'failed'
      await this.#teardown()
    }
  }

  #newPeer(net: BrowserSwarmNet['net'], compute: SwarmCompute, params: SwarmPeer['params']): SwarmPeer {
    const peer = new SwarmPeer({
      net,
      compute,
      signer: devAccount(),
      params,
      // Always ask first: a reloaded tab or a latecomer adopts the swarm's model; alone, it starts at 0.
      join: true,
    })
    this.#peer = peer
    peer.on('round', (r) => this.#onRound(r))
    peer.on('sync', (s) => this.#onSync(s, s.from.length))
    peer.on('error', (e) => {
      this.error = errorInfo(e)
      console.warn(withCauses(e))
    })
    return peer
  }

  async leave(): Promise<void> {
    if (this.status === 'idle' || this.status === 'leaving') return
    this.status = 'leaving'
    await this.#teardown()
    this.status = 'idle'
  }

  /**
   * The tab adopted the swarm's model at the start of `at.round`: rounds it finished on a chain the swarm
   * did not keep (a fork that merged) leave the history, counted as abandoned (swarmHistory.ts).
   */
  #onSync(at: Adopted, from: number): void {
    const kept = keptOnSync(this.rounds, at)
    this.abandoned += this.rounds.length - kept.length
    if (this.rounds.length)
      this.#event(at.round, 'resync', undefined, `adopted the swarm's model from ${from} peer(s)`)
    this.rounds = kept
    this.synced = { round: at.round, from }
  }

  #event(round: number, kind: SwarmEvent['kind'], peer: string | undefined, text: string): void {
    const last = this.events.at(-1)
    if (last && last.round === round && last.kind === kind && last.peer === peer && last.text === text) return
    this.events = [...this.events.slice(-(MAX_EVENTS - 1)), { id: ++this.#eventId, round, kind, peer, text }]
  }

  #onRound(r: RoundResult): void {
    this.rounds = [...this.rounds.slice(-(MAX_ROUNDS - 1)), r]
    this.#roundEnded = Date.now()
    for (const e of r.excluded) this.#event(r.round, 'excluded', e.peer, EXCLUDED[e.reason] ?? e.reason)
    const faults = this.#peer?.stats.faultsFound ?? 0
    if (faults > this.checks.faults)
      this.#event(
        r.round,
        'fault-found',
        undefined,
        `this tab's re-execution found ${faults - this.checks.faults} wrong update(s)`,
      )
    if (Date.now() - this.#sampledAt > SAMPLE_EVERY_MS) {
      this.#sampledAt = Date.now()
      void this.#sampleModel?.(r.round).catch((e) => console.warn(`sampling failed: ${withCauses(e)}`))
    }
    this.loss = r.loss
    this.bytes = r.bytes
    this.#poll()
  }

  #poll(): void {
    if (!this.#net) return
    const s = this.#net.status()
    this.relay = s.relay
    if (this.relayInfo?.addr !== s.relayAddr || this.relayInfo.notes !== s.relayNotes)
      this.relayInfo = { addr: s.relayAddr, source: s.relaySource, notes: s.relayNotes }
    // Swarm members only (not the relay), one row per peer however many connections it has.
    const members = this.#peer ? this.#net.net.peers(this.#peer.topic) : null
    const views: SwarmPeerView[] = []
    for (const p of s.peers) {
      if (members && !members.includes(p.id)) continue
      const seen = views.find((v) => v.id === p.id)
      if (!seen) views.push({ id: p.id, transport: p.direct ? 'webrtc' : 'circuit' })
      else if (p.direct) seen.transport = 'webrtc'
    }
    this.peers = views.sort((a, b) => a.id.localeCompare(b.id))
    if (this.#roundEnded) this.elapsed = Date.now() - this.#roundEnded
    if (this.#peer) this.checks = { made: this.#peer.stats.checks, faults: this.#peer.stats.faultsFound }
    if (this.#peer?.modelHash) {
      this.round = this.#peer.round
      this.modelHash = this.#peer.modelHash
    }
  }

  async #untilRelay(): Promise<void> {
    const deadline = Date.now() + RELAY_WAIT_MS
    while (this.#net && this.#net.status().relay !== 'connected' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100))
  }

  async #teardown(): Promise<void> {
    clearInterval(this.#timer)
    const peer = this.#peer
    const net = this.#net
    this.#peer = null
    this.#net = null
    await peer?.stop().catch(() => {})
    await net?.stop().catch(() => {})
    this.#worker?.terminate()
    this.#worker = null
    this.peers = []
  }

  dispose(): void {
    void this.#teardown()
  }
}

/** Why a peer was left out of a round, in a visitor's words. */
export const EXCLUDED: Record<string, string> = {
  fault: 'was excluded: its update was wrong (re-executing it gave other bits)',
  'false-accusation': 'was excluded: it accused an honest peer (replaying the step proved it wrong)',
  unavailable: 'was left out: its update could not be fetched (did the tab close?)',
}

/** An error with its cause chain, for the console: the panel shows only the first line. */
function withCauses(e: unknown): string {
  const parts: string[] = []
  for (let c = e; c && parts.length < 6; c = (c as { cause?: unknown }).cause)
    parts.push(c instanceof Error ? c.message.split('\n')[0] : String(c))
  return parts.join(' ← ')
}
